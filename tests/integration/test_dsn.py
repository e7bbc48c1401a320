"""RFC 3461 DSN parameters end to end: a client gives RET/ENVID at MAIL and NOTIFY/ORCPT at RCPT
(smtplib, through kurier's submission and SMTP ports), kurier keeps them through delivery and
its outbound queue to a real remote MX (Postfix's smtp-sink via [outbound.routes]), and the
notices that come back into the sender's INBOX (imaplib) honour them:
  - a rejected recipient bounces with Original-Envelope-Id, Original-Recipient and, for
    RET=HDRS, the header section only; NOTIFY=NEVER gets no bounce;
  - a next hop that offers DSN gets the parameters in MAIL/RCPT (smtp-sink's X-Mail-Args /
    X-Rcpt-Args), one without DSN makes kurier report "relayed" for NOTIFY=SUCCESS;
  - NOTIFY=SUCCESS to a local mailbox gets "delivered", to an alias with several targets one
    "expanded" notice (RFC 3461 5.2.7.3), whose outside target then carries NOTIFY=NEVER.
"""
import email
import email.policy

from conftest import wait_for
from imap_support import inbox
from queue_support import queue_list, route, start_with_queue
from test_smtp import smtp, submission


def text_message(sender, rcpt, subject):
    return (f"From: {sender}\r\nTo: {rcpt}\r\nSubject: {subject}\r\nMessage-ID: <{subject}@client.test>\r\n"
            "Date: Fri, 27 Nov 2026 01:00:00 +0000\r\n\r\nThe body of the message.\r\n").encode()


def send(c, sender, rcpt, subject, mail_options=(), rcpt_options=()):
    refused = c.sendmail(sender, [rcpt], text_message(sender, rcpt, subject), mail_options=list(mail_options),
                         rcpt_options=list(rcpt_options))
    assert refused == {}


def parse(raw):
    return email.message_from_bytes(raw, policy=email.policy.compat32)


def report_blocks(dsn):
    """The message/delivery-status blocks: [per-message fields, per-recipient fields...]."""
    assert dsn.get_content_type() == "multipart/report"
    return dsn.get_payload()[1].get_payload()


def wait_for_inbox(k, address, n, what):
    wait_for(lambda: len(inbox(k, address)) >= n, what=what)
    return [parse(m) for m in inbox(k, address)]


def test_bounce_honours_ret_envid_orcpt_and_never(fresh_kurier, rejecting_sink):
    k = fresh_kurier
    route(k, "remote.test", rejecting_sink.port)
    start_with_queue(k)
    sender, password = k.add_user()
    with submission(k, sender, password) as c:
        send(c, sender, "b@remote.test", "hdrs-bounce", ["RET=HDRS", "ENVID=xyz"],
             ["NOTIFY=FAILURE", "ORCPT=rfc822;b@remote.test"])
    wait_for(lambda: queue_list(k) == [], what="the bounce")
    [dsn] = wait_for_inbox(k, sender, 1, "the DSN in the INBOX")
    assert dsn["Subject"] == "Undelivered Mail Returned to Sender"
    assert dsn["Return-Path"] == "<>"
    per_message, rcpt = report_blocks(dsn)
    assert per_message["Original-Envelope-Id"] == "xyz"
    assert rcpt["Original-Recipient"] == "rfc822;b@remote.test"
    assert rcpt["Final-Recipient"] == "rfc822; b@remote.test"
    assert rcpt["Action"] == "failed" and rcpt["Status"].startswith("5.")
    returned = dsn.get_payload()[2]
    assert returned.get_content_type() == "text/rfc822-headers"  # RET=HDRS: headers only
    text = returned.get_payload()
    assert "Subject: hdrs-bounce" in text
    assert "The body of the message." not in text

    # NOTIFY=NEVER: the same failure, and no bounce at all.
    with submission(k, sender, password) as c:
        send(c, sender, "c@remote.test", "never-bounce", [], ["NOTIFY=NEVER"])
    wait_for(lambda: queue_list(k) == [], what="the second message to be settled")
    assert len(inbox(k, sender)) == 1
    assert rejecting_sink.messages() == []


