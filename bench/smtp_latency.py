#!/usr/bin/env python3
"""SMTP acceptance rate and latency: S sender processes, each on one connection, send M messages
of B bytes to user1..userU@example.test; the time from MAIL FROM to the 250 after DATA is one
message's acceptance latency. With --auth USER:PASSWORD it submits (AUTH PLAIN; plaintext is
allowed on loopback) instead. Prints "rate p50_ms p99_ms".
usage: smtp_latency.py PORT [--senders S] [--messages M] [--size B] [--users U] [--auth U:P]"""
import argparse
import multiprocessing
import smtplib
import time


def sender(args, index, out):
    sender_address = args.auth.split(":", 1)[0] if args.auth else "bench@example.org"
    body = ("From: " + sender_address + "\r\nTo: user@example.test\r\nSubject: latency\r\n"
            "Message-ID: <{}@bench.example.org>\r\n\r\n" + "x" * args.size + "\r\n")
    c = smtplib.SMTP("127.0.0.1", args.port, timeout=60)
    c.ehlo("bench.example.org")
    mail_from = "bench@example.org"
    if args.auth:
        user, password = args.auth.split(":", 1)
        c.login(user, password)
        mail_from = user
    times = []
    for i in range(args.messages):
        rcpt = f"user{(index + i) % args.users + 1}@example.test"
        t0 = time.monotonic()
        c.sendmail(mail_from, [rcpt], body.format(f"{index}.{i}.{time.time_ns()}").encode())
        times.append(time.monotonic() - t0)
    c.quit()
    out.put(times)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("port", type=int)
    ap.add_argument("--senders", type=int, default=20)
    ap.add_argument("--messages", type=int, default=100)
    ap.add_argument("--size", type=int, default=4096)
    ap.add_argument("--users", type=int, default=4)
    ap.add_argument("--auth")
    args = ap.parse_args()
    out = multiprocessing.Queue()
    procs = [multiprocessing.Process(target=sender, args=(args, i, out)) for i in range(args.senders)]
    t0 = time.monotonic()
    for p in procs:
        p.start()
    times = sorted(t for _ in procs for t in out.get())
    elapsed = time.monotonic() - t0
    for p in procs:
        p.join()
    p = lambda q: times[min(len(times) - 1, int(q * len(times)))] * 1000
    print(f"{len(times) / elapsed:.0f} {p(0.5):.1f} {p(0.99):.1f}")


if __name__ == "__main__":
    main()
