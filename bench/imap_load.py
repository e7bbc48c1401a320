#!/usr/bin/env python3
"""IMAP load: C client processes, each its own user, run a fixed mix of operations for D seconds
against one server, and the total operations/s is printed. The mix: LOGIN, SELECT, FETCH of flags
for the whole mailbox, FETCH of headers and of whole bodies, STORE flags, SEARCH, APPEND, and
STORE \\Deleted + EXPUNGE of what was appended; every 50 operations the client logs out and in
again. usage: imap_load.py PORT PASSWORD [--clients C] [--seconds D] [--users U]"""
import argparse
import imaplib
import multiprocessing
import random
import time

MESSAGE = ("From: load@example.org\r\nTo: user@example.test\r\nSubject: load test\r\n"
           "Message-ID: <{n}@load.example.org>\r\n\r\n" + "x" * 2000 + "\r\n")


def worker(args, index, results):
    rng = random.Random(index)
    user = f"user{index % args.users + 1}@example.test"
    ops = 0
    deadline = time.monotonic() + args.seconds

    def session():
        im = imaplib.IMAP4("127.0.0.1", args.port)
        im.login(user, args.password)
        im.select("INBOX")
        return im

    im = session()
    ops += 2
    appended = 0
    while time.monotonic() < deadline:
        typ, data = im.uid("SEARCH", None, "ALL")
        uids = data[0].split()
        ops += 1
        if uids:
            uid = rng.choice(uids)
            im.uid("FETCH", b"1:*", "(FLAGS)")
            im.uid("FETCH", uid, "(BODY.PEEK[HEADER] RFC822.SIZE)")
            im.uid("FETCH", uid, "(BODY.PEEK[])")
            im.uid("STORE", uid, "+FLAGS", "(\\Seen)")
            im.uid("STORE", uid, "-FLAGS", "(\\Seen)")
            ops += 5
        im.append("INBOX", None, None, MESSAGE.format(n=f"{index}.{appended}").encode())
        appended += 1
        ops += 1
        if appended % 5 == 0:
            im.uid("SEARCH", None, "FROM", "load@example.org")
            typ, data = im.uid("SEARCH", None, "HEADER", "Message-ID", "load.example.org")
            mine = data[0].split()
            if mine:
                im.uid("STORE", b",".join(mine), "+FLAGS.SILENT", "(\\Deleted)")
                im.expunge()
            ops += 4
        if ops % 50 < 8:
            im.logout()
            im = session()
            ops += 3
    im.logout()
    results.put(ops)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("port", type=int)
    ap.add_argument("password")
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--users", type=int, default=20)
    args = ap.parse_args()
    results = multiprocessing.Queue()
    procs = [multiprocessing.Process(target=worker, args=(args, i, results)) for i in range(args.clients)]
    t0 = time.monotonic()
    for p in procs:
        p.start()
    total = sum(results.get() for _ in procs)
    for p in procs:
        p.join()
    elapsed = time.monotonic() - t0
    print(f"{total / elapsed:.0f}")


if __name__ == "__main__":
    main()
