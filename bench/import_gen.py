"""Writes a Dovecot-style Maildir of N messages for bench/import.sh: files named as Dovecot names
them, about SIZE bytes each, a quarter \\Seen, some flagged or with keywords (dovecot-keywords),
and a version 3 dovecot-uidlist, so the import takes its full path (UIDs, UIDVALIDITY, flags)."""
import argparse
import os
from pathlib import Path


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("count", type=int)
    ap.add_argument("--size", type=int, default=4096)
    a = ap.parse_args()
    root = Path(a.dir)
    for sub in ("cur", "new", "tmp"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    filler = ("lorem ipsum dolor sit amet " * 3).strip() + "\n"
    uidlist = ["3 V1700000000 N%d G00000000000000000000000000000000" % (a.count + 1)]
    for n in range(1, a.count + 1):
        head = (f"From: sender{n % 97}@example.org\nTo: user1@example.test\nSubject: bench message {n}\n"
                f"Message-ID: <bench-{n}@import.test>\nDate: Thu, 04 Jan 2024 10:00:00 +0000\n\n")
        body = filler * max(1, (a.size - len(head)) // len(filler))
        data = (head + body).encode()
        base = f"{1700000000 + n}.M{n}P1.bench,S={len(data)}"
        flags = ("S" if n % 4 == 0 else "") + ("F" if n % 10 == 0 else "") + ("a" if n % 7 == 0 else "")
        name = base + ":2," + "".join(sorted(flags, key=lambda c: (c.islower(), c)))
        with open(root / "cur" / name, "wb") as f:
            f.write(data)
        uidlist.append(f"{n} :{base}")
    (root / "dovecot-uidlist").write_text("\n".join(uidlist) + "\n")
    (root / "dovecot-keywords").write_text("0 $Bench\n")


if __name__ == "__main__":
    main()
