"""The "sql" directory backend: the seed's Web-cyradm database in a real MariaDB, read unchanged
(issue 12 item 2): IMAP, POP3 and SMTP AUTH logins with the password schemes Web-cyradm wrote,
delivery to addresses, aliases and the catch-all, the per-service switches of accountuser, and
nothing written to that database."""
import base64
import imaplib
import poplib
import smtplib

import pytest

import db_support
import webcyradm_support as wc
from conftest import Kurier
from imap_support import message_count


@pytest.fixture(scope="module")
def mariadb():
    server = db_support.start("mariadb")
    yield server
    server.stop()


@pytest.fixture
def cyradm_kurier(mariadb, tmp_path):
    dsn = wc.create(mariadb)
    k = Kurier(tmp_path)  # the embedded directory first (init), then the Web-cyradm database
    k.set_config("directory", "dsn", f'"{dsn}"')
    k.set_config("directory", "backend", '"sql"')
    k.set_config("auth", "free_failures", "1000")
    k.start()
    yield k, dsn
    k.stop()


def imap_login(k, login, password):
    m = imaplib.IMAP4(k.host, k.port("imap"))
    m.login(login, password)
    return m


def test_logins_with_every_hash_scheme_the_seed_wrote(cyradm_kurier):
    k, _ = cyradm_kurier
    for login, (password, _) in wc.ACCOUNTS.items():
        imap_login(k, login, password).logout()
    with pytest.raises(imaplib.IMAP4.error):
        imap_login(k, "test0002", "wrong")
    with pytest.raises(imaplib.IMAP4.error):
        imap_login(k, "admin", "test")  # a Web-cyradm admin is no mail account
    p = poplib.POP3(k.host, k.port("pop3"))
    p.user("test0002")
    p.pass_("two-secret")
    p.quit()
    with smtplib.SMTP(k.host, k.port("submission")) as s:
        s.ehlo("client.example")
        s.login("test0003", "three-secret")
        s.sendmail("carol@prefix.test", ["bob@prefix.test"], b"Subject: from carol\r\n\r\nhi\r\n")
    assert "directory.plaintext_password" in k.log_text()


def test_delivery_to_addresses_aliases_and_the_catch_all(cyradm_kurier):
    k, _ = cyradm_kurier
    with smtplib.SMTP(k.host, k.port("smtp")) as s:
        s.sendmail("someone@example.net", ["alice@prefix.test"], b"Subject: to alice\r\n\r\nx\r\n")
        s.sendmail("someone@example.net", ["info@prefix.test"], b"Subject: to info\r\n\r\nx\r\n")
        s.sendmail("someone@example.net", ["nobody@prefix.test"], b"Subject: catch-all\r\n\r\nx\r\n")
        code, _ = s.rcpt("x@unhosted.example") if s.mail("someone@example.net")[0] == 250 else (0, b"")
        assert code == 554  # not a local domain: no relay
        s.rset()
        s.mail("someone@example.net")
        assert s.rcpt("old@prefix.test")[0] == 250  # status 0 is no alias: the catch-all takes it
    assert message_count(k, "test0001", password="one-secret") == 2   # alice, info
    assert message_count(k, "test0002", password="two-secret") == 1   # info
    assert message_count(k, "test0003", password="three-secret") == 1  # the catch-all


def test_the_other_database_is_never_written(cyradm_kurier, mariadb):
    k, dsn = cyradm_kurier
    database = dsn.split("?")[0].rsplit("/", 1)[1]
    before = mariadb.sql("SELECT username, password FROM accountuser ORDER BY username", database=database)
    imap_login(k, "test0001", "one-secret").logout()  # a plaintext hash kurier would upgrade if it could
    r = k.run_cli("user", "add", "new@prefix.test", "--password-stdin", input="password-123\n", check=False)
    assert r.returncode != 0 and "read-only" in r.stderr
    after = mariadb.sql("SELECT username, password FROM accountuser ORDER BY username", database=database)
    assert before == after
    assert mariadb.sql("SHOW TABLES", database=database) == [["accountuser"], ["adminuser"], ["domain"],
                                                              ["domainadmin"], ["settings"], ["virtual"]]


def sieve_login_answer(k, login, password):
    """The final line of a ManageSieve AUTHENTICATE PLAIN (RFC 5804 2.1)."""
    from test_managesieve import RawSieve
    raw = RawSieve(k)
    try:
        ir = base64.b64encode(f"\0{login}\0{password}".encode()).decode()
        return raw.command(f'AUTHENTICATE "PLAIN" "{ir}"')[1]
    finally:
        raw.close()


def pop3_login_works(k, login, password):
    p = poplib.POP3(k.host, k.port("pop3"))
    try:
        p.user(login)
        p.pass_(password)
        return True
    except poplib.error_proto:
        return False
    finally:
        p.close()


def smtp_auth_works(k, login, password):
    with smtplib.SMTP(k.host, k.port("submission")) as s:
        s.ehlo("client.example")
        try:
            s.login(login, password)
            return True
        except smtplib.SMTPAuthenticationError:
            return False


def imap_login_works(k, login, password):
    try:
        imap_login(k, login, password).logout()
        return True
    except imaplib.IMAP4.error:
        return False


def test_the_per_service_switches_of_web_cyradm(cyradm_kurier, mariadb):
    """accountuser's imap, pop, sieve and smtpauth columns (the seed's pam services) switch each
    login path off and on again, read through [directory] services_query."""
    k, dsn = cyradm_kurier
    database = dsn.split("?")[0].rsplit("/", 1)[1]
    login, password = "test0002", "two-secret"

    def switch(**columns):
        sets = ", ".join(f"{c} = {v}" for c, v in columns.items())
        mariadb.sql(f"UPDATE accountuser SET {sets} WHERE username = '{login}'", database=database)

    assert imap_login_works(k, login, password) and pop3_login_works(k, login, password)
    assert smtp_auth_works(k, login, password) and sieve_login_answer(k, login, password).startswith(b"OK")
    switch(imap=0)
    assert not imap_login_works(k, login, password)
    assert pop3_login_works(k, login, password)
    switch(imap=1, pop=0)
    assert imap_login_works(k, login, password)
    assert not pop3_login_works(k, login, password)
    switch(pop=1, smtpauth=0)
    assert not smtp_auth_works(k, login, password)
    assert pop3_login_works(k, login, password)
    switch(smtpauth=1, sieve=0)
    assert sieve_login_answer(k, login, password).startswith(b"NO")
    assert smtp_auth_works(k, login, password)
    switch(sieve=1)
    assert sieve_login_answer(k, login, password).startswith(b"OK")
    # Another account's switches are its own.
    switch(imap=0, pop=0, sieve=0, smtpauth=0)
    assert imap_login_works(k, "test0001", "one-secret")
    assert not imap_login_works(k, login, password)
