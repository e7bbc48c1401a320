#!/usr/bin/python3
"""Verifies every DKIM-Signature of a message with python3-dkim (dkimpy), an implementation
independent of kurier. Usage: verify.py MESSAGE RECORDS, where RECORDS has one
"NAME<TAB>TXT-VALUE" line per published key. Prints one line per signature; exit 0 when all
signatures verify, 1 otherwise."""
import sys

import dkim

message = open(sys.argv[1], "rb").read()
records = {}
for line in open(sys.argv[2], "rb").read().splitlines():
    name, value = line.split(b"\t", 1)
    records[name.rstrip(b".").lower()] = value


def dnsfunc(name, timeout=5):
    return records.get(name.rstrip(b".").lower())


d = dkim.DKIM(message)
count = sum(1 for h in d.headers if h[0].lower() == b"dkim-signature")
if count == 0:
    print("no signature")
    sys.exit(1)
ok = True
for i in range(count):
    try:
        result = d.verify(idx=i, dnsfunc=dnsfunc)
    except Exception as e:  # dkimpy raises for malformed signatures
        result = False
        print(f"signature {i}: error {e}")
    print(f"signature {i}: {'pass' if result else 'fail'}")
    ok = ok and result
sys.exit(0 if ok else 1)
