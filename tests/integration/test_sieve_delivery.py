"""Sieve at delivery (RFC 5228 and extensions) against a real `kurier serve`: scripts stored with
`kurier sieve put --activate`, mail delivered over LMTP and SMTP (smtplib), results read with
imaplib, and what leaves (vacation replies, redirects, notifications) read at Postfix's smtp-sink
as the remote MX."""
import email
import email.policy
import imaplib
import smtplib
import time

import pytest

from conftest import PASSWORD, wait_for
from imap_support import inbox, message_count, ok
from queue_support import queue_list, route, start_with_queue


def parse(raw):
    return email.message_from_bytes(raw, policy=email.policy.compat32)


def message(subject, sender="someone@remote.test", to="user@example.test", extra=""):
    return (f"From: {sender}\r\nTo: {to}\r\nSubject: {subject}\r\n"
            f"Message-ID: <{subject.replace(' ', '-')}.{time.time_ns()}@remote.test>\r\n{extra}\r\n"
            f"Body of {subject}.\r\n").encode()


def activate(k, address, script, name="filter"):
    k.cli("sieve", "put", address, name, "-", "--activate", input=script)


def lmtp(k, sender, recipients, msg):
    """Per-recipient LMTP replies as {address: (code, text)} (RFC 2033 4.2)."""
    with smtplib.LMTP(k.host, k.port("lmtp"), timeout=60) as c:
        c.ehlo("client.test")
        try:
            refused = c.sendmail(sender, recipients, msg)
        except smtplib.SMTPRecipientsRefused as e:
            return e.recipients
        except smtplib.SMTPDataError as e:  # the only recipient refused after DATA
            return {recipients[0]: (e.smtp_code, e.smtp_error)}
        return refused


def mailbox_flags(k, address, mailbox):
    m = imaplib.IMAP4(k.host, k.port("imap"), timeout=30)
    try:
        m.login(address, PASSWORD)
        ok(m.select(f'"{mailbox}"', readonly=True))
        return [line for line in ok(m.fetch("1:*", "(FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)])")) if isinstance(line, tuple)]
    finally:
        m.logout()


@pytest.fixture
def server(fresh_kurier, sink):
    k = fresh_kurier
    route(k, "remote.test", sink.port)
    start_with_queue(k)
    return k


def test_fileinto_flags_and_implicit_keep(server):
    k = server
    address, _ = k.add_user()
    activate(k, address, 'require ["fileinto", "imap4flags", "mailbox"];\r\n'
                         'if header :contains "subject" "[list]" {\r\n'
                         '  fileinto :create :flags "\\\\Seen $List" "Lists/Dev";\r\n'
                         '} elsif header :contains "subject" "urgent" {\r\n'
                         '  addflag "\\\\Flagged";\r\n'
                         '}\r\n')
    assert lmtp(k, "someone@remote.test", [address], message("[list] weekly news")) == {}
    assert lmtp(k, "someone@remote.test", [address], message("urgent: call me")) == {}
    assert lmtp(k, "someone@remote.test", [address], message("plain hello")) == {}
    assert message_count(k, address, mailbox="Lists/Dev") == 1
    listed = mailbox_flags(k, address, "Lists/Dev")
    assert b"\\Seen" in listed[0][0] and b"$List" in listed[0][0], listed
    in_inbox = mailbox_flags(k, address, "INBOX")
    assert len(in_inbox) == 2
    flagged = [l for l in in_inbox if b"urgent" in l[1]]
    assert b"\\Flagged" in flagged[0][0], in_inbox


def test_discard_and_reject(server):
    k = server
    address, _ = k.add_user()
    activate(k, address, 'require ["reject"];\r\n'
                         'if header :is "subject" "spam" { discard; stop; }\r\n'
                         'if header :is "subject" "unwanted" { reject "I do not want this."; }\r\n')
    assert lmtp(k, "someone@remote.test", [address], message("spam")) == {}
    refused = lmtp(k, "someone@remote.test", [address], message("unwanted"))
    code, text = refused[address]
    assert code == 550 and b"5.7.1" in text and b"I do not want this." in text, refused
    assert message_count(k, address) == 0


