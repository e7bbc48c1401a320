"""Mail that kurier sends on for others, end to end against a real remote MX (Postfix's
smtp-sink through [outbound.routes]), with smtplib as the client:
  - success notices return headers only, even for a message without an empty line (the sender
    of a port-25 message may be forged: it must not receive the body);
"""
import email
import email.policy

from conftest import wait_for
from queue_support import queue_list, route, start_with_queue
from test_smtp import smtp


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
