"""kurier and a real Debian Postfix talking SMTP (RFC 5321) to each other, in both directions, over
loopback. Each Postfix is a private instance the test starts (postfix_support.py).

  Postfix as the remote MX: kurier's outbound queue reaches it through [outbound.routes]; Postfix
  offers STARTTLS and delivers remote.test into maildirs the test reads. Mail enters kurier through
  submission (smtplib, AUTH). A recipient Postfix does not know is refused at RCPT (550 5.1.1), and
  kurier must bounce it to the sender's INBOX (RFC 3464 DSN, read with imaplib). An 8-bit body of
  150 KB must arrive byte for byte with both DKIM signatures valid; a message over the SIZE the MX
  announces (RFC 1870) must bounce without being sent.

  Postfix as a client: relayhost = kurier's port 25 (opportunistic STARTTLS). Mail injected into
  Postfix's smtpd must reach the kurier user's INBOX; a recipient kurier does not know must be
  refused with 550 5.1.1, which Postfix logs as bounced and reports back to the (kurier) sender.
  Plain and 150 KB 8-bit bodies must arrive intact.

Nothing here waits a fixed time: every wait polls with a deadline.
"""
import email
import email.policy
import itertools
import json
import os
import pwd
import re
import smtplib
import time

import pytest

from conftest import PASSWORD, wait_for
from imap_support import inbox
from postfix_support import private_postfix, require_postfix
from queue_support import queue_list

REMOTE = "remote.test"
REMOTE_USERS = ("bob", "carol")
_n = itertools.count(1)

# Lines that survive SMTP only when both ends dot-stuff and keep bytes (RFC 5321 4.5.2).
BODY = ("Hello,\r\n"
        ".a line with a leading dot\r\n"
        ".\r\n"
        "..two dots\r\n"
        "trailing spaces   \r\n"
        "\r\n"
        + "x" * 900 + "\r\n"
        "bye\r\n")


# 8-bit UTF-8 text (RFC 6152 8BITMIME), about 150 KB: streamed in many reads on every hop.
BIG_8BIT_BODY = "".join(f"{i:05d} Grüße aus Köln, ½ € — ünïcödé line\r\n" for i in range(3500))
POSTFIX_SIZE_LIMIT = 200_000  # the MX's message_size_limit (RFC 1870 SIZE)


def message(sender, rcpt, subject, body=BODY):
    msgid = f"<{time.time_ns()}.{next(_n)}.{os.getpid()}@client.test>"
    mime = "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n"
    return msgid, (f"From: {sender}\r\nTo: {rcpt}\r\nSubject: {subject}\r\nMessage-ID: {msgid}\r\n"
                   f"Date: Fri, 27 Nov 2026 01:00:00 +0000\r\n{mime if not body.isascii() else ''}\r\n"
                   f"{body}").encode()


def eight_bit(body):
    return ["BODY=8BITMIME"] if not body.isascii() else []


def crlf(raw):
    """Postfix stores and logs with LF line ends; the wire and DKIM use CRLF."""
    return raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def body_of(raw):
    return raw.split(b"\r\n\r\n", 1)[1]


def report_blocks(raw):
    """(the DSN, its per-message block, its per-recipient blocks) of a multipart/report (RFC 3464)."""
    dsn = email.message_from_bytes(raw, policy=email.policy.compat32)
    assert dsn.get_content_type() == "multipart/report", raw[:2000]
    assert dsn.get_param("report-type") == "delivery-status"
    [status] = [p for p in dsn.get_payload() if p.get_content_type() == "message/delivery-status"]
    blocks = status.get_payload()
    return dsn, blocks[0], blocks[1:]


# ---- Postfix as the remote MX -------------------------------------------------------------------

