"""Inbound SMTP (RFC 5321, port "smtp") and message submission (RFC 6409, "submission" with
STARTTLS and "submissions" with implicit TLS) against a real `kurier serve`, with Python's smtplib,
swaks and raw sockets. Answers follow docs/INTERFACE.md "Mail-flow answers clients see" and the seed's
CHECKLIST (Submission). Delivered messages are read back with imaplib.
"""
import json
import base64
import email
import itertools
import os
import smtplib
import socket
import ssl
import subprocess
import time

import pytest

from imap_support import inbox
from smtp_support import RawSmtp

from conftest import PASSWORD
from test_auth import scram_client

_n = itertools.count(1)


# ---- helpers ------------------------------------------------------------------------------------

def new_domain(k, *extra):
    name = f"smtp{next(_n)}-{os.getpid()}.test"
    k.cli("domain", "add", name, *extra)
    return name


def new_user(k, domain=None):
    address = f"u{next(_n)}@{domain or new_domain(k)}"
    k.add_user(address, PASSWORD)
    return address


def message(subject="hello", sender="sender@elsewhere.example", extra="", body="Hello there.\r\n"):
    return (f"From: {sender}\r\nTo: someone\r\nSubject: {subject}\r\n{extra}"
            f"Message-ID: <{time.time_ns()}.{next(_n)}@client.test>\r\n"
            f"Date: Fri, 27 Nov 2026 01:00:00 +0000\r\n\r\n{body}").encode()


def smtp(k, port="smtp"):
    c = smtplib.SMTP(k.host, k.port(port), timeout=60)
    code, _ = c.ehlo("client.test")
    assert code == 250
    return c


def submission(k, address, password=PASSWORD, port="submission"):
    if port == "submissions":
        c = smtplib.SMTP_SSL(k.host, k.port(port), timeout=60, context=k.ssl_context())
        c.ehlo("client.test")
    else:
        c = smtp(k, port)
    c.login(address, password)
    return c


def swaks(k, *args, port="smtp"):
    """Runs swaks (plaintext: the installed swaks has no Net::SSLeay); returns (exit status, transcript)."""
    cmd = ["swaks", "--server", k.host, "--port", str(k.port(port)), "--helo", "swaks.test", "--timeout", "30",
           "--suppress-data"] + list(args)
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=90)
    return r.returncode, r.stdout + r.stderr


class Raw(RawSmtp):
    """A line-level SMTP client for what smtplib will not send."""

    def __init__(self, k, port="smtp"):
        self.k = k
        super().__init__(socket.create_connection((k.host, k.port(port)), timeout=30))

    def starttls(self):
        assert self.cmd("STARTTLS")[0].startswith("220 2.0.0")
        assert self.buf == b""
        self.sock = self.k.ssl_context().wrap_socket(self.sock)

    def closed(self):
        try:
            return self.sock.recv(1) == b""
        except OSError:
            return True


# ---- inbound SMTP --------------------------------------------------------------------------------

def test_greeting_and_ehlo_keywords(kurier):
    r = Raw(kurier)
    assert r.greeting[0].startswith("220 localhost ")
    ehlo = r.cmd("EHLO client.test")
    assert ehlo[0] == "250-localhost"
    keywords = {line[4:].split(" ")[0] for line in ehlo[1:]}
    for k in ("PIPELINING", "SIZE", "8BITMIME", "ENHANCEDSTATUSCODES", "STARTTLS", "SMTPUTF8", "CHUNKING", "DSN"):
        assert k in keywords, ehlo
    assert "AUTH" not in keywords  # port 25 is for incoming mail, not logins
    assert f"250-SIZE {50 * 1024 * 1024}" in ehlo
    assert r.cmd("HELO client.test") == ["250 localhost"]
    assert r.cmd("QUIT")[0].startswith("221 2.0.0")


def test_message_to_local_user_reaches_inbox(kurier):
    rcpt = new_user(kurier)
    with smtp(kurier) as c:
        # RFC 3461 parameters are accepted (and kept for the queue).
        refused = c.sendmail("sender@elsewhere.example", [rcpt], message("inbound"),
                             mail_options=["RET=HDRS", "ENVID=env-1"],
                             rcpt_options=["NOTIFY=SUCCESS,FAILURE", "ORCPT=rfc822;orig@elsewhere.example"])
        assert refused == {}
    [stored] = inbox(kurier, rcpt)
    msg = email.message_from_bytes(stored)
    assert msg["Subject"] == "inbound"
    assert msg["Return-Path"] == "<sender@elsewhere.example>"
    received = msg["Received"]
    assert "from client.test" in received and "by localhost" in received
    assert "with ESMTP " in received and f"for <{rcpt}>" in received


