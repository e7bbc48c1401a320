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