@pytest.fixture
def remote_mx():
    """A Postfix that is the MX of remote.test: STARTTLS offered, bob and carol have maildirs, every
    other recipient is refused at RCPT. kurier is a stranger to it (not in mynetworks)."""
    require_postfix()
    postfix_user = pwd.getpwnam("postfix")
    mailboxes = "".join(f"{u}@{REMOTE} {REMOTE}/{u}/\n" for u in REMOTE_USERS)
    with private_postfix(
            main_cf={"mynetworks": "192.0.2.1/32",
                     "virtual_mailbox_domains": REMOTE,
                     "virtual_mailbox_maps": "texthash:{dir}/conf/vmailbox",
                     "virtual_mailbox_base": "{dir}/mail",
                     "virtual_uid_maps": f"static:{postfix_user.pw_uid}",
                     "virtual_gid_maps": f"static:{postfix_user.pw_gid}",
                     "virtual_minimum_uid": "1",
                     "message_size_limit": str(POSTFIX_SIZE_LIMIT)},
            files={"vmailbox": mailboxes}, owned_dirs=("mail",), tls=True) as pf:
        yield pf


def maildir(pf, local):
    new = pf.dir / "mail" / REMOTE / local / "new"
    return [crlf(p.read_bytes()) for p in sorted(new.iterdir())] if new.is_dir() else []


@pytest.fixture
def routed_kurier(fresh_kurier, remote_mx):
    """A kurier whose queue delivers remote.test to the Postfix MX."""
    k = fresh_kurier
    k.set_config("outbound.routes", f'"{REMOTE}"', f'"127.0.0.1:{remote_mx.port}"')
    k.start()
    wait_for(lambda: "queue.started" in k.log_text(), "the outbound queue to start", details=k.log_text)
    return k


def submit(k, sender, rcpts, subject, body=BODY):
    msgid, msg = message(sender, rcpts[0], subject, body)
    with smtplib.SMTP(k.host, k.port("submission"), timeout=60) as c:
        c.ehlo("client.test")
        c.login(sender, PASSWORD)
        assert c.sendmail(sender, rcpts, msg, mail_options=eight_bit(body)) == {}
    return msgid, msg


def verify_dkim(k, raw):
    """Every DKIM-Signature of `raw` verifies (python3-dkim) against the TXT records `kurier domain
    show` tells the admin to publish."""
    import dkim
    shown = json.loads(k.cli("domain", "show", k.domain, "--json").stdout)["dkim"]
    txt = {r["name"].rstrip(".").lower(): r["value"].encode() for r in shown}
    d = dkim.DKIM(raw)
    n = raw.count(b"DKIM-Signature:")
    assert n >= 1
    for i in range(n):
        assert d.verify(idx=i, dnsfunc=lambda name, timeout=5: txt.get(name.decode().rstrip(".").lower())), i


def test_submission_is_relayed_to_postfix_mx(routed_kurier, remote_mx):
    k, pf = routed_kurier, remote_mx
    sender, _ = k.add_user()
    msgid, sent = submit(k, sender, [f"bob@{REMOTE}", f"carol@{REMOTE}"], "to the postfix mx")
    for local in ("bob", "carol"):
        wait_for(lambda: maildir(pf, local), f"the message in {local}'s maildir", details=pf.log_text)
    wait_for(lambda: queue_list(k) == [], "kurier's queue to empty", details=k.log_text)
    [raw] = maildir(pf, "bob")
    msg = email.message_from_bytes(raw, policy=email.policy.compat32)
    # Postfix's virtual(8) delivery: envelope from kurier's MAIL FROM and RCPT TO.
    assert msg["Return-Path"] == f"<{sender}>"
    assert msg["Delivered-To"] == f"bob@{REMOTE}"
    # Trace headers, newest first (RFC 5321 4.4): Postfix's, over TLS from kurier; then kurier's.
    received = [" ".join(r.split()) for r in msg.get_all("Received")]
    assert len(received) == 2, received
    assert re.search(r"^from localhost \(.*\[127\.0\.0\.1\]\) .*by postfix\.localhost \(Postfix\) with ESMTPS ",
                     received[0]), received[0]
    assert "by localhost with ESMTPA" in received[1], received[1]
    assert msg["Message-ID"] == msgid and msg["Subject"] == "to the postfix mx"
    sig = msg["DKIM-Signature"]
    assert sig and f"d={k.domain}" in sig
    verify_dkim(k, raw)
    assert body_of(raw) == body_of(sent)  # dot-stuffing undone, long and blank lines kept
    assert body_of(maildir(pf, "carol")[0]) == body_of(sent)
    log = pf.log_text()
    assert re.search(r"TLS connection established from \S*\[127\.0\.0\.1\]", log), log[-3000:]
    assert len(re.findall(rf"to=<(bob|carol)@{REMOTE}>, .*status=sent \(delivered to maildir\)", log)) == 2, log
    assert "queue.removed" in k.log_text()