def test_unknown_local_user_550(kurier):
    domain = new_domain(kurier)
    with smtp(kurier) as c:
        c.mail("sender@elsewhere.example")
        code, text = c.rcpt(f"nobody@{domain}")
        assert (code, text[:5]) == (550, b"5.1.1")
    rc, out = swaks(kurier, "--to", f"nobody@{domain}", "--from", "sender@elsewhere.example")
    assert rc != 0 and "<** 550 5.1.1" in out, out


def test_remote_recipient_without_auth_is_relay_denied(kurier):
    with smtp(kurier) as c:
        c.mail("sender@elsewhere.example")
        code, text = c.rcpt("someone@remote.example")
        assert (code, text[:5]) == (554, b"5.7.1"), text
        c.rset()
        with pytest.raises(smtplib.SMTPRecipientsRefused):
            c.sendmail("sender@elsewhere.example", ["someone@remote.example"], message())
    rc, out = swaks(kurier, "--to", "someone@remote.example", "--from", "sender@elsewhere.example")
    assert rc != 0 and "<** 554 5.7.1" in out, out


def test_over_quota_452(kurier):
    domain = new_domain(kurier)
    rcpt = f"full@{domain}"
    kurier.add_user(rcpt, PASSWORD, "--quota", "1")
    with smtp(kurier) as c:
        c.sendmail("sender@elsewhere.example", [rcpt], message(body="x" * 2000 + "\r\n"))  # crosses the quota
        c.mail("sender@elsewhere.example")
        code, text = c.rcpt(rcpt)
        assert (code, text[:5]) == (452, b"4.2.2"), text


def test_starttls_then_ehlo_again(kurier):
    rcpt = new_user(kurier)
    with smtp(kurier) as c:
        c.starttls(context=kurier.ssl_context())
        # RFC 3207 4.2: the session starts over; the client must EHLO again.
        code, text = c.mail("sender@elsewhere.example")
        assert code == 503, text
        c.ehlo("client.test")
        assert not c.has_extn("starttls")
        assert c.sendmail("sender@elsewhere.example", [rcpt], message("over tls")) == {}
    [stored] = inbox(kurier, rcpt)
    assert "with ESMTPS " in email.message_from_bytes(stored)["Received"]


def test_starttls_drops_pipelined_plaintext(kurier):
    r = Raw(kurier)
    r.cmd("EHLO client.test")
    # RFC 3207 5: commands sent with STARTTLS in the same packet are not executed after TLS.
    r.send("STARTTLS\r\nMAIL FROM:<injected@elsewhere.example>\r\n")
    assert r.reply()[0].startswith("220 2.0.0")
    r.buf = b""
    r.sock = kurier.ssl_context().wrap_socket(r.sock)
    ehlo = r.cmd("EHLO client.test")
    assert ehlo[0] == "250-localhost", ehlo
    assert r.cmd("RCPT TO:<someone@example.test>")[0].startswith("503 5.5.1")  # no MAIL happened
    assert r.cmd("STARTTLS")[0].startswith("503 5.5.1")


def test_pipelining(kurier):
    domain = new_domain(kurier)
    a, b = new_user(kurier, domain), new_user(kurier, domain)
    r = Raw(kurier)
    r.cmd("EHLO client.test")
    r.send(f"MAIL FROM:<sender@elsewhere.example>\r\nRCPT TO:<{a}>\r\nRCPT TO:<nobody@{domain}>\r\n"
           f"RCPT TO:<{b}>\r\nRCPT TO:<x@remote.example>\r\nDATA\r\n")
    codes = [r.reply()[0][:9] for _ in range(6)]
    assert codes == ["250 2.1.0", "250 2.1.5", "550 5.1.1", "250 2.1.5", "554 5.7.1", "354 Start"], codes
    r.send(message("pipelined") + b".\r\nNOOP\r\nQUIT\r\n")
    assert r.reply()[0].startswith("250 2.0.0")
    assert r.reply()[0].startswith("250 2.0.0")
    assert r.reply()[0].startswith("221 2.0.0")
    assert len(inbox(kurier, a)) == 1 and len(inbox(kurier, b)) == 1


