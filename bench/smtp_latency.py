#!/usr/bin/env python3
"""SMTP acceptance rate and latency: S concurrent senders, each on one connection, send M messages
of B bytes to user1..userU@example.test, one at a time (no pipelining across messages); the time
from writing MAIL FROM to reading the 250 after DATA's final dot is one message's acceptance
latency. With --auth USER:PASSWORD each sender submits after AUTH PLAIN (plaintext is allowed on
loopback). Prints "rate p50_ms p99_ms".

One asyncio process drives every connection with a minimal SMTP client, so the load generator
itself costs little CPU: with smtplib in 20 processes on a 2-core machine the clients ate as much
CPU as the server, and the latency measured was mostly the clients' own scheduling.
usage: smtp_latency.py PORT [--senders S] [--messages M] [--size B] [--users U] [--auth U:P]"""
import argparse
import asyncio
import base64
import time


def text_of_size(size):
    """About SIZE bytes of body in 78-byte lines (SMTP lines stay far below 1,000 octets)."""
    line = "x" * 76 + "\r\n"
    return line * max(1, size // len(line))


async def reply(reader):
    """Reads one (possibly multi-line) SMTP reply; returns its code."""
    while True:
        line = await reader.readline()
        if len(line) < 4:
            raise ConnectionError(f"connection closed or short reply: {line!r}")
        if line[3:4] != b"-":
            return int(line[:3])


async def command(reader, writer, line, expected):
    writer.write(line)
    code = await reply(reader)
    if code != expected:
        raise RuntimeError(f"{line[:40]!r} got {code}, expected {expected}")


async def sender(args, index, times):
    reader, writer = await asyncio.open_connection("127.0.0.1", args.port)
    if await reply(reader) != 220:
        raise RuntimeError("no greeting")
    await command(reader, writer, b"EHLO bench.example.org\r\n", 250)
    mail_from = "bench@example.org"
    if args.auth:
        user, password = args.auth.split(":", 1)
        token = base64.b64encode(f"\0{user}\0{password}".encode()).decode()
        await command(reader, writer, f"AUTH PLAIN {token}\r\n".encode(), 235)
        mail_from = user
    body = ("From: " + mail_from + "\r\nTo: user@example.test\r\nSubject: latency\r\n"
            "Message-ID: <{}@bench.example.org>\r\n\r\n" + text_of_size(args.size) + ".\r\n")
    for i in range(args.messages):
        rcpt = f"user{(index + i) % args.users + 1}@example.test"
        message = body.format(f"{index}.{i}.{time.time_ns()}").encode()
        t0 = time.monotonic()
        await command(reader, writer, f"MAIL FROM:<{mail_from}>\r\n".encode(), 250)
        await command(reader, writer, f"RCPT TO:<{rcpt}>\r\n".encode(), 250)
        await command(reader, writer, b"DATA\r\n", 354)
        await command(reader, writer, message, 250)
        times.append(time.monotonic() - t0)
    await command(reader, writer, b"QUIT\r\n", 221)
    writer.close()


async def run(args):
    times = []
    t0 = time.monotonic()
    await asyncio.gather(*(sender(args, i, times) for i in range(args.senders)))
    return times, time.monotonic() - t0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("port", type=int)
    ap.add_argument("--senders", type=int, default=20)
    ap.add_argument("--messages", type=int, default=100)
    ap.add_argument("--size", type=int, default=4096)
    ap.add_argument("--users", type=int, default=4)
    ap.add_argument("--auth")
    args = ap.parse_args()
    times, elapsed = asyncio.run(run(args))
    times.sort()
    p = lambda q: times[min(len(times) - 1, int(q * len(times)))] * 1000
    print(f"{len(times) / elapsed:.0f} {p(0.5):.1f} {p(0.99):.1f}")


if __name__ == "__main__":
    main()