def test_redirect_goes_out_through_the_queue(server, sink):
    k = server
    address, _ = k.add_user()
    activate(k, address, 'redirect "archive@remote.test";\r\n')
    assert lmtp(k, "someone@remote.test", [address], message("to be redirected")) == {}
    wait_for(lambda: sink.messages() and queue_list(k) == [], what="the redirected copy at the sink")
    [raw] = sink.messages()
    assert parse(raw)["Subject"] == "to be redirected"
    assert f"Delivered-To: {address}".encode() in raw, "marked for loop detection"
    assert message_count(k, address) == 0, "redirect without keep stores no copy"


def test_vacation_replies_once_per_sender_and_never_to_lists(server, sink):
    k = server
    address, _ = k.add_user()
    activate(k, address, 'require ["vacation"];\r\n'
                         'vacation :days 7 :subject "Away until Monday" "I am away; back on Monday.";\r\n')
    to = f"To: {address}"
    assert lmtp(k, "friend@remote.test", [address], message("first", "friend@remote.test", address)) == {}
    wait_for(lambda: sink.messages() and queue_list(k) == [], what="the vacation reply at the sink")
    [raw] = sink.messages()
    reply = parse(raw)
    assert reply["Subject"] == "Away until Monday"
    assert reply["Auto-Submitted"].startswith("auto-replied")
    assert reply["To"] == "<friend@remote.test>"
    assert reply["In-Reply-To"], "threads with the original (RFC 5230 5.8)"
    assert b"I am away; back on Monday." in raw
    # The same sender again within :days: no second reply. A list and a bulk message: none.
    assert lmtp(k, "friend@remote.test", [address], message("second", "friend@remote.test", address)) == {}
    assert lmtp(k, "list@remote.test", [address],
                message("list mail", "list@remote.test", address, "List-Id: <dev.remote.test>\r\n")) == {}
    assert lmtp(k, "bulk@remote.test", [address],
                message("bulk mail", "bulk@remote.test", address, "Precedence: bulk\r\n")) == {}
    assert lmtp(k, "", [address], message("a bounce", "mailer-daemon@remote.test", address)) == {}
    assert message_count(k, address) == 5, "every message is still kept"
    wait_for(lambda: "sieve.vacation_skipped" in k.log_text() and queue_list(k) == [],
             what="the later messages to be filed")
    assert len(sink.messages()) == 1
    # Remembered durably: after a restart the sender still gets no second reply.
    k.stop()
    start_with_queue(k)
    assert lmtp(k, "friend@remote.test", [address], message("third", "friend@remote.test", address)) == {}
    assert queue_list(k) == [] and len(sink.messages()) == 1


def test_runtime_error_keeps_the_message(server):
    k = server
    address, _ = k.add_user()
    # Valid at compile time; fails at run time: a redirect to an address built from a variable
    # that is not a valid address.
    activate(k, address, 'require ["variables"];\r\n'
                         'if header :matches "subject" "*" { set "target" "${1}"; }\r\n'
                         'redirect "${target}";\r\n')
    assert lmtp(k, "someone@remote.test", [address], message("not an address")) == {}
    assert message_count(k, address) == 1
    wait_for(lambda: "sieve.runtime_error" in k.log_text(), what="the runtime error in the log")


def test_sieve_runs_for_smtp_deliveries_too(server):
    k = server
    address, _ = k.add_user()
    activate(k, address, 'require ["fileinto"];\r\nfileinto "Junk";\r\n')
    with smtplib.SMTP(k.host, k.port("smtp"), timeout=60) as c:
        assert c.sendmail("someone@remote.test", [address], message("over smtp")) == {}
    assert message_count(k, address, mailbox="Junk") == 1
    assert message_count(k, address) == 0


def test_editheader_changes_the_stored_copy(server):
    k = server
    address, _ = k.add_user()
    activate(k, address, 'require ["editheader", "fileinto"];\r\n'
                         'addheader "X-Filtered-By" "kurier sieve";\r\n'
                         'deleteheader "X-Spam-Flag";\r\n'
                         'fileinto "Archive";\r\n')
    other, _ = k.add_user()  # the same message to an account without a script stays unchanged
    msg = message("edit me", extra="X-Spam-Flag: YES\r\n")
    with smtplib.SMTP(k.host, k.port("smtp"), timeout=60) as c:  # one message, two accounts
        assert c.sendmail("someone@remote.test", [address, other], msg) == {}
    m = imaplib.IMAP4(k.host, k.port("imap"), timeout=30)
    m.login(address, PASSWORD)
    ok(m.select("Archive", readonly=True))
    [stored] = [p[1] for p in ok(m.fetch("1", "(BODY.PEEK[])")) if isinstance(p, tuple)]
    m.logout()
    assert b"X-Filtered-By: kurier sieve" in stored
    assert b"X-Spam-Flag" not in stored
    assert b"Body of edit me." in stored
    [unchanged] = inbox(k, other)
    assert b"X-Spam-Flag: YES" in unchanged and b"X-Filtered-By" not in unchanged


