#!/usr/bin/env python3
"""Server memory per idle POP3 connection, as anchors/imap-idle-mem measures IMAP: N clients log in
(USER/PASS), STAT, and stay in the TRANSACTION state briefly; the PSS growth of the listed
processes divided by N.  pop3_idle_mem.py PORT N PROC_NAME[,PROC_NAME...] [--users U] [--password P]
Each user's maildrop is locked by its session (RFC 1939 8: one session per maildrop), so N must
not exceed the number of users."""
import argparse
import asyncio
import os
import resource

ap = argparse.ArgumentParser()
ap.add_argument("port", type=int)
ap.add_argument("n", type=int)
ap.add_argument("names")
ap.add_argument("--users", type=int, default=100)
ap.add_argument("--hold", type=float, default=5)
ap.add_argument("--password", default="pass")
a = ap.parse_args()
names = set(a.names.split(","))
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, a.n + 100)), hard))


def pss_kib():
    total = 0
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if open(f"/proc/{pid}/comm").read().strip() not in names:
                continue
            for line in open(f"/proc/{pid}/smaps_rollup"):
                if line.startswith("Pss:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total


async def client(i, ready):
    r, w = await asyncio.open_connection("127.0.0.1", a.port)
    await r.readline()
    ok = True
    for line in (f"USER user{i % a.users + 1}@example.test", f"PASS {a.password}", "STAT"):
        w.write(line.encode() + b"\r\n")
        await w.drain()
        ok = ok and (await r.readline()).startswith(b"+OK")
    ready.append(ok)
    return w


async def main():
    base = pss_kib()
    ready, conns = [], []
    for start in range(0, a.n, 100):
        conns += await asyncio.gather(*(client(i, ready) for i in range(start, min(a.n, start + 100))))
    await asyncio.sleep(a.hold)
    during = pss_kib()
    for w in conns:
        w.write(b"QUIT\r\n")
        w.close()
    print(f"{sum(ready)}/{a.n} logged in; server PSS {base} KiB -> {during} KiB: "
          f"{(during - base) / max(1, sum(ready)):.1f} KiB per idle POP3 connection")


asyncio.run(main())