def test_chunking_bdat(kurier):
    rcpt = new_user(kurier)
    r = Raw(kurier)
    r.cmd("EHLO client.test")
    body = message("chunked")
    r.send(f"MAIL FROM:<s@elsewhere.example>\r\nRCPT TO:<{rcpt}>\r\nBDAT 10\r\n".encode() + body[:10] +
           f"BDAT {len(body) - 10} LAST\r\n".encode() + body[10:])
    assert [r.reply()[0][:9] for _ in range(4)] == ["250 2.1.0", "250 2.1.5", "250 2.0.0", "250 2.0.0"]
    [stored] = inbox(kurier, rcpt)
    assert stored.endswith(body)


def test_size_limit_552(fresh_kurier):
    k = fresh_kurier
    k.set_config("limits", "max_message_size", "2048")
    k.start()
    rcpt, _ = k.add_user()
    with smtp(k) as c:
        assert c.esmtp_features["size"] == "2048"
        code, text = c.mail("sender@elsewhere.example", ["SIZE=4096"])  # RFC 1870 6.1
        assert (code, text[:5]) == (552, b"5.3.4")
        # without SIZE at MAIL, the body itself is measured
        assert c.mail("sender@elsewhere.example")[0] == 250 and c.rcpt(rcpt)[0] == 250
        code, text = c.data(message(body="x" * 5000 + "\r\n"))
        assert (code, text[:5]) == (552, b"5.3.4"), text
        assert c.sendmail("sender@elsewhere.example", [rcpt], message("small")) == {}
    rc, out = swaks(k, "--to", rcpt, "--from", "sender@elsewhere.example", "--body", "y" * 5000)
    assert rc != 0 and "<** 552 5.3.4" in out, out
    assert [email.message_from_bytes(m)["Subject"] for m in inbox(k, rcpt)] == ["small"]


def test_bad_input_changes_nothing(kurier):
    rcpt = new_user(kurier)
    with smtp(kurier) as c:
        c.sendmail("sender@elsewhere.example", [rcpt], message("before"))
    before = inbox(kurier, rcpt)
    r = Raw(kurier)
    assert r.cmd("FROBNICATE now")[0].startswith("500 5.5.1")
    assert r.cmd("EHLO client.test")[0] == "250-localhost"
    assert r.cmd("MAIL FROM:" + "a" * 5000)[0].startswith("500 5.5.2")
    assert r.cmd("MAIL FROM:<broken")[0][:1] == "5"
    assert r.cmd("RCPT TO:<x@y.example>")[0].startswith("503 5.5.1")
    assert r.cmd("DATA")[0].startswith("503 5.5.1")
    assert r.cmd("AUTH PLAIN AGFAAGI=")[0].startswith("502 5.5.1")  # no AUTH on port 25
    assert r.cmd("\x00\x01\x02\xff garbage")[0][:1] == "5"
    replies = []
    while len(replies) < 25 and not replies[-1:] == ["421"]:  # limits.max_bad_commands is 20
        replies.append(r.cmd("NONSENSE")[0][:3])
    assert set(replies[:-1]) == {"500"} and replies[-1] == "421", replies
    assert r.closed()
    assert inbox(kurier, rcpt) == before
    rc, out = swaks(kurier, "--quit-after", "EHLO", "--to", "x@example.test")  # the server still serves
    assert rc == 0, out


# ---- submission ----------------------------------------------------------------------------------

def test_submission_requires_auth_530(kurier):
    rcpt = new_user(kurier)
    with smtp(kurier, "submission") as c:
        assert c.has_extn("auth") and c.has_extn("starttls")
        code, text = c.mail(rcpt)
        assert (code, text[:5]) == (530, b"5.7.0"), text
    rc, out = swaks(kurier, "--to", rcpt, "--from", rcpt, port="submission")
    assert rc != 0 and "<** 530 5.7.0" in out, out


def test_submission_wrong_password_535(kurier):
    sender = new_user(kurier)
    with smtp(kurier, "submission") as c:
        with pytest.raises(smtplib.SMTPAuthenticationError) as e:
            c.login(sender, "wrong-password")
        assert (e.value.smtp_code, e.value.smtp_error[:5]) == (535, b"5.7.8")
    rc, out = swaks(kurier, "--to", sender, "--from", sender, "--auth", "LOGIN", "--auth-user", sender,
                    "--auth-password", "wrong-password", port="submission")
    assert rc != 0 and "<** 535 5.7.8" in out, out


