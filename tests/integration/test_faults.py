"""Faults: kill -9 under mixed load loses nothing that was acknowledged and leaves every database
intact; a damaged database is a clear error at start, not a crash. (A full disk: test_disk_full.py.)"""
import imaplib
import random
import smtplib
import sqlite3
import subprocess
import threading
import time

import pytest

from conftest import KURIER_BIN, PASSWORD, wait_for
from imap_support import ok
from queue_support import make_sink, route, start_with_queue

LOAD_SECONDS = 4


def msg(tag):
    return (f"From: load@example.test\r\nTo: someone@example.test\r\nSubject: {tag}\r\n"
            f"Message-ID: <{tag}@load.test>\r\n\r\nbody of {tag}\r\n" + "x" * random.randint(10, 3000) + "\r\n")


class Load:
    """Client threads, each recording what the server acknowledged before it was killed."""

    def __init__(self, k, users):
        self.k, self.users = k, users
        self.stop = threading.Event()
        self.acked = []          # (address, mailbox, subject) the server said it stored
        self.relayed = []        # subjects acknowledged for the external alias
        self.expunged = []       # (address, mailbox, subject) an acknowledged EXPUNGE removed
        self.lock = threading.Lock()
        self.errors = []

    def record(self, bucket, item):
        with self.lock:
            bucket.append(item)

    def run(self, fn, name):
        def loop():
            n = 0
            while not self.stop.is_set():
                n += 1
                try:
                    fn(f"{name}-{n}")
                except (OSError, smtplib.SMTPException, imaplib.IMAP4.error, EOFError):
                    if not self.stop.is_set():
                        time.sleep(0.05)  # the server was killed, or refused: nothing acknowledged
        t = threading.Thread(target=loop, daemon=True)
        t.start()
        return t

    def smtp(self, tag):
        addr = random.choice(self.users)
        with smtplib.SMTP(self.k.host, self.k.port("smtp"), timeout=10) as s:
            s.sendmail("load@example.test", [addr], msg(tag))
        self.record(self.acked, (addr, "INBOX", tag))

    def lmtp(self, tag):
        addr = random.choice(self.users)
        with smtplib.LMTP(self.k.host, self.k.port("lmtp"), timeout=10) as s:
            refused = s.sendmail("load@example.test", [addr], msg(tag))
        if not refused:
            self.record(self.acked, (addr, "INBOX", tag))

    def relay(self, tag):
        with smtplib.SMTP(self.k.host, self.k.port("smtp"), timeout=10) as s:
            s.sendmail("load@example.test", [f"out@{self.k.domain}"], msg(tag))
        self.record(self.relayed, tag)

    def imap(self, tag):
        addr = random.choice(self.users)
        m = imaplib.IMAP4(self.k.host, self.k.port("imap"), timeout=10)
        try:
            m.login(addr, PASSWORD)
            typ, _ = m.append("Work", None, None, msg(tag).encode())
            if typ != "OK":
                return
            self.record(self.acked, (addr, "Work", tag))
            m.select("Work")
            typ, data = m.uid("SEARCH", None, "HEADER", "Subject", tag)
            uids = data[0].split() if typ == "OK" else []
            if uids and random.random() < 0.5:
                if m.uid("COPY", uids[0], "INBOX")[0] == "OK":
                    self.record(self.acked, (addr, "INBOX", tag))
            elif uids and random.random() < 0.3:
                m.uid("STORE", uids[0], "+FLAGS.SILENT", r"(\Deleted)")
                if m.expunge()[0] == "OK":
                    with self.lock:
                        self.acked.remove((addr, "Work", tag))
                        self.expunged.append((addr, "Work", tag))
            m.logout()
        finally:
            try:
                m.shutdown()
            except OSError:
                pass


def subjects(k, addr, mailbox):
    m = imaplib.IMAP4(k.host, k.port("imap"), timeout=30)
    try:
        m.login(addr, PASSWORD)
        if int(ok(m.select(mailbox, readonly=True))[0]) == 0:
            return set()
        data = ok(m.fetch("1:*", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])"))
        return {part[1].decode().split(":", 1)[1].strip() for part in data if isinstance(part, tuple)}
    finally:
        m.logout()


def integrity_ok(path):
    db = sqlite3.connect(path)
    try:
        return db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        db.close()


def test_kill9_under_mixed_load_loses_nothing_acknowledged(fresh_kurier):
    k = fresh_kurier
    sink = make_sink()
    try:
        route(k, "remote.test", sink.port)
        start_with_queue(k)
        users = [k.add_user()[0] for _ in range(3)]
        for u in users:
            m = imaplib.IMAP4(k.host, k.port("imap"), timeout=30)
            m.login(u, PASSWORD)
            ok(m.create("Work"))
            m.logout()
        k.cli("alias", "add", f"out@{k.domain}", "far@remote.test")
        load = Load(k, users)
        threads = [load.run(load.smtp, f"smtp{i}") for i in range(3)]
        threads += [load.run(load.lmtp, f"lmtp{i}") for i in range(2)]
        threads += [load.run(load.imap, f"imap{i}") for i in range(3)]
        threads += [load.run(load.relay, "relay")]
        wait_for(lambda: len(load.acked) >= 30 and load.relayed, "some acknowledged load", timeout=60)
        time.sleep(random.uniform(0, 1))  # kill at a random point of the load
        k.kill9()
        load.stop.set()
        for t in threads:
            t.join(timeout=30)
        with load.lock:
            acked, relayed, expunged = list(load.acked), list(load.relayed), list(load.expunged)
        for db in ("store.db", "directory.db", "delivery.db"):
            assert integrity_ok(k.dir / db), db
        k.start()
        for addr in users:
            for box in ("INBOX", "Work"):
                have = subjects(k, addr, box)
                want = {s for a, b, s in acked if a == addr and b == box}
                assert want <= have, f"{addr} {box} lost acknowledged messages: {sorted(want - have)[:5]}"
                gone = {s for a, b, s in expunged if a == addr and b == box}
                assert not (gone & have), f"acknowledged EXPUNGE came back: {sorted(gone & have)[:5]}"
        # Every relayed message acknowledged before the kill reaches the remote MX after it.
        def relayed_all():
            got = b"".join(sink.messages())
            return all(f"Subject: {s}\r\n".encode() in got or f"Subject: {s}\n".encode() in got for s in relayed)
        wait_for(relayed_all, "every acknowledged relayed message at the remote MX", timeout=90,
                 details=lambda: k.log_text()[-3000:])
        assert k.stop() == 0
    finally:
        sink.stop()


@pytest.mark.parametrize("db", ["store.db", "directory.db"])
def test_damaged_database_is_a_clear_error_at_start(fresh_kurier, db):
    k = fresh_kurier
    (k.dir / db).write_bytes(b"this is not an SQLite database, it was overwritten\n" * 100)
    for side in ("-wal", "-shm"):
        (k.dir / (db + side)).unlink(missing_ok=True)
    r = subprocess.run([KURIER_BIN, "-c", str(k.config), "serve"], capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 1
    assert db in r.stdout + r.stderr and "not a database" in r.stdout + r.stderr, r.stdout + r.stderr
