#!/usr/bin/env python3
"""Directory lookups under load (issue 12 target: MariaDB and PostgreSQL at >= 80% of SQLite's
rate): concurrent SMTP sessions sending RCPT TO to existing addresses (each RCPT resolves the
domain, aliases and the account) and IMAP sessions doing LOGIN/LOGOUT (each a login lookup plus a
password check). Prints "rcpt/s logins/s".

  directory_load.py HOST SMTP_PORT IMAP_PORT PASSWORD USERS [--clients N] [--seconds S]"""
import argparse
import asyncio
import time


async def smtp_client(host, port, users, deadline, counter, n):
    reader, writer = await asyncio.open_connection(host, port)
    await reader.readline()

    async def cmd(line):
        writer.write(line)
        await writer.drain()
        while True:
            reply = await reader.readline()
            if reply[3:4] != b"-":
                return reply

    await cmd(b"EHLO bench.test\r\n")
    i = n
    while time.monotonic() < deadline:
        await cmd(b"MAIL FROM:<bench@remote.test>\r\n")
        for _ in range(20):
            i += 1
            reply = await cmd(f"RCPT TO:<user{i % users + 1}@example.test>\r\n".encode())
            if not reply.startswith(b"250"):
                raise RuntimeError(f"RCPT refused: {reply!r}")
            counter[0] += 1
        await cmd(b"RSET\r\n")
    writer.write(b"QUIT\r\n")
    writer.close()


async def imap_client(host, port, password, users, deadline, counter, n):
    i = n
    while time.monotonic() < deadline:
        i += 1
        reader, writer = await asyncio.open_connection(host, port)
        await reader.readline()
        writer.write(f"a LOGIN user{i % users + 1}@example.test {password}\r\n".encode())
        await writer.drain()
        while True:
            line = await reader.readline()
            if line.startswith(b"a "):
                break
        if not line.startswith(b"a OK"):
            raise RuntimeError(f"LOGIN failed: {line!r}")
        counter[0] += 1
        writer.write(b"b LOGOUT\r\n")
        await writer.drain()
        await reader.read()
        writer.close()


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("host")
    ap.add_argument("smtp_port", type=int)
    ap.add_argument("imap_port", type=int)
    ap.add_argument("password")
    ap.add_argument("users", type=int)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--seconds", type=float, default=10)
    a = ap.parse_args()
    rcpts, logins = [0], [0]
    t0 = time.monotonic()
    deadline = t0 + a.seconds
    tasks = [smtp_client(a.host, a.smtp_port, a.users, deadline, rcpts, n * 7) for n in range(a.clients)]
    tasks += [imap_client(a.host, a.imap_port, a.password, a.users, deadline, logins, n * 13) for n in range(a.clients)]
    await asyncio.gather(*tasks)
    elapsed = time.monotonic() - t0
    print(f"{rcpts[0] / elapsed:.0f} {logins[0] / elapsed:.1f}")


asyncio.run(main())