@pytest.mark.parametrize("rcpts", [["nobody"], ["bob", "nobody"]], ids=["all-refused", "one-of-two-refused"])
def test_postfix_refusal_bounces_to_the_senders_inbox(routed_kurier, remote_mx, rcpts):
    k, pf = routed_kurier, remote_mx
    sender, _ = k.add_user()
    submit(k, sender, [f"{r}@{REMOTE}" for r in rcpts], "will bounce")
    pf.wait_for_log(rf"reject: RCPT from \S+: 550 5\.1\.1 <nobody@{REMOTE}>")
    [raw] = wait_for(lambda: inbox(k, sender), "the DSN in the sender's INBOX", details=k.log_text)
    dsn, per_message, per_rcpt = report_blocks(raw)
    assert dsn["Return-Path"] == "<>"  # RFC 3464 2: DSNs go out with the null sender
    assert per_message["Reporting-MTA"] == "dns; localhost"
    [failed] = per_rcpt  # bob's delivery is no failure: no block for him
    assert failed["Final-Recipient"] == f"rfc822; nobody@{REMOTE}"
    assert failed["Action"] == "failed" and failed["Status"] == "5.1.1"
    assert failed["Remote-MTA"] == "dns; 127.0.0.1"
    diagnostic = " ".join(failed["Diagnostic-Code"].split())
    assert diagnostic.startswith(f"smtp; 550 5.1.1 <nobody@{REMOTE}>: Recipient address rejected"), diagnostic
    original = [p for p in dsn.get_payload() if p.get_content_type() in ("message/rfc822", "text/rfc822-headers")]
    assert original and "will bounce" in original[0].as_string()
    wait_for(lambda: queue_list(k) == [], "kurier's queue to empty", details=k.log_text)
    if "bob" in rcpts:
        [delivered] = wait_for(lambda: maildir(pf, "bob"), "bob's copy", details=pf.log_text)
        assert b"Subject: will bounce" in delivered
    assert maildir(pf, "nobody") == []


def test_8bit_message_streams_to_postfix_mx(routed_kurier, remote_mx):
    k, pf = routed_kurier, remote_mx
    sender, _ = k.add_user()
    _, sent = submit(k, sender, [f"bob@{REMOTE}"], "big 8bit", BIG_8BIT_BODY)
    [raw] = wait_for(lambda: maildir(pf, "bob"), "the message in bob's maildir", details=pf.log_text)
    assert body_of(raw) == body_of(sent)
    verify_dkim(k, raw)
    wait_for(lambda: queue_list(k) == [], "kurier's queue to empty", details=k.log_text)


def test_message_over_the_mx_size_limit_bounces(routed_kurier, remote_mx):
    """Postfix announces SIZE 200000 in its EHLO reply; kurier must bounce a bigger message at once
    (5.3.4, RFC 3463) instead of retrying it for days, and never send it (RFC 1870 6: a client
    SHOULD NOT transmit a message larger than the server's fixed maximum)."""
    k, pf = routed_kurier, remote_mx
    sender, _ = k.add_user()
    submit(k, sender, [f"bob@{REMOTE}"], "too big", ("z" * 98 + "\r\n") * 3000)
    [raw] = wait_for(lambda: inbox(k, sender), "the DSN in the sender's INBOX", details=lambda: k.log_text()[-3000:])
    _, _, [failed] = report_blocks(raw)
    assert failed["Final-Recipient"] == f"rfc822; bob@{REMOTE}"
    assert failed["Action"] == "failed" and failed["Status"] == "5.3.4", failed["Status"]
    diagnostic = " ".join(failed["Diagnostic-Code"].split())
    assert f"exceeds the limit of {POSTFIX_SIZE_LIMIT} bytes" in diagnostic, diagnostic
    wait_for(lambda: queue_list(k) == [], "kurier's queue to empty", details=k.log_text)
    assert maildir(pf, "bob") == []
    sessions = pf.wait_for_log(r"disconnect from \S+\[127\.0\.0\.1\] ehlo=")
    assert all(" mail=" not in line and " data=" not in line for line in sessions), sessions


