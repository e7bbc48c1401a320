"""Outbound TLS policies of the queue against real loopback servers (tls_mx_support.py): a
STARTTLS SMTP server with certificates from a test CA that kurier is told to trust
([outbound] ca_file) or from nobody, a fake DNS server ([outbound] dns_servers) that also
plays a DNSSEC-validating resolver, and an HTTPS server with an MTA-STS policy
([outbound] mta_sts_port). A slow destination must not stall mail to another one.
"""
import pytest

from conftest import wait_for
from queue_support import queue_list, start_with_queue
from tls_mx_support import FakeDns, Pki, PolicyServer, StalledServer, TlsSmtpServer
from test_queue import inject


@pytest.fixture
def pki(tmp_path):
    return Pki(tmp_path)


@pytest.fixture
def dns():
    d = FakeDns()
    yield d
    d.stop()


@pytest.fixture
def servers():
    started = []
    yield started
    for s in started:
        s.stop()


def smtp_server(servers, cert, tmp_path, name="smtp"):
    s = TlsSmtpServer(cert, tmp_path, name)
    servers.append(s)
    return s


def configure(k, dns, pki, **outbound):
    k.set_config("outbound", "dns_servers", f'["{dns.address}"]')
    k.set_config("outbound", "ca_file", f'"{pki.ca_file}"')
    for key, value in outbound.items():
        k.set_config("outbound", key, value)


def delivery_lines(k, qid):
    return [l for l in k.log_text().splitlines() if "queue.delivery" in l and f"id={qid}" in l]


def deferred_with(k, qid, text):
    """The message is deferred and `kurier queue list --json` shows text (its last error)."""
    entries = [e for e in queue_list(k) if e["id"] == qid]
    return bool(entries) and entries[0]["state"] == "deferred" and text in repr(entries[0])


# ---- require_tls with a route ------------------------------------------------------------------

def route_by_name(k, dns, domain, host, port):
    dns.add(host, "A", "127.0.0.1")
    k.set_config("outbound.routes", f'"{domain}"', f'"{host}:{port}"')


def test_require_tls_defers_a_certificate_no_trusted_ca_signed(fresh_kurier, dns, pki, servers, tmp_path):
    k = fresh_kurier
    mx = smtp_server(servers, Pki.self_signed("mx.remote.test"), tmp_path)
    configure(k, dns, pki, require_tls="true")
    route_by_name(k, dns, "remote.test", "mx.remote.test", mx.port)
    start_with_queue(k)
    qid = inject(k, "sender@example.test", ["bob@remote.test"], "untrusted")
    wait_for(lambda: deferred_with(k, qid, "certificate verify failed"), "deferral for an untrusted certificate",
             details=lambda: k.log_text()[-3000:])
    assert mx.messages == []
    assert not any(c.upper().startswith("MAIL") for c in mx.commands), "the message went to an unverified server"
    [line] = delivery_lines(k, qid)
    assert "status=deferred" in line and "tls=failed" in line and "tls_policy=require_tls" in line, line
    assert "dsn=4.7.5" in line, line


def test_require_tls_delivers_with_a_trusted_ca_and_the_right_name(fresh_kurier, dns, pki, servers, tmp_path):
    k = fresh_kurier
    mx = smtp_server(servers, pki.issue("mx.remote.test"), tmp_path)
    configure(k, dns, pki, require_tls="true")
    route_by_name(k, dns, "remote.test", "mx.remote.test", mx.port)
    start_with_queue(k)
    qid = inject(k, "sender@example.test", ["bob@remote.test"], "trusted")
    wait_for(lambda: queue_list(k) == [] and mx.messages, "delivery over verified TLS",
             details=lambda: k.log_text()[-3000:])
    [(over_tls, data)] = mx.messages
    assert over_tls and b"Subject: trusted" in data
    [line] = delivery_lines(k, qid)
    assert "status=sent" in line and "tls=verified" in line and "tls_policy=require_tls" in line, line