def test_submission_delivers_with_added_headers(kurier):
    domain = new_domain(kurier)
    sender, rcpt = new_user(kurier, domain), new_user(kurier, domain)
    msg = f"From: {sender}\r\nTo: {rcpt}\r\nSubject: no id\r\n\r\nBody.\r\n".encode()
    with submission(kurier, sender) as c:
        assert c.sendmail(sender, [rcpt], msg) == {}
    [stored] = inbox(kurier, rcpt)
    m = email.message_from_bytes(stored)
    assert m["Message-ID"].startswith("<") and m["Message-ID"].endswith("@localhost>")
    assert email.utils.parsedate_to_datetime(m["Date"]) is not None
    assert "with ESMTPA " in m["Received"]  # loopback without TLS (allowed on loopback by default)
    assert m["Subject"] == "no id" and m.get_payload() == "Body.\r\n"
    # swaks with AUTH PLAIN (plaintext allowed on loopback by default; swaks here has no TLS support)
    rc, out = swaks(kurier, "--to", rcpt, "--from", sender, "--auth", "PLAIN", "--auth-user", sender,
                    "--auth-password", PASSWORD, port="submission")
    assert rc == 0, out
    assert len(inbox(kurier, rcpt)) == 2


def test_submissions_implicit_tls(kurier):
    domain = new_domain(kurier)
    sender, rcpt = new_user(kurier, domain), new_user(kurier, domain)
    with submission(kurier, sender, port="submissions") as c:
        assert not c.has_extn("starttls")
        assert c.sendmail(sender, [rcpt], message("tls", sender=sender)) == {}
    [stored] = inbox(kurier, rcpt)
    assert "with ESMTPSA " in email.message_from_bytes(stored)["Received"]


def test_submission_scram_sha_256(kurier):
    domain = new_domain(kurier)
    sender, rcpt = new_user(kurier, domain), new_user(kurier, domain)
    with smtp(kurier, "submission") as c:
        respond, state = scram_client(sender, PASSWORD)
        code, _ = c.auth("SCRAM-SHA-256", lambda challenge=None: respond(challenge).decode(), initial_response_ok=False)
        assert code == 235 and state["step"] == 3  # the server's signature was checked
        assert c.sendmail(sender, [rcpt], message("scram", sender=sender)) == {}


def test_submission_sender_policy_553(kurier):
    domain = new_domain(kurier)
    sender, other = new_user(kurier, domain), new_user(kurier, domain)
    alias = f"team@{domain}"
    kurier.cli("alias", "add", alias, sender)
    with submission(kurier, sender) as c:
        code, text = c.mail(other)
        assert (code, text[:5]) == (553, b"5.7.1"), text
        code, text = c.mail("someone@remote.example")
        assert (code, text[:5]) == (553, b"5.7.1"), text
        # From: of someone else is refused after DATA; nothing is stored
        with pytest.raises(smtplib.SMTPDataError) as e:
            c.sendmail(sender, [other], message("forged", sender=other))
        assert (e.value.smtp_code, e.value.smtp_error[:5]) == (553, b"5.7.1")
        # an alias that reaches the account may be used
        assert c.sendmail(alias, [other], message("as alias", sender=f"Team <{alias}>")) == {}
    assert [email.message_from_bytes(m)["Subject"] for m in inbox(kurier, other)] == ["as alias"]
    rc, out = swaks(kurier, "--to", other, "--from", other, "--auth", "PLAIN", "--auth-user", sender,
                    "--auth-password", PASSWORD, port="submission")
    assert rc != 0 and "<** 553 5.7.1" in out, out


def test_submission_prefix_login_is_rewritten(kurier):
    prefix = f"p{next(_n)}x"
    domain = new_domain(kurier, "--username-scheme", "prefix", "--prefix", prefix)
    primary = f"someone@{domain}"
    kurier.add_user(primary, PASSWORD)
    login = f"{prefix}0001"  # the domain's first login (seed scheme: test0001, ...)
    rcpt = new_user(kurier, domain)
    msg = f"From: {login}\r\nTo: {rcpt}\r\nSubject: canonical\r\n\r\nHi.\r\n".encode()
    with submission(kurier, login) as c:
        assert c.sendmail(login, [rcpt], msg) == {}
    [stored] = inbox(kurier, rcpt)
    m = email.message_from_bytes(stored)
    assert m["Return-Path"] == f"<{primary}>"
    assert email.utils.parseaddr(m["From"])[1] == primary
    assert login not in stored.decode()


