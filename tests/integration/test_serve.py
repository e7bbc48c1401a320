"""`kurier serve` as a process: every port of docs/INTERFACE.md answers in its protocol, implicit TLS is
TLS 1.2+ only, limits hold, log lines are structured, SIGTERM stops cleanly."""
import re
import socket
import ssl
import time
import warnings

import pytest

from conftest import IMPLICIT_TLS, SERVICES

# What the first line of each protocol looks like (a real greeting or a clear refusal).
FIRST_LINE = {
    "smtp": rb"^(220|554) ", "submission": rb"^(220|554) ", "submissions": rb"^(220|554) ", "lmtp": rb"^(220|554) ",
    "imap": rb"^\* (OK|BYE|PREAUTH) ", "imaps": rb"^\* (OK|BYE|PREAUTH) ",
    "pop3": rb"^(\+OK|-ERR)", "pop3s": rb"^(\+OK|-ERR)",
    "managesieve": rb'^("IMPLEMENTATION"|BYE|"SASL"|"SIEVE")',
}


def connect(k, name, tls_version=None):
    sock = socket.create_connection((k.host, k.port(name)), timeout=10)
    if name in IMPLICIT_TLS:
        ctx = k.ssl_context()
        if tls_version:
            # Let the client offer old versions at all, so a refusal can only come from the server.
            ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                ctx.minimum_version = ctx.maximum_version = tls_version
        sock = ctx.wrap_socket(sock, server_hostname="localhost")
    return sock


def first_line(sock):
    data = b""
    while not data.endswith(b"\n"):
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


@pytest.mark.parametrize("name", sorted(FIRST_LINE))
def test_every_mail_port_greets(kurier, name):
    with connect(kurier, name) as s:
        line = first_line(s)
    assert re.match(FIRST_LINE[name], line), f"{name} said {line!r}"


@pytest.mark.parametrize("name", ["http", "https"])
def test_web_ports_answer_http(kurier, name):
    with connect(kurier, name) as s:
        s.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        line = first_line(s)
    assert line.startswith(b"HTTP/1.1 "), line


@pytest.mark.parametrize("name", sorted(IMPLICIT_TLS))
def test_implicit_tls_refuses_tls_1_1(kurier, name):
    with pytest.raises(ssl.SSLError) as e:
        with connect(kurier, name, tls_version=ssl.TLSVersion.TLSv1_1) as s:
            first_line(s)
    # The server's alert, not a client-side refusal to offer TLS 1.1.
    assert "PROTOCOL_VERSION" in str(e.value) or "UNSUPPORTED_PROTOCOL" in str(e.value), str(e.value)


@pytest.mark.parametrize("name", sorted(IMPLICIT_TLS))
def test_implicit_tls_speaks_tls_1_2_and_1_3(kurier, name):
    for version in (ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3):
        with connect(kurier, name, tls_version=version) as s:
            assert s.version() in ("TLSv1.2", "TLSv1.3")
            assert s.version() == {ssl.TLSVersion.TLSv1_2: "TLSv1.2", ssl.TLSVersion.TLSv1_3: "TLSv1.3"}[version]


def test_log_lines_are_structured_with_connection_ids(kurier):
    with connect(kurier, "imap") as s:
        first_line(s)
    time.sleep(0.2)
    lines = [l for l in kurier.log_text().splitlines() if " connection_open " in l]
    assert lines, kurier.log_text()[-2000:]
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z info connection_open conn=\d+ service=\w+ ip=", lines[-1])


def test_per_ip_connection_limit(fresh_kurier):
    k = fresh_kurier
    k.set_config("limits", "max_connections_per_ip", "3")
    k.start()
    time.sleep(0.5)  # let start()'s own readiness probes end, so they hold no slot
    held = []
    try:
        # A client that never starts its TLS handshake holds its slot (until the handshake
        # timeout); the 4th connection from this IP is refused with the protocol's own line.
        for _ in range(3):
            s = socket.create_connection((k.host, k.port("imaps")), timeout=10)
            held.append(s)
        time.sleep(0.2)
        for s in held:  # still open: admitted, not refused
            s.setblocking(False)
            with pytest.raises(BlockingIOError):
                s.recv(1)
        with socket.create_connection((k.host, k.port("imap")), timeout=10) as s:
            line = first_line(s)
        assert line.startswith(b"* BYE Too many connections"), k.log_text()[-3000:]
    finally:
        for s in held:
            s.close()


def test_sigterm_stops_cleanly_with_clients_connected(fresh_kurier):
    k = fresh_kurier.start()
    idle = socket.create_connection((k.host, k.port("imap")), timeout=10)
    first_line(idle)
    t0 = time.monotonic()
    assert k.stop() == 0
    assert time.monotonic() - t0 < 15
    assert "shutdown.done" in k.log_text()
    idle.close()


def test_refuses_to_start_on_a_taken_port(fresh_kurier):
    k = fresh_kurier
    blocker = socket.socket()
    blocker.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    blocker.bind(("127.0.0.1", k.port("imap")))
    blocker.listen()
    try:
        with pytest.raises(RuntimeError) as e:
            k.start()
        assert "imap" in str(e.value)
    finally:
        blocker.close()


def _listening_addresses(port):
    """The local IPv4 addresses with a socket listening on port (from /proc/net/tcp)."""
    found = set()
    for line in open("/proc/net/tcp").read().splitlines()[1:]:
        fields = line.split()
        local, state = fields[1], fields[3]
        address_hex, port_hex = local.split(":")
        if state == "0A" and int(port_hex, 16) == port:  # 0A: TCP_LISTEN
            found.add(socket.inet_ntoa(bytes.fromhex(address_hex)[::-1]))
    return found


def test_lmtp_listens_on_loopback_even_when_the_server_binds_elsewhere(fresh_kurier):
    k = fresh_kurier
    text = k.config.read_text()
    # 127.0.0.2 stands for a public address (0.0.0.0 could collide with other tests' ports).
    k.config.write_text(re.sub(r'(?m)^bind = .*$', 'bind = ["127.0.0.1", "127.0.0.2"]', text))
    k.start()
    assert _listening_addresses(k.port("smtp")) == {"127.0.0.1", "127.0.0.2"}
    # LMTP takes mail for any local recipient without AUTH: loopback only by default.
    assert _listening_addresses(k.port("lmtp")) == {"127.0.0.1"}
    out = k.cli("check-config").stdout
    assert re.search(r'lmtp_bind = \["127\.0\.0\.1"\]', out), out