def test_require_tls_defers_a_certificate_for_another_name(fresh_kurier, dns, pki, servers, tmp_path):
    k = fresh_kurier
    mx = smtp_server(servers, pki.issue("other.remote.test"), tmp_path)
    configure(k, dns, pki, require_tls="true")
    route_by_name(k, dns, "remote.test", "mx.remote.test", mx.port)
    start_with_queue(k)
    qid = inject(k, "sender@example.test", ["bob@remote.test"], "wrongname")
    wait_for(lambda: deferred_with(k, qid, "name mismatch"), "deferral for the wrong name",
             details=lambda: k.log_text()[-3000:])
    assert mx.messages == []


def test_opportunistic_tls_is_logged_unverified(fresh_kurier, dns, pki, servers, tmp_path):
    k = fresh_kurier
    mx = smtp_server(servers, Pki.self_signed("mx.remote.test"), tmp_path)
    configure(k, dns, pki)  # no require_tls: RFC 7435 opportunistic TLS
    route_by_name(k, dns, "remote.test", "mx.remote.test", mx.port)
    start_with_queue(k)
    qid = inject(k, "sender@example.test", ["bob@remote.test"], "opportunistic")
    wait_for(lambda: queue_list(k) == [] and mx.messages, "opportunistic delivery")
    assert mx.messages[0][0]
    [line] = delivery_lines(k, qid)
    assert "tls=unverified" in line and "tls_policy=opportunistic" in line, line


# ---- MTA-STS (RFC 8461) ------------------------------------------------------------------------

def sts_domain(k, dns, pki, servers, tmp_path, policy, mx_cert):
    """sts.test: MX mx.sts.test on the test SMTP server, an MTA-STS record and policy server."""
    mx = smtp_server(servers, mx_cert, tmp_path)
    policy_server = PolicyServer(pki.issue("mta-sts.sts.test"), tmp_path, policy)
    servers.append(policy_server)
    dns.add("sts.test", "MX", (10, "mx.sts.test"))
    dns.add("mx.sts.test", "A", "127.0.0.1")
    dns.add("mta-sts.sts.test", "A", "127.0.0.1")
    dns.add("_mta-sts.sts.test", "TXT", "v=STSv1; id=20261207T1;")
    configure(k, dns, pki, smtp_port=str(mx.port), mta_sts_port=str(policy_server.port))
    return mx, policy_server


ENFORCE = "version: STSv1\r\nmode: enforce\r\nmx: mx.sts.test\r\nmax_age: 86400\r\n"


def test_mta_sts_enforce_delivers_over_verified_tls_and_caches_the_policy(fresh_kurier, dns, pki, servers, tmp_path):
    k = fresh_kurier
    mx, policy_server = sts_domain(k, dns, pki, servers, tmp_path, ENFORCE, pki.issue("mx.sts.test"))
    start_with_queue(k)
    qid = inject(k, "sender@example.test", ["bob@sts.test"], "sts")
    wait_for(lambda: queue_list(k) == [] and mx.messages, "delivery under MTA-STS",
             details=lambda: k.log_text()[-3000:])
    assert policy_server.requests == [("mta-sts.sts.test", "/.well-known/mta-sts.txt")]
    [line] = delivery_lines(k, qid)
    assert "tls=verified" in line and "tls_policy=mta-sts" in line, line
    cached = (k.dir / "queue" / "mta-sts" / "sts.test").read_text()
    assert cached.startswith("20261207T1\n") and "mode: enforce" in cached
    # A second message uses the cached policy: same TXT id, no second fetch.
    inject(k, "sender@example.test", ["carol@sts.test"], "sts2")
    wait_for(lambda: queue_list(k) == [] and len(mx.messages) == 2, "second delivery")
    assert len(policy_server.requests) == 1


def test_mta_sts_enforce_defers_an_unverifiable_mx(fresh_kurier, dns, pki, servers, tmp_path):
    k = fresh_kurier
    mx, _ = sts_domain(k, dns, pki, servers, tmp_path, ENFORCE, Pki.self_signed("mx.sts.test"))
    start_with_queue(k)  # no require_tls: the domain's policy demands verified TLS
    qid = inject(k, "sender@example.test", ["bob@sts.test"], "sts-bad")
    wait_for(lambda: deferred_with(k, qid, "certificate verify failed"), "deferral under MTA-STS",
             details=lambda: k.log_text()[-3000:])
    assert mx.messages == []
    [line] = delivery_lines(k, qid)
    assert "tls=failed" in line and "tls_policy=mta-sts" in line, line