def test_reject_over_smtp_sends_the_sender_a_dsn(server, sink):
    k = server
    address, _ = k.add_user()
    activate(k, address, 'require ["reject"];\r\nreject "Not accepting mail about that.";\r\n')
    with smtplib.SMTP(k.host, k.port("smtp"), timeout=60) as c:
        # One recipient refused permanently: SMTP answers for the message, so the refusal is a DSN.
        with pytest.raises(smtplib.SMTPDataError) as e:
            c.sendmail("author@remote.test", [address], message("rejected over smtp", "author@remote.test"))
        assert e.value.smtp_code == 550
    other, _ = k.add_user()
    with smtplib.SMTP(k.host, k.port("smtp"), timeout=60) as c:
        assert c.sendmail("author@remote.test", [address, other], message("half rejected", "author@remote.test")) == {}
    wait_for(lambda: sink.messages() and queue_list(k) == [], what="the DSN at the sink")
    [raw] = sink.messages()
    dsn = parse(raw)
    assert dsn.get_content_type() == "multipart/report"
    assert b"Not accepting mail about that." in raw and b"5.7.1" in raw
    assert message_count(k, address) == 0 and message_count(k, other) == 1


def test_body_subaddress_copy_and_duplicate(server, sink):
    k = server
    address, _ = k.add_user()
    local, domain = address.split("@")
    activate(k, address, 'require ["fileinto", "body", "envelope", "subaddress", "copy", "duplicate"];\r\n'
                         'if duplicate :header "X-Ticket" { fileinto "Trash"; stop; }\r\n'
                         'if envelope :detail "to" "news" { fileinto "Archive"; stop; }\r\n'
                         'if body :text :contains "invoice" { redirect :copy "accounting@remote.test"; }\r\n')
    assert lmtp(k, "a@remote.test", [f"{local}+news@{domain}"], message("newsletter")) == {}
    assert message_count(k, address, mailbox="Archive") == 1
    invoice = message("monthly", extra="X-Ticket: 4711\r\n")
    invoice = invoice.replace(b"Body of monthly.", b"Please find the invoice attached.")
    assert lmtp(k, "b@remote.test", [address], invoice) == {}
    wait_for(lambda: sink.messages() and queue_list(k) == [], what="the :copy redirect at the sink")
    assert message_count(k, address) == 1, ":copy keeps the message too"
    # Another message (its own Message-ID) with the same ticket: the duplicate test (RFC 7352)
    # files it in Trash and redirects nothing.
    resent = message("monthly (resent)", extra="X-Ticket: 4711\r\n").replace(b"Body of", b"invoice for")
    assert lmtp(k, "b@remote.test", [address], resent) == {}
    assert message_count(k, address, mailbox="Trash") == 1
    assert message_count(k, address) == 1
    assert len(sink.messages()) == 1


def test_editheader_applies_to_a_redirected_copy(server, sink):
    k = server
    address, _ = k.add_user()
    activate(k, address, 'require ["editheader"];\r\n'
                         'deleteheader "X-Internal";\r\n'
                         'addheader "X-Redirected-By" "sieve";\r\n'
                         'redirect "archive@remote.test";\r\n')
    assert lmtp(k, "someone@remote.test", [address], message("edited redirect", extra="X-Internal: secret\r\n")) == {}
    wait_for(lambda: sink.messages() and queue_list(k) == [], what="the redirected copy at the sink")
    [raw] = sink.messages()
    header, _, body = raw.replace(b"\r\n", b"\n").partition(b"\n\n")
    assert b"X-Redirected-By: sieve" in header and b"X-Internal" not in raw
    assert raw.count(b"X-Redirected-By: sieve") == 1
    assert b"Return-Path" not in header, "our own trace stays here"
    assert header.count(f"Delivered-To: {address}".encode()) == 1
    assert body.startswith(b"Body of edited redirect.")
    assert f"Delivered-To: {address}".encode() in header
