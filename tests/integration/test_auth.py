"""Logins end to end, through IMAP with Python's imaplib: the directory changes the CLI makes reach
the running server at once, SCRAM-SHA-256 works with an independent client implementation, and
failed logins are slowed down per client IP and logged."""
import base64
import hashlib
import hmac
import imaplib
import os
import time

import pytest


def login(k, address, password):
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


def test_cli_changes_take_effect_without_restart(kurier):
    address, password = kurier.add_user()
    assert login(kurier, address, password)
    kurier.cli("user", "set", address, "--password-stdin", input="another-password\n")
    assert not login(kurier, address, password)
    assert login(kurier, address, "another-password")
    kurier.cli("user", "set", address, "--enabled", "no")
    assert not login(kurier, address, "another-password")
    kurier.cli("user", "set", address, "--enabled", "yes", "--disable", "imap")
    assert not login(kurier, address, "another-password")
    kurier.cli("user", "set", address, "--enable", "imap")
    assert login(kurier, address, "another-password")
    kurier.cli("user", "remove", address)
    assert not login(kurier, address, "another-password")


def test_admin_accounts_cannot_log_in_to_mail(kurier):
    assert not login(kurier, "admin", kurier.admin_password)


def test_prefix_scheme_login_name(kurier):
    kurier.cli("domain", "add", "prefix.test", "--username-scheme", "prefix", "--prefix", "pfx")
    kurier.add_user("someone@prefix.test")
    assert login(kurier, "pfx0001", "password-1")
    assert login(kurier, "someone@prefix.test", "password-1")


def scram_client(username, password):
    """An RFC 5802 / RFC 7677 SCRAM-SHA-256 client written from the RFC, for imaplib.authenticate."""
    nonce = base64.b64encode(os.urandom(18)).decode()
    first_bare = f"n={username},r={nonce}"
    state = {"step": 0}

    def respond(challenge):
        if state["step"] == 0:
            state["step"] = 1
            return ("n,," + first_bare).encode()
        if state["step"] == 1:
            state["step"] = 2
            server_first = challenge.decode()
            fields = dict(f.split("=", 1) for f in server_first.split(","))
            assert fields["r"].startswith(nonce)
            salted = hashlib.pbkdf2_hmac("sha256", password.encode(), base64.b64decode(fields["s"]), int(fields["i"]))
            client_key = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
            stored_key = hashlib.sha256(client_key).digest()
            final_bare = f"c=biws,r={fields['r']}"
            auth_message = f"{first_bare},{server_first},{final_bare}".encode()
            signature = hmac.new(stored_key, auth_message, hashlib.sha256).digest()
            proof = bytes(a ^ b for a, b in zip(client_key, signature))
            server_key = hmac.new(salted, b"Server Key", hashlib.sha256).digest()
            state["expect"] = base64.b64encode(hmac.new(server_key, auth_message, hashlib.sha256).digest()).decode()
            return f"{final_bare},p={base64.b64encode(proof).decode()}".encode()
        assert challenge.decode() == "v=" + state["expect"], "server signature does not verify"
        state["step"] = 3
        return b""

    return respond, state


def test_scram_sha_256_login(kurier, user):
    address, password = user
    im = imaplib.IMAP4(kurier.host, kurier.port("imap"))
    assert "AUTH=SCRAM-SHA-256" in im.capabilities
    respond, state = scram_client(address, password)
    typ, _ = im.authenticate("SCRAM-SHA-256", respond)
    assert typ == "OK"
    im.logout()


def test_scram_sha_256_wrong_password(kurier, user):
    address, _ = user
    im = imaplib.IMAP4(kurier.host, kurier.port("imap"))
    respond, _ = scram_client(address, "not-the-password")
    with pytest.raises(imaplib.IMAP4.error):
        im.authenticate("SCRAM-SHA-256", respond)
    im.logout()


def test_failed_logins_are_slowed_down_and_logged(fresh_kurier):
    k = fresh_kurier.start()
    address, _ = k.add_user()
    durations = []
    for _ in range(5):
        t0 = time.monotonic()
        assert not login(k, address, "wrong-password")
        durations.append(time.monotonic() - t0)
    # The throttle lets 3 failures through at once, then holds answers back (1 s, 2 s, ...).
    assert durations[-1] >= 0.9, durations
    assert login(k, address, "password-1")
    log = k.log_text()
    assert f"auth.fail" in log and f"user={address}" in log and "ip=127.0.0.1" in log


def _throttled_kurier(k):
    """One failure free, then every failure costs 1 s: short enough for a test, long enough to see."""
    k.set_config("auth", "free_failures", "2")
    k.set_config("auth", "max_delay_ms", "1000")
    return k.start()


def test_own_success_does_not_reset_a_guessing_run(fresh_kurier):
    k = _throttled_kurier(fresh_kurier)
    own, own_password = k.add_user()
    victims = [k.add_user()[0] for _ in range(4)]
    # Spraying one guess per account keeps every account's own count low: only the address's
    # count slows this down.
    for victim in victims[:3]:
        assert not login(k, victim, "guess")
    assert login(k, own, own_password)  # the attacker's own account, from the same address
    t0 = time.monotonic()
    assert not login(k, victims[3], "guess")
    # The address still owes a delay: its failures on other accounts were not forgotten.
    assert time.monotonic() - t0 >= 0.9


def test_parallel_connections_cannot_outrun_the_throttle(fresh_kurier):
    import concurrent.futures
    k = _throttled_kurier(fresh_kurier)
    address, _ = k.add_user()
    for _ in range(3):
        assert not login(k, address, "guess")
    # Six guesses at once on six connections: each waits for its own slot, one delay apart, so
    # the last answer comes about five delays after the first instead of all after one.
    t0 = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(6) as pool:
        results = list(pool.map(lambda i: login(k, address, f"guess{i}"), range(6)))
    assert results == [False] * 6
    assert time.monotonic() - t0 >= 4.5
    assert login(k, address, "password-1")
