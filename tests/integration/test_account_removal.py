"""Removing an account removes its mail: a new account (even with the same address) never sees a
removed one's mailboxes or messages, and the server purges the removed account's mailboxes,
subscriptions and blobs, whichever process removed it (the CLI here) and whether or not the
server was running at the time."""
import imaplib
import os
import time
import sqlite3

from conftest import PASSWORD, wait_for
from imap_support import fill, login, message, ok


def mailbox_names(m):
    return sorted(line.decode().rsplit(' "/" ', 1)[1].strip('"') for line in ok(m.list()))


def store_rows(k, table, account_id):
    db = sqlite3.connect(f"file:{k.dir / 'store.db'}?mode=ro", uri=True)
    try:
        return db.execute(f"SELECT count(*) FROM {table} WHERE account_id = ?", (account_id,)).fetchone()[0]
    finally:
        db.close()


def account_id(k, address):
    db = sqlite3.connect(f"file:{k.dir / 'directory.db'}?mode=ro", uri=True)
    try:
        row = db.execute("SELECT id FROM accounts WHERE address = ?", (address,)).fetchone()
        return row[0] if row else None
    finally:
        db.close()


def give_mail(k, user):
    m = login(k, user)
    fill(m, 3)
    ok(m.create("Private"))
    ok(m.subscribe("Private"))
    ok(m.append("Private", None, None, message(9, subject="secret of the removed account")))
    m.logout()


def assert_fresh_account(k, user):
    m = login(k, user)
    try:
        assert "Private" not in mailbox_names(m)
        assert int(ok(m.select("INBOX"))[0]) == 0
        assert b"Private" not in b"".join(ok(m.lsub()))
    finally:
        m.logout()


def test_new_account_with_the_same_address_sees_nothing_of_the_removed_one(kurier):
    address, _ = user = kurier.add_user()
    give_mail(kurier, user)
    kurier.cli("user", "remove", address)
    kurier.add_user(address, "another-password-2")
    assert_fresh_account(kurier, (address, "another-password-2"))


def test_next_new_account_sees_nothing_of_the_removed_one(kurier):
    # The removed account had the largest id: SQLite without AUTOINCREMENT hands that id out again.
    address, _ = user = kurier.add_user()
    give_mail(kurier, user)
    kurier.cli("user", "remove", address)
    assert_fresh_account(kurier, kurier.add_user())


def test_removed_accounts_mail_is_purged_while_running(fresh_kurier):
    k = fresh_kurier.start()
    address, _ = user = k.add_user()
    give_mail(k, user)
    old_id = account_id(k, address)
    assert store_rows(k, "mailboxes", old_id) > 0
    blobs_before = sum(1 for p in (k.dir / "blobs").rglob("*") if p.is_file())
    k.cli("user", "remove", address)
    wait_for(lambda: store_rows(k, "mailboxes", old_id) == 0 and store_rows(k, "subscriptions", old_id) == 0,
             "the removed account's mailboxes to be purged", details=lambda: k.log_text()[-2000:])
    wait_for(lambda: sum(1 for p in (k.dir / "blobs").rglob("*") if p.is_file()) <= blobs_before - 4,
             "the removed account's blobs to be unlinked")
    assert "store.account_purged" in k.log_text()
    # The login is gone too.
    m = imaplib.IMAP4(k.host, k.port("imap"), timeout=30)
    try:
        try:
            m.login(address, PASSWORD)
            assert False, "the removed account could still log in"
        except imaplib.IMAP4.error:
            pass
    finally:
        m.logout()


def test_domain_removal_purges_its_accounts_at_the_next_start(fresh_kurier):
    k = fresh_kurier
    k.cli("domain", "add", "gone.test")
    k.start()
    address, _ = user = k.add_user("someone@gone.test")
    give_mail(k, user)
    old_id = account_id(k, address)
    assert k.stop() == 0
    k.cli("domain", "remove", "gone.test")  # the server is down: nobody purges now
    assert store_rows(k, "mailboxes", old_id) > 0
    k.start()
    wait_for(lambda: store_rows(k, "mailboxes", old_id) == 0, "the purge at start",
             details=lambda: k.log_text()[-2000:])


def test_ids_the_store_has_seen_are_never_given_out(fresh_kurier):
    # A directory made before ids were AUTOINCREMENT may have freed the id of an account whose
    # mail is still in the store (removed without a tombstone): simulated by deleting the row
    # behind the directory's back (schema v2..v3 tombstoned by a trigger, v4 in code). The server
    # reserves every id the store has seen at start.
    k = fresh_kurier.start()
    address, _ = user = k.add_user()
    give_mail(k, user)
    old_id = account_id(k, address)
    assert k.stop() == 0
    db = sqlite3.connect(k.dir / "directory.db")
    db.execute("DROP TRIGGER IF EXISTS accounts_tombstone")
    db.execute("DELETE FROM accounts WHERE id = ?", (old_id,))
    db.execute("UPDATE sqlite_sequence SET seq = ? WHERE name = 'accounts'", (old_id - 1,))
    db.commit()
    db.close()
    k.start()
    new_address, _ = newcomer = k.add_user()
    assert account_id(k, new_address) > old_id
    assert_fresh_account(k, newcomer)
    assert "store.unknown_account" in k.log_text()


def test_orphan_blobs_left_by_a_crash_are_swept_at_start(fresh_kurier):
    # A blob written but never committed (a crash between the two): no message names it.
    k = fresh_kurier.start()
    user = k.add_user()
    give_mail(k, user)
    assert k.stop() == 0
    live = sorted(p for p in (k.dir / "blobs").rglob("*") if p.is_file())
    orphan = k.dir / "blobs" / "ab" / ("ab" + "0" * 30)
    orphan.write_bytes(b"Subject: never committed\r\n\r\nbody\r\n")
    an_hour_ago = time.time() - 3600  # the crash was before this start (same-second files are kept)
    os.utime(orphan, (an_hour_ago, an_hour_ago))
    k.start()
    wait_for(lambda: not orphan.exists(), "the orphan blob to be swept", details=lambda: k.log_text()[-2000:])
    assert sorted(p for p in (k.dir / "blobs").rglob("*") if p.is_file()) == live
    assert int(ok(login(k, user).select("Private"))[0]) == 1