def test_submission_remote_recipient_goes_to_relay(fresh_kurier):
    kurier = fresh_kurier
    # The remote domain's route leads nowhere (port 9 refuses), so the message stays queued.
    kurier.set_config("outbound.routes", '"remote.example"', '"127.0.0.1:9"')
    kurier.start()
    sender = new_user(kurier)
    with submission(kurier, sender) as c:
        c.mail(sender)
        code, text = c.rcpt("someone@remote.example")
        assert (code, text[:5]) == (250, b"2.1.5"), text
        code, text = c.data(b"Subject: out\r\n\r\nto the world\r\n")
        assert code == 250, text
    queued = json.loads(kurier.cli("queue", "list", "--json").stdout)
    assert any("someone@remote.example" in json.dumps(m) and sender in json.dumps(m) for m in queued), queued


def test_auth_cancel_bad_base64_and_order(kurier):
    sender = new_user(kurier)
    r = Raw(kurier, "submission")
    assert r.cmd("AUTH PLAIN")[0].startswith("503 5.5.1")  # EHLO first
    r.cmd("EHLO client.test")
    assert r.cmd("AUTH LOGIN")[0].startswith("334 ")
    assert r.cmd("*")[0].startswith("501 5.0.0")
    assert r.cmd("AUTH PLAIN !!!notbase64")[0].startswith("501 5.5.2")
    assert r.cmd("AUTH CRAM-MD5")[0].startswith("504 5.5.4")
    plain = base64.b64encode(f"\0{sender}\0{PASSWORD}".encode()).decode()
    assert r.cmd("AUTH PLAIN " + plain)[0].startswith("235 2.7.0")
    assert r.cmd("AUTH PLAIN " + plain)[0].startswith("503 5.5.1")
    assert r.cmd(f"MAIL FROM:<{sender}>")[0].startswith("250 2.1.0")


def test_plaintext_auth_needs_tls_538(fresh_kurier):
    k = fresh_kurier
    k.set_config("auth", "allow_plaintext_on_loopback", "false")
    k.start()
    sender, _ = k.add_user()
    plain = base64.b64encode(f"\0{sender}\0{PASSWORD}".encode()).decode()
    r = Raw(k, "submission")
    ehlo = r.cmd("EHLO client.test")
    auth_line = next(line for line in ehlo if line[4:].startswith("AUTH"))
    assert "PLAIN" not in auth_line and "SCRAM-SHA-256" in auth_line
    assert r.cmd("AUTH PLAIN " + plain)[0].startswith("538 5.7.11")
    assert r.cmd("AUTH LOGIN")[0].startswith("538 5.7.11")
    r.starttls()
    ehlo = r.cmd("EHLO client.test")
    assert any("PLAIN" in line for line in ehlo if line[4:].startswith("AUTH"))
    assert r.cmd("AUTH PLAIN " + plain)[0].startswith("235 2.7.0")
    rc, out = swaks(k, "--to", sender, "--from", sender, "--auth", "PLAIN", "--auth-user", sender,
                    "--auth-password", PASSWORD, port="submission")
    # swaks will not try a mechanism the server does not advertise before TLS
    assert rc != 0 and "235 2.7.0" not in out, out
    with smtp(k, "submission") as c:  # smtplib after STARTTLS (this swaks lacks Net::SSLeay)
        c.starttls(context=k.ssl_context())
        c.ehlo("client.test")
        c.login(sender, PASSWORD)
        assert c.sendmail(sender, [sender], message("after tls", sender=sender)) == {}
    assert "with ESMTPSA " in email.message_from_bytes(inbox(k, sender, tls=True)[0])["Received"]


def test_trusted_networks_may_relay(fresh_kurier):
    k = fresh_kurier
    k.set_config("smtp", "trusted_networks", '["127.0.0.0/8"]')
    k.start()
    with smtp(k) as c:
        c.mail("app@internal.example")
        code, text = c.rcpt("someone@remote.example")
        assert (code, text[:5]) == (250, b"2.1.5"), text


def test_postmaster_of_every_domain_is_deliverable(fresh_kurier):
    """RFC 5321 4.5.1: [delivery] postmaster receives postmaster@ of each hosted domain that has no
    alias, account or catch-all of its own; other unknown addresses stay 550 5.1.1."""
    k = fresh_kurier
    target, _ = k.add_user()
    k.cli("domain", "add", "second.test")
    bad = k.run_cli("check-config", check=False)
    assert bad.returncode == 0, bad.stderr
    k.set_config("delivery", "postmaster", '"not an address"')
    bad = k.run_cli("check-config", check=False)
    assert bad.returncode != 0 and "postmaster" in bad.stderr, bad.stderr
    k.config.write_text(k.config.read_text().replace('postmaster = "not an address"', f'postmaster = "{target}"'))
    k.start()
    with smtp(k) as c:
        assert c.mail("sender@elsewhere.example")[0] == 250
        assert c.rcpt("postmaster@second.test")[0] == 250
        assert c.rcpt(f"PostMaster@{k.domain}")[0] == 250
        code, text = c.rcpt("webmaster@second.test")
        assert (code, text[:5]) == (550, b"5.1.1")
        assert c.data(message("to the postmasters"))[0] == 250
    assert [email.message_from_bytes(m)["Subject"] for m in inbox(k, target)] == ["to the postmasters"]


