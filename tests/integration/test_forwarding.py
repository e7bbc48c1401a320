"""Mail that kurier sends on for others, end to end against a real remote MX (Postfix's
smtp-sink through [outbound.routes]), with smtplib as the client:
  - success notices return headers only, even for a message without an empty line (the sender
    of a port-25 message may be forged: it must not receive the body);
  - DKIM: only authenticated submission is signed; a port-25 message claiming a hosted sender,
    relayed by an alias, leaves unsigned (our d= would make the forgery pass DMARC);
  - SRS: a forwarded copy of an outside sender's mail has an SRS0 envelope sender (checked with
    an independent implementation, srs_support.py) that reverses to the original; a bounce to it
    reaches the original sender through the queue, a forged one gets 550 5.1.1.
"""
import email
import email.policy

import os
import re
import stat

from conftest import wait_for
from srs_support import read_secret, reverse_srs0
from queue_support import queue_list, route, start_with_queue
from test_postfix_smtp import verify_dkim
from test_smtp import smtp, submission


def parse(raw):
    return email.message_from_bytes(raw, policy=email.policy.compat32)


def test_success_notice_of_a_message_without_empty_line_has_no_body(fresh_kurier, sink):
    k = fresh_kurier
    route(k, "remote.test", sink.port)
    start_with_queue(k)
    local, _ = k.add_user()
    message = (b"Subject: no-empty-line\r\nFrom: victim@remote.test\r\n"
               b"the secret body line\r\nX-Not-A-Header: after the body\r\n")
    with smtp(k) as c:
        assert c.sendmail("victim@remote.test", [local], message, rcpt_options=["NOTIFY=SUCCESS"]) == {}
    wait_for(lambda: sink.messages() and queue_list(k) == [], what="the success notice at the sink")
    [raw] = sink.messages()
    notice = parse(raw)
    assert notice["Subject"] == "Successful Mail Delivery Report"
    returned = notice.get_payload()[2]
    assert returned.get_content_type() == "text/rfc822-headers"
    assert "Subject: no-empty-line" in returned.get_payload()
    assert b"the secret body line" not in raw
    assert b"after the body" not in raw


def forwarded_message(sender, subject):
    return (f"From: {sender}\r\nTo: fwd@example.test\r\nSubject: {subject}\r\n"
            f"Message-ID: <{subject}@client.test>\r\n\r\nforwarded body\r\n").encode()


def wait_for_subject(k, sink, subject):
    def found():
        return [m for m in sink.messages() if parse(m)["Subject"] == subject]
    wait_for(lambda: found() and queue_list(k) == [], what=f"{subject!r} at the sink")
    [raw] = found()
    return raw


def test_only_authenticated_submission_is_dkim_signed(fresh_kurier, sink):
    k = fresh_kurier
    route(k, "remote.test", sink.port)
    start_with_queue(k)
    account, password = k.add_user()
    k.cli("alias", "add", "fwd@example.test", "far@remote.test")

    # A stranger on port 25 claims a hosted sender; the alias relays it outside.
    with smtp(k) as c:
        assert c.sendmail(account, ["fwd@example.test"], forwarded_message(account, "forged")) == {}
    forged = wait_for_subject(k, sink, "forged")
    assert b"DKIM-Signature" not in forged, forged.decode(errors="replace")[:600]
    assert "queue.dkim_unauthenticated" in k.log_text()

    # The account itself, authenticated on the submission port: signed, and the signatures verify.
    with submission(k, account, password) as c:
        assert c.sendmail(account, ["fwd@example.test"], forwarded_message(account, "authentic")) == {}
    authentic = wait_for_subject(k, sink, "authentic")
    sig = parse(authentic)["DKIM-Signature"]
    assert sig and "d=example.test" in sig
    verify_dkim(k, authentic)


def mail_from_at_sink(raw):
    return re.search(rb"^X-Mail-Args: <([^>]*)>", raw, re.M).group(1).decode()


def rcpt_at_sink(raw):
    return re.findall(rb"^X-Rcpt-Args: <([^>]*)>", raw, re.M)


def test_forwarded_mail_gets_srs_and_bounces_find_the_original_sender(fresh_kurier, sink):
    k = fresh_kurier
    route(k, "remote.test", sink.port)
    start_with_queue(k)
    account, password = k.add_user()
    k.cli("alias", "add", "fwd@example.test", "far@remote.test")
    secret_file = k.dir / "srs.secret"
    assert stat.S_IMODE(os.stat(secret_file).st_mode) == 0o600

    with smtp(k) as c:
        assert c.sendmail("Orig.User@remote.test", ["fwd@example.test"],
                          forwarded_message("orig.user@remote.test", "srs-forwarded")) == {}
    forwarded = wait_for_subject(k, sink, "srs-forwarded")
    srs_sender = mail_from_at_sink(forwarded)
    assert srs_sender.startswith("SRS0=") and srs_sender.endswith("=remote.test=Orig.User@localhost"), srs_sender
    assert reverse_srs0(read_secret(k), srs_sender) == "Orig.User@remote.test"
    assert rcpt_at_sink(forwarded) == [b"far@remote.test"]

    # A hosted sender is never rewritten.
    with submission(k, account, password) as c:
        assert c.sendmail(account, ["fwd@example.test"], forwarded_message(account, "srs-local")) == {}
    assert mail_from_at_sink(wait_for_subject(k, sink, "srs-local")) == account

    # The target's bounce comes back to the SRS address, from any client, and goes on to the
    # original sender through the queue. The hash is read case-insensitively (as postsrsd).
    bounce = (b"From: MAILER-DAEMON@remote.test\r\nSubject: srs-bounce\r\n"
              b"Message-ID: <srs-bounce@remote.test>\r\n\r\nundeliverable\r\n")
    tag, hash_, rest = srs_sender.split("=", 2)
    with smtp(k) as c:
        assert c.sendmail("", [f"{tag}={hash_.swapcase()}={rest}"], bounce) == {}
    returned = wait_for_subject(k, sink, "srs-bounce")
    # (The recipient resolver lower-cases relayed addresses, as it does for every remote RCPT.)
    assert [r.lower() for r in rcpt_at_sink(returned)] == [b"orig.user@remote.test"]
    assert mail_from_at_sink(returned) == ""

    # A forged or damaged SRS address is refused.
    forged = f"{tag}={'AAAA' if hash_.upper() != 'AAAA' else 'BBBB'}={rest}"
    with smtp(k) as c:
        c.mail("")
        code, text = c.rcpt(forged)
        assert code == 550 and b"5.1.1" in text, (code, text)
        code, text = c.rcpt("SRS0=xxxx@localhost")
        assert code == 550 and b"5.1.1" in text, (code, text)
