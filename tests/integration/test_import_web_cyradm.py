"""`kurier import web-cyradm` (issue 12 item 3a): the seed's Web-cyradm schema and sample rows in a
real MariaDB, imported into kurier's directory; then IMAP, POP3 and SMTP AUTH logins with the old
credentials (plaintext, MD5-crypt, MySQL PASSWORD()) and mail to the old aliases arriving. A
re-run imports nothing twice; --dry-run changes nothing."""
import imaplib
import json
import poplib
import smtplib
import sqlite3

import pytest

import db_support
import webcyradm_support as wc
from conftest import DIRECTORY_BACKEND, Kurier
from imap_support import message_count


@pytest.fixture(scope="module")
def mariadb():
    server = db_support.start("mariadb")
    yield server
    server.stop()


def run_import(k, dsn, *extra):
    r = k.cli("--json", "import", "web-cyradm", "--dsn", dsn, *extra)
    return json.loads(r.stdout)


def test_import_then_old_logins_and_aliases_work(mariadb, tmp_path):
    dsn = wc.create(mariadb)
    k = Kurier(tmp_path)

    dry = run_import(k, dsn, "--dry-run")
    assert dry["dry_run"] and dry["imported"]["accounts"] == 3
    assert "prefix.test" not in k.cli("domain", "list").stdout  # nothing written

    report = run_import(k, dsn)
    assert report["imported"] == {"domains": 1, "accounts": 3, "aliases": 2}
    assert report["existing"] == {"admins": 1}  # init's admin; the old one keeps kurier's password
    assert any(s["item"] == "account cyrus" for s in report["skipped"])
    again = run_import(k, dsn)
    assert again["imported"] == {}
    assert again["existing"] == {"domains": 1, "accounts": 3, "aliases": 2, "admins": 1}

    shown = json.loads(k.cli("--json", "domain", "show", "prefix.test").stdout)
    assert shown["username_scheme"] == "prefix" and shown["max_accounts"] == 50
    user = json.loads(k.cli("--json", "user", "show", "alice@prefix.test").stdout)
    assert user["login"] == "test0001"

    k.set_config("auth", "free_failures", "1000")
    k.start()
    try:
        m = imaplib.IMAP4(k.host, k.port("imap"))
        m.login("test0001", "one-secret")
        m.logout()
        p = poplib.POP3(k.host, k.port("pop3"))
        p.user("test0002")
        p.pass_("two-secret")
        p.quit()
        with smtplib.SMTP(k.host, k.port("submission")) as s:
            s.login("test0003", "three-secret")
        with pytest.raises(imaplib.IMAP4.error):
            imaplib.IMAP4(k.host, k.port("imap")).login("test0002", "wrong")
        with smtplib.SMTP(k.host, k.port("smtp")) as s:
            s.sendmail("someone@example.net", ["info@prefix.test"], b"Subject: old alias\r\n\r\nx\r\n")
            s.sendmail("someone@example.net", ["nobody@prefix.test"], b"Subject: catch-all\r\n\r\nx\r\n")
        assert message_count(k, "test0001", password="one-secret") == 1
        assert message_count(k, "test0002", password="two-secret") == 1
        assert message_count(k, "test0003", password="three-secret") == 1
        if DIRECTORY_BACKEND == "sqlite":
            # The MD5-crypt and PASSWORD() hashes were replaced at their first login.
            db = sqlite3.connect(f"file:{k.dir / 'directory.db'}?mode=ro", uri=True)
            hashes = dict(db.execute("SELECT login, password_hash FROM accounts"))
            db.close()
            assert all(h.startswith("$y$") for h in hashes.values()), hashes
    finally:
        assert k.stop() == 0


def test_an_unreachable_source_is_a_clear_error(tmp_path):
    k = Kurier(tmp_path)
    r = k.run_cli("import", "web-cyradm", "--dsn", "mariadb://u:hidden@127.0.0.1:1/mail?connect_timeout=2", check=False)
    assert r.returncode != 0 and "127.0.0.1" in r.stderr and "hidden" not in r.stderr