def hops(n):
    return "".join(f"Received: from hop{i}.example by relay{i}.example; Fri, 27 Nov 2026 01:00:00 +0000\r\n"
                   for i in range(n))


def test_mail_loops_are_refused_554_5_4_6(kurier):
    """RFC 5321 6.3: more than 50 Received fields, or a Delivered-To naming the recipient, is a
    mail forwarding loop: 554 5.4.6 after DATA, and nothing is stored."""
    rcpt = new_user(kurier)
    with smtp(kurier) as c:
        with pytest.raises(smtplib.SMTPDataError) as e:
            c.sendmail("sender@elsewhere.example", [rcpt], hops(51).encode() + message("too-many"))
        assert e.value.smtp_code == 554 and e.value.smtp_error.startswith(b"5.4.6"), e.value
        assert c.sendmail("sender@elsewhere.example", [rcpt], hops(50).encode() + message("fifty")) == {}
        with pytest.raises(smtplib.SMTPDataError) as e:
            c.sendmail("sender@elsewhere.example", [rcpt], f"Delivered-To: {rcpt.upper()}\r\n".encode() + message("looped"))
        assert e.value.smtp_code == 554 and e.value.smtp_error.startswith(b"5.4.6"), e.value
    assert [email.message_from_bytes(m)["Subject"] for m in inbox(kurier, rcpt)] == ["fifty"]


def test_mail_loop_is_refused_per_recipient_over_lmtp(kurier):
    looped, fine = new_user(kurier), new_user(kurier)
    with smtplib.LMTP(kurier.host, kurier.port("lmtp"), timeout=30) as c:
        c.ehlo("client.test")
        assert c.mail("sender@elsewhere.example")[0] == 250
        assert c.rcpt(looped)[0] == 250 and c.rcpt(fine)[0] == 250
        c.send(b"DATA\r\n")  # by hand: smtplib's data() reads one reply, LMTP gives one per recipient
        assert c.getreply()[0] == 354
        c.send(f"Delivered-To: {looped}\r\n".encode() + message("lmtp-loop") + b".\r\n")
        first, second = c.getreply(), c.getreply()
    assert first[0] == 554 and first[1].startswith(b"5.4.6"), first
    assert second[0] == 250, second
    assert inbox(kurier, looped) == []
    assert [email.message_from_bytes(m)["Subject"] for m in inbox(kurier, fine)] == ["lmtp-loop"]


def test_rcpt_dictionary_attack_ends_in_421(kurier):
    """Refused RCPTs count toward limits.max_bad_commands (20): guessing addresses ends in 421."""
    domain = new_domain(kurier)
    r = Raw(kurier)
    r.cmd("EHLO client.test")
    assert r.cmd("MAIL FROM:<guesser@elsewhere.example>")[0].startswith("250")
    for i in range(20):
        assert r.cmd(f"RCPT TO:<guess{i}@{domain}>")[0].startswith("550 5.1.1")
    assert r.cmd(f"RCPT TO:<guess20@{domain}>")[0].startswith("421 4.7.0")
    assert r.closed()


def test_temporary_rcpt_refusals_do_not_count(fresh_kurier):
    """452 (too many recipients) is the client's cue to send the rest later, not an error."""
    k = fresh_kurier
    k.set_config("limits", "max_recipients", "2")
    k.set_config("limits", "max_bad_commands", "3")
    k.start()
    rcpt = new_user(k)
    r = Raw(k)
    r.cmd("EHLO client.test")
    assert r.cmd("MAIL FROM:<sender@elsewhere.example>")[0].startswith("250")
    for _ in range(2):
        assert r.cmd(f"RCPT TO:<{rcpt}>")[0].startswith("250")
    for _ in range(5):
        assert r.cmd(f"RCPT TO:<{rcpt}>")[0].startswith("452 4.5.3")
    assert r.cmd("NOOP")[0].startswith("250")
