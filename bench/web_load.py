#!/usr/bin/env python3
"""Web API benchmarks (bench/web.sh). One asyncio process drives every connection with a minimal
HTTP/1.1 (or IMAP) client, so the load generator costs little CPU.

  pages PORT USER PASSWORD [--limit N] [--rounds R]
      walks /api/v1/accounts page by page (?limit=N&after=...) R times; prints
      "pages p50_ms p99_ms max_ms"
  api PORT USER PASSWORD [--clients C] [--seconds S]
      C keep-alive clients GET account pages and domains as fast as answered; prints
      "requests_per_s p50_ms p99_ms"
  imap PORT PASSWORD [--clients C] [--seconds S] [--users U]
      C IMAP clients repeat SELECT INBOX, FETCH 1:* FLAGS, NOOP; the time of each command is one
      latency sample; prints "commands_per_s p50_ms p99_ms"
"""
import argparse
import asyncio
import json
import time
import urllib.parse


def percentile(samples, p):
    s = sorted(samples)
    return s[min(len(s) - 1, int(len(s) * p / 100))] if s else 0.0


class Http:
    def __init__(self, port):
        self.port = port
        self.cookie = ""

    async def connect(self):
        self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)

    async def request(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else b""
        head = f"{method} {path} HTTP/1.1\r\nHost: localhost\r\n"
        if self.cookie:
            head += f"Cookie: {self.cookie}\r\n"
        if body is not None:
            head += f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n"
        self.writer.write(head.encode() + b"\r\n" + data)
        status_line = await self.reader.readline()
        status = int(status_line.split()[1])
        length, headers = 0, {}
        while True:
            line = await self.reader.readline()
            if line in (b"\r\n", b""):
                break
            k, _, v = line.decode().partition(":")
            headers[k.strip().lower()] = v.strip()
        length = int(headers.get("content-length", "0"))
        payload = await self.reader.readexactly(length)
        if "set-cookie" in headers:
            self.cookie = headers["set-cookie"].split(";")[0]
        if headers.get("connection", "").lower() == "close":
            # The server ends a keep-alive connection after its request limit: open the next one,
            # as a browser would (the session cookie goes on).
            self.writer.close()
            await self.connect()
        return status, payload

    async def login(self, user, password):
        await self.connect()
        status, _ = await self.request("POST", "/api/v1/session", {"username": user, "password": password})
        assert status == 200, status


async def pages(args):
    c = Http(args.port)
    await c.login(args.user, args.password)
    samples = []
    for _ in range(args.rounds):
        after = ""
        while True:
            t0 = time.perf_counter()
            status, payload = await c.request("GET", f"/api/v1/accounts?limit={args.limit}&after={urllib.parse.quote(after)}")
            samples.append((time.perf_counter() - t0) * 1000)
            assert status == 200, payload[:200]
            page = json.loads(payload)
            if not page["next"]:
                break
            after = page["next"]
    print(f"{len(samples)} {percentile(samples, 50):.2f} {percentile(samples, 99):.2f} {max(samples):.2f}")


async def api_client(args, index, deadline, samples):
    c = Http(args.port)
    await c.login(args.user, args.password)
    paths = ["/api/v1/accounts?limit=50", "/api/v1/domains", f"/api/v1/accounts?limit=50&after=user{index}%40example.test"]
    n = 0
    while time.monotonic() < deadline:
        t0 = time.perf_counter()
        status, _ = await c.request("GET", paths[n % len(paths)])
        samples.append((time.perf_counter() - t0) * 1000)
        n += 1


async def api(args):
    samples = []
    deadline = time.monotonic() + args.seconds
    t0 = time.monotonic()
    await asyncio.gather(*(api_client(args, i, deadline, samples) for i in range(args.clients)))
    elapsed = time.monotonic() - t0
    print(f"{len(samples) / elapsed:.0f} {percentile(samples, 50):.2f} {percentile(samples, 99):.2f}")


async def imap_client(args, index, deadline, samples):
    reader, writer = await asyncio.open_connection("127.0.0.1", args.port)
    await reader.readline()
    tag = 0

    async def command(text):
        nonlocal tag
        tag += 1
        t = f"a{tag}"
        writer.write(f"{t} {text}\r\n".encode())
        while True:
            line = await reader.readline()
            if not line:
                raise ConnectionError("closed")
            if line.startswith(t.encode() + b" "):
                assert line.split()[1] == b"OK", line
                return

    await command(f'LOGIN "user{index % args.users + 1}@example.test" "{args.password}"')
    while time.monotonic() < deadline:
        for cmd in ("SELECT INBOX", "FETCH 1:* (FLAGS)", "NOOP"):
            t0 = time.perf_counter()
            await command(cmd)
            samples.append((time.perf_counter() - t0) * 1000)
    await command("LOGOUT")


async def imap(args):
    samples = []
    deadline = time.monotonic() + args.seconds
    t0 = time.monotonic()
    await asyncio.gather(*(imap_client(args, i, deadline, samples) for i in range(args.clients)))
    elapsed = time.monotonic() - t0
    print(f"{len(samples) / elapsed:.0f} {percentile(samples, 50):.2f} {percentile(samples, 99):.2f}")


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="mode", required=True)
    p = sub.add_parser("pages")
    p.add_argument("port", type=int); p.add_argument("user"); p.add_argument("password")
    p.add_argument("--limit", type=int, default=50); p.add_argument("--rounds", type=int, default=3)
    a = sub.add_parser("api")
    a.add_argument("port", type=int); a.add_argument("user"); a.add_argument("password")
    a.add_argument("--clients", type=int, default=200); a.add_argument("--seconds", type=float, default=20)
    i = sub.add_parser("imap")
    i.add_argument("port", type=int); i.add_argument("password")
    i.add_argument("--clients", type=int, default=4); i.add_argument("--seconds", type=float, default=20)
    i.add_argument("--users", type=int, default=100)
    args = ap.parse_args()
    asyncio.run({"pages": pages, "api": api, "imap": imap}[args.mode](args))


if __name__ == "__main__":
    main()
