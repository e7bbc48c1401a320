"""The directory cache's bound (directory/cached_directory.h): a server with the default
[directory] cache_check_interval_ms (250 ms) serves logins and RCPT lookups from its cache, and a
change the CLI makes (another process) reaches it within that bound: a changed password, a
disabled or removed account stop working, an address that was unknown starts working. Each check
polls for the new behaviour with a timeout far below anything a cache without invalidation would
reach (it would answer from the cache forever), so these tests fail without the invalidation.
Runs on every directory backend (scripts/test.sh: KURIER_DIRECTORY_BACKEND)."""
import imaplib
import smtplib
import time

import pytest

from conftest import Kurier, wait_for

BOUND_S = 5  # the bound is 0.25 s; the rest is the CLI's and an ASan build's slowness


def imap_login(k, address, password):
    im = imaplib.IMAP4(k.host, k.port("imap"))
    try:
        im.login(address, password)
        return True
    except imaplib.IMAP4.error:
        return False
    finally:
        try:
            im.logout()
        except Exception:
            pass


def rcpt_code(k, address):
    with smtplib.SMTP(k.host, k.port("smtp"), timeout=30) as s:
        s.ehlo("client.test")
        s.mail("someone@remote.test")
        code, _ = s.rcpt(address)
        return code


@pytest.fixture
def cached_kurier(tmp_path):
    k = Kurier(tmp_path, cache_check_interval_ms=None)  # the default interval, as deployed
    k.set_config("auth", "free_failures", "1000")
    k.start()
    yield k
    k.stop()


def keeps_answering(pred, seconds=1.0):
    """pred stays true over a while (the cache really serves: the server answers unchanged)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not pred():
            return False
    return True


def test_a_password_changed_by_the_cli_stops_working_within_the_bound(cached_kurier):
    k = cached_kurier
    address, password = k.add_user()
    assert imap_login(k, address, password)  # the account is now cached, the password verified
    k.cli("user", "set", address, "--password-stdin", input="a-new-password\n")
    wait_for(lambda: not imap_login(k, address, password), "the old password to be refused", timeout=BOUND_S)
    assert imap_login(k, address, "a-new-password")
    # Once refused, it stays refused (no copy of the old account comes back).
    assert keeps_answering(lambda: not imap_login(k, address, password), seconds=0.6)


def test_a_disabled_account_stops_logging_in_and_receiving_within_the_bound(cached_kurier):
    k = cached_kurier
    address, password = k.add_user()
    assert imap_login(k, address, password)
    assert rcpt_code(k, address) == 250
    k.cli("user", "set", address, "--enabled", "no")
    wait_for(lambda: not imap_login(k, address, password), "the disabled account's login to fail", timeout=BOUND_S)
    wait_for(lambda: rcpt_code(k, address) == 550, "RCPT to the disabled account to be refused", timeout=BOUND_S)
    k.cli("user", "set", address, "--enabled", "yes")
    wait_for(lambda: imap_login(k, address, password), "the login to work again", timeout=BOUND_S)


def test_a_removed_account_stops_working_within_the_bound(cached_kurier):
    k = cached_kurier
    address, password = k.add_user()
    assert imap_login(k, address, password)
    assert rcpt_code(k, address) == 250
    k.cli("user", "remove", address)
    wait_for(lambda: not imap_login(k, address, password), "the removed account's login to fail", timeout=BOUND_S)
    wait_for(lambda: rcpt_code(k, address) == 550, "RCPT to the removed account to be refused", timeout=BOUND_S)


def test_an_unknown_address_is_cached_and_becomes_known_within_the_bound(cached_kurier):
    k = cached_kurier
    address = f"later-{time.monotonic_ns()}@{k.domain}"
    assert rcpt_code(k, address) == 550  # a negative entry now
    assert rcpt_code(k, address) == 550
    k.add_user(address)
    wait_for(lambda: rcpt_code(k, address) == 250, "the new account to accept mail", timeout=BOUND_S)
    k.cli("alias", "add", f"alias-{address}", address)
    wait_for(lambda: rcpt_code(k, f"alias-{address}") == 250, "the new alias to accept mail", timeout=BOUND_S)