# ---- Postfix as a client relaying into kurier's port 25 -----------------------------------------

@pytest.fixture
def relaying_postfix(kurier):
    """A Postfix that relays everything to kurier's port 25, with STARTTLS when offered."""
    with private_postfix(main_cf={"relayhost": f"[127.0.0.1]:{kurier.port('smtp')}",
                                  "smtp_tls_security_level": "may",
                                  "smtp_tls_loglevel": "1"}) as pf:
        yield pf


def send_through(pf, sender, rcpts, subject, body=BODY):
    msgid, msg = message(sender, rcpts[0], subject, body)
    with smtplib.SMTP("127.0.0.1", pf.port, timeout=60) as c:
        assert c.sendmail(sender, rcpts, msg, mail_options=eight_bit(body)) == {}
    return msgid, msg


@pytest.mark.parametrize("body", [BODY, BIG_8BIT_BODY], ids=["dots-and-long-lines", "150KB-8bit"])
def test_postfix_relays_into_kurier(kurier, relaying_postfix, body):
    k, pf = kurier, relaying_postfix
    rcpt, _ = k.add_user()
    msgid, sent = send_through(pf, "someone@elsewhere.example", [rcpt], "via postfix relay", body)
    [stored] = wait_for(lambda: inbox(k, rcpt), "the message in the INBOX", details=pf.log_text)
    pf.wait_for_log(rf"to=<{re.escape(rcpt)}>, relay=127\.0\.0\.1\[127\.0\.0\.1\]:{k.port('smtp')}, "
                             r".*status=sent \(250 ")
    assert re.search(rf"TLS connection established to 127\.0\.0\.1\[127\.0\.0\.1\]:{k.port('smtp')}",
                     pf.log_text()), pf.log_text()[-3000:]
    msg = email.message_from_bytes(stored, policy=email.policy.compat32)
    assert msg["Return-Path"] == "<someone@elsewhere.example>"
    received = [" ".join(r.split()) for r in msg.get_all("Received")]
    # kurier's on top: from Postfix, over TLS; then Postfix's own from smtplib.
    assert received[0].startswith("from postfix.localhost") and " by localhost with ESMTPS" in received[0], received
    assert any("by postfix.localhost (Postfix) with ESMTP" in r for r in received[1:]), received
    assert msg["Message-ID"] == msgid
    assert body_of(stored) == body_of(sent)


def test_unknown_kurier_user_bounces_in_postfix(kurier, relaying_postfix):
    """kurier refuses the unknown recipient at RCPT with 550 5.1.1 and takes the known one in the
    same transaction; Postfix logs the refusal as bounced and returns its own DSN (null sender,
    through kurier's port 25 again) to the sender, a kurier user."""
    k, pf = kurier, relaying_postfix
    sender, _ = k.add_user()
    known, _ = k.add_user()
    unknown = f"nobody-{os.getpid()}-{next(_n)}@{k.domain}"
    send_through(pf, sender, [known, unknown], "half unknown")
    pf.wait_for_log(rf"to=<{re.escape(unknown)}>, .*status=bounced \(host 127\.0\.0\.1\[127\.0\.0\.1\] "
                             r"said: 550 5\.1\.1 ")
    pf.wait_for_log(rf"to=<{re.escape(known)}>, .*status=sent \(250 ")
    [delivered] = wait_for(lambda: inbox(k, known), "the known recipient's copy", details=pf.log_text)
    assert b"Subject: half unknown" in delivered
    [notice] = wait_for(lambda: inbox(k, sender), "Postfix's DSN in the sender's INBOX", details=pf.log_text)
    dsn, per_message, per_rcpt = report_blocks(notice)
    assert dsn["Return-Path"] == "<>"
    assert per_message["Reporting-MTA"] == "dns; postfix.localhost"
    [failed] = per_rcpt
    assert failed["Final-Recipient"] == f"rfc822; {unknown}"
    assert failed["Action"] == "failed" and failed["Status"] == "5.1.1"
    assert " ".join(failed["Diagnostic-Code"].split()).startswith("smtp; 550 5.1.1")
