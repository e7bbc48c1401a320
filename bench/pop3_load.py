#!/usr/bin/env python3
"""POP3 load: C client processes, each its own user (POP3 allows one session per maildrop), run
sessions for D seconds against one server, and the total commands/s is printed. A session is what
a mail client does when it checks for mail: USER, PASS, STAT, UIDL, LIST, then RETR of three
random messages and TOP 10 of three more, then QUIT without deleting (so every session sees the
same mailbox). usage: pop3_load.py PORT PASSWORD [--clients C] [--seconds D]"""
import argparse
import multiprocessing
import poplib
import random
import sys
import time


def worker(args, index, results):
    rng = random.Random(index)
    user = f"user{index + 1}@example.test"
    ops = 0
    retrieved = 0
    deadline = time.monotonic() + args.seconds
    while time.monotonic() < deadline:
        p = poplib.POP3("127.0.0.1", args.port, timeout=60)
        p.user(user)
        p.pass_(args.password)
        count, _ = p.stat()
        p.uidl()
        p.list()
        ops += 5
        for _ in range(3 if count else 0):
            retrieved += p.retr(rng.randint(1, count))[2]
            p.top(rng.randint(1, count), 10)
            ops += 2
        p.quit()
        ops += 1
    results.put((ops, retrieved))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("port", type=int)
    ap.add_argument("password")
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--seconds", type=float, default=20)
    args = ap.parse_args()
    results = multiprocessing.Queue()
    procs = [multiprocessing.Process(target=worker, args=(args, i, results)) for i in range(args.clients)]
    t0 = time.monotonic()
    for p in procs:
        p.start()
    totals = [results.get() for _ in procs]
    for p in procs:
        p.join()
    elapsed = time.monotonic() - t0
    # On stderr, so a run that retrieved nothing (an empty mailbox) is seen.
    print(f"port {args.port}: {sum(t[1] for t in totals) / 1e6 / elapsed:.1f} MB/s retrieved", file=sys.stderr)
    print(f"{sum(t[0] for t in totals) / elapsed:.0f}")


if __name__ == "__main__":
    main()