def test_mta_sts_enforce_skips_an_mx_the_policy_does_not_list(fresh_kurier, dns, pki, servers, tmp_path):
    k = fresh_kurier
    policy = ENFORCE.replace("mx: mx.sts.test", "mx: *.elsewhere.test")
    mx, _ = sts_domain(k, dns, pki, servers, tmp_path, policy, pki.issue("mx.sts.test"))
    start_with_queue(k)
    qid = inject(k, "sender@example.test", ["bob@sts.test"], "sts-unlisted")
    wait_for(lambda: deferred_with(k, qid, "not allowed by the domain's policy"), "deferral for an unlisted MX",
             details=lambda: k.log_text()[-3000:])
    assert mx.commands == []  # never even connected


def test_mta_sts_testing_delivers_and_logs_the_failed_check(fresh_kurier, dns, pki, servers, tmp_path):
    k = fresh_kurier
    policy = ENFORCE.replace("mode: enforce", "mode: testing")
    mx, _ = sts_domain(k, dns, pki, servers, tmp_path, policy, Pki.self_signed("mx.sts.test"))
    start_with_queue(k)
    qid = inject(k, "sender@example.test", ["bob@sts.test"], "sts-testing")
    wait_for(lambda: queue_list(k) == [] and mx.messages, "delivery under a testing policy",
             details=lambda: k.log_text()[-3000:])
    [line] = delivery_lines(k, qid)
    assert "status=sent" in line and "tls=unverified" in line and "tls_policy=mta-sts-testing" in line, line
    assert f"queue.mta_sts_testing_failure id={qid}" in k.log_text()


def test_a_policy_host_with_an_untrusted_certificate_gives_no_policy(fresh_kurier, dns, pki, servers, tmp_path):
    # RFC 8461 3.3: the policy counts only when fetched over HTTPS with a valid certificate;
    # without one (and nothing cached) the domain gets opportunistic TLS.
    k = fresh_kurier
    mx = smtp_server(servers, Pki.self_signed("mx.sts.test"), tmp_path)
    policy_server = PolicyServer(Pki.self_signed("mta-sts.sts.test"), tmp_path, ENFORCE)
    servers.append(policy_server)
    dns.add("sts.test", "MX", (10, "mx.sts.test"))
    dns.add("mx.sts.test", "A", "127.0.0.1")
    dns.add("mta-sts.sts.test", "A", "127.0.0.1")
    dns.add("_mta-sts.sts.test", "TXT", "v=STSv1; id=1;")
    configure(k, dns, pki, smtp_port=str(mx.port), mta_sts_port=str(policy_server.port))
    start_with_queue(k)
    qid = inject(k, "sender@example.test", ["bob@sts.test"], "sts-untrusted-policy")
    wait_for(lambda: queue_list(k) == [] and mx.messages, "opportunistic delivery", details=lambda: k.log_text()[-3000:])
    assert policy_server.requests == []  # nothing was asked of an unverified host
    assert "queue.mta_sts_fetch_failed" in k.log_text() and "certificate verify failed" in k.log_text()
    assert not (k.dir / "queue" / "mta-sts" / "sts.test").exists()
    [line] = delivery_lines(k, qid)
    assert "tls_policy=opportunistic" in line, line


def test_an_invalid_policy_file_gives_no_policy(fresh_kurier, dns, pki, servers, tmp_path):
    k = fresh_kurier
    mx, policy_server = sts_domain(k, dns, pki, servers, tmp_path, "version: STSv1\r\nmode: strict\r\n",
                                   Pki.self_signed("mx.sts.test"))
    start_with_queue(k)
    inject(k, "sender@example.test", ["bob@sts.test"], "sts-invalid")
    wait_for(lambda: queue_list(k) == [] and mx.messages, "opportunistic delivery")
    assert len(policy_server.requests) == 1
    assert "unknown mode strict" in k.log_text()