def test_parameters_are_passed_on_and_success_notices(fresh_kurier, sink):
    k = fresh_kurier
    route(k, "remote.test", sink.port)
    start_with_queue(k)
    sender, password = k.add_user()
    local, _ = k.add_user()
    k.cli("alias", "add", "fwd@example.test", "far@remote.test")
    k.cli("alias", "add", "team@example.test", local, "mate@remote.test")

    with submission(k, sender, password) as c:
        send(c, sender, "b@remote.test", "passed-on", ["RET=HDRS", "ENVID=xyz"],
             ["NOTIFY=FAILURE", "ORCPT=rfc822;b@remote.test"])
        # RFC 3461 5.2.3: into a local mailbox, NOTIFY=SUCCESS gets "delivered".
        send(c, sender, local, "to-local", ["ENVID=loc1"], ["NOTIFY=SUCCESS"])
        # 5.2.7.3: an alias with two targets gets one "expanded" notice; its outside target
        # is relayed with SUCCESS taken out (NEVER) and the alias as ORCPT.
        send(c, sender, "team@example.test", "to-team", ["ENVID=team1"], ["NOTIFY=SUCCESS"])
    # Port 25, an outside sender, an alias to an outside address: NOTIFY kept, ORCPT added.
    with smtp(k) as c:
        send(c, "someone@elsewhere.example", "fwd@example.test", "via-alias", ["ENVID=fwd1"],
             ["NOTIFY=FAILURE,DELAY"])

    wait_for(lambda: len(sink.messages()) == 3 and queue_list(k) == [], what="three relayed messages")
    got = {parse(m)["Subject"]: m.decode() for m in sink.messages()}
    passed = got["passed-on"]
    assert "RET=HDRS" in passed and "ENVID=xyz" in passed.split("X-Rcpt-Args")[0]
    assert "X-Rcpt-Args: <b@remote.test> NOTIFY=FAILURE ORCPT=rfc822;b@remote.test" in passed
    team = got["to-team"]
    assert "ENVID=team1" in team
    assert "X-Rcpt-Args: <mate@remote.test> NOTIFY=NEVER ORCPT=rfc822;team@example.test" in team
    via_alias = got["via-alias"]
    # Forwarded from an outside sender: the envelope sender is SRS-rewritten (test_forwarding.py).
    assert "=elsewhere.example=someone@localhost> " in via_alias and "ENVID=fwd1" in via_alias
    assert "X-Rcpt-Args: <far@remote.test> NOTIFY=FAILURE,DELAY ORCPT=rfc822;fwd@example.test" in via_alias

    # The local recipient got its copies (direct and through the alias).
    assert {parse(m)["Subject"] for m in inbox(k, local)} == {"to-local", "to-team"}
    # The sender: no "relayed" notice (smtp-sink offers DSN), one "delivered", one "expanded".
    notices = wait_for_inbox(k, sender, 2, "two success notices")
    assert len(notices) == 2
    by_envid = {}
    for n in notices:
        assert n["Subject"] == "Successful Mail Delivery Report"
        assert n["Return-Path"] == "<>"
        per_message, rcpt = report_blocks(n)
        by_envid[per_message["Original-Envelope-Id"]] = (rcpt, n)
    rcpt, n = by_envid["loc1"]
    assert rcpt["Action"] == "delivered" and rcpt["Status"] == "2.0.0"
    assert rcpt["Final-Recipient"] == f"rfc822; {local}"
    assert n.get_payload()[2].get_content_type() == "text/rfc822-headers"
    assert "Subject: to-local" in n.get_payload()[2].get_payload()
    rcpt, _ = by_envid["team1"]
    assert rcpt["Action"] == "expanded"
    assert rcpt["Final-Recipient"] == "rfc822; team@example.test"


def test_relayed_notice_when_the_next_hop_has_no_dsn(fresh_kurier, sink_without_dsn):
    k = fresh_kurier
    route(k, "remote.test", sink_without_dsn.port)
    start_with_queue(k)
    sender, password = k.add_user()
    with submission(k, sender, password) as c:
        send(c, sender, "b@remote.test", "relayed", ["ENVID=rel1"],
             ["NOTIFY=SUCCESS,FAILURE", "ORCPT=rfc822;b@remote.test"])
    wait_for(lambda: sink_without_dsn.messages() and queue_list(k) == [], what="the relayed message")
    raw = sink_without_dsn.messages()[0].decode()
    assert "NOTIFY=" not in raw and "ENVID=" not in raw  # not offered: not sent
    [notice] = wait_for_inbox(k, sender, 1, "the relayed notice")
    assert notice["Subject"] == "Successful Mail Delivery Report"
    per_message, rcpt = report_blocks(notice)
    assert per_message["Original-Envelope-Id"] == "rel1"
    assert rcpt["Action"] == "relayed"
    assert rcpt["Original-Recipient"] == "rfc822;b@remote.test"
    assert rcpt["Final-Recipient"] == "rfc822; b@remote.test"


def test_partial_permanent_failure_after_data_is_accepted_and_bounced(fresh_kurier):
    """RFC 5321 6.1: SMTP has one reply after DATA. When one recipient fails permanently there
    (its mailbox filled up after RCPT, with over_quota = "permanent") and another got the
    message, the answer is 250 and the sender gets a DSN naming the failed recipient."""
    k = fresh_kurier
    k.set_config("delivery", "over_quota", '"permanent"')
    k.start()
    sender, _ = k.add_user()
    ok, _ = k.add_user()
    full, _ = k.add_user(None, "password-1", "--quota", "1K")
    with smtp(k) as c:
        c.mail(sender, ["ENVID=part1"])
        assert c.rcpt(ok)[0] == 250
        assert c.rcpt(full, ["ORCPT=rfc822;full-orig@example.test"])[0] == 250
        with smtp(k) as filler:  # fills `full` between its RCPT and the DATA
            filler.sendmail("x@elsewhere.example", [full], text_message("x@elsewhere.example", full, "filler")
                            + b"x" * 2000 + b"\r\n")
        code, text = c.data(text_message(sender, ok, "partial"))
        assert code == 250, text
    assert [parse(m)["Subject"] for m in inbox(k, ok)] == ["partial"]
    [dsn] = wait_for_inbox(k, sender, 1, "the DSN for the failed recipient")
    assert dsn["Subject"] == "Undelivered Mail Returned to Sender"
    assert dsn["Return-Path"] == "<>"
    per_message, rcpt = report_blocks(dsn)
    assert per_message["Original-Envelope-Id"] == "part1"
    assert rcpt["Final-Recipient"] == f"rfc822; {full}"
    assert rcpt["Original-Recipient"] == "rfc822;full-orig@example.test"
    assert rcpt["Action"] == "failed" and rcpt["Status"] == "5.2.2"
    returned = dsn.get_payload()[2]
    assert returned.get_content_type() == "message/rfc822"  # no RET: the whole message
    assert "The body of the message." in returned.as_string()
    assert "partial" not in [parse(m)["Subject"] for m in inbox(k, full)]  # the filler and a quota warning