def test_mta_sts_can_be_switched_off(fresh_kurier, dns, pki, servers, tmp_path):
    k = fresh_kurier
    mx, policy_server = sts_domain(k, dns, pki, servers, tmp_path, ENFORCE, Pki.self_signed("mx.sts.test"))
    k.set_config("outbound", "mta_sts", "false")
    start_with_queue(k)
    inject(k, "sender@example.test", ["bob@sts.test"], "sts-off")
    wait_for(lambda: queue_list(k) == [] and mx.messages, "opportunistic delivery without MTA-STS")
    assert policy_server.requests == []


# ---- DANE (RFC 7672) ---------------------------------------------------------------------------

def dane_domain(k, dns, pki, servers, tmp_path, cert, tlsa_data, secure=True):
    mx = smtp_server(servers, cert, tmp_path)
    dns.add("dane.test", "MX", (10, "mx.dane.test"), secure=secure)
    dns.add("mx.dane.test", "A", "127.0.0.1", secure=secure)
    dns.add(f"_{mx.port}._tcp.mx.dane.test", "TLSA", (3, 1, 1, tlsa_data), secure=secure)
    configure(k, dns, pki, smtp_port=str(mx.port))
    return mx


def test_dane_ee_authenticates_a_self_signed_certificate(fresh_kurier, dns, pki, servers, tmp_path):
    k = fresh_kurier
    cert = Pki.self_signed("mx.dane.test")
    mx = dane_domain(k, dns, pki, servers, tmp_path, cert, cert.spki_sha256())
    start_with_queue(k)
    qid = inject(k, "sender@example.test", ["bob@dane.test"], "dane")
    wait_for(lambda: queue_list(k) == [] and mx.messages, "delivery under DANE", details=lambda: k.log_text()[-3000:])
    [line] = delivery_lines(k, qid)
    assert "tls=verified" in line and "tls_policy=dane" in line, line


def test_dane_defers_when_no_tlsa_record_matches(fresh_kurier, dns, pki, servers, tmp_path):
    k = fresh_kurier
    mx = dane_domain(k, dns, pki, servers, tmp_path, Pki.self_signed("mx.dane.test"), b"\x00" * 32)
    start_with_queue(k)
    qid = inject(k, "sender@example.test", ["bob@dane.test"], "dane-bad")
    wait_for(lambda: deferred_with(k, qid, "no TLSA record matched"), "deferral under DANE",
             details=lambda: k.log_text()[-3000:])
    assert mx.messages == []


def test_tlsa_records_without_dnssec_are_ignored(fresh_kurier, dns, pki, servers, tmp_path):
    k = fresh_kurier
    mx = dane_domain(k, dns, pki, servers, tmp_path, Pki.self_signed("mx.dane.test"), b"\x00" * 32, secure=False)
    start_with_queue(k)
    qid = inject(k, "sender@example.test", ["bob@dane.test"], "dane-insecure")
    wait_for(lambda: queue_list(k) == [] and mx.messages, "opportunistic delivery")
    [line] = delivery_lines(k, qid)
    assert "tls_policy=opportunistic" in line, line


# ---- a slow destination ------------------------------------------------------------------------

def test_a_stalled_destination_does_not_stop_delivery_elsewhere(fresh_kurier, sink):
    k = fresh_kurier
    stalled = StalledServer()
    try:
        k.set_config("outbound", "max_in_flight", "2")
        k.set_config("outbound", "max_connections_per_domain", "1")
        k.set_config("outbound.routes", '"slow.test"', f'"127.0.0.1:{stalled.port}"')
        k.set_config("outbound.routes", '"fast.test"', f'"127.0.0.1:{sink.port}"')
        start_with_queue(k)
        slow = [inject(k, "sender@example.test", ["x@slow.test"], f"slow{i}") for i in range(3)]
        wait_for(lambda: stalled.held, "the stalled server to hold a connection")
        fast = inject(k, "sender@example.test", ["bob@fast.test"], "fast")
        wait_for(lambda: sink.messages() and fast not in [e["id"] for e in queue_list(k)],
                 "delivery to the fast destination", details=lambda: k.log_text()[-3000:])
        assert set(slow) <= {e["id"] for e in queue_list(k)}
    finally:
        stalled.stop()
