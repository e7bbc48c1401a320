"""Hostile clients (issue 8) against a real `kurier serve`: what abusers, relay testers and
resource-exhaustion tools send, and what must never happen in answer.

1. Open-relay probes (the address forms of classic relay testers such as rlytest and mailradar)
   on port 25 without AUTH, on submission before AUTH, and on LMTP: every RCPT is refused, or
   accepted only as a local delivery; nothing reaches the outbound queue or the remote MX
   (RFC 5321 3.6.1-3.6.2, 4.1.1.3: source routes are ignored, never followed).
2. STARTTLS command injection (CVE-2011-0411): commands pipelined behind STARTTLS in the same
   packet are never executed after the handshake (RFC 3207 5, RFC 2595 3.1, RFC 5804 2.2).
3. Slowloris: one address holding all its connection slots with unfinished lines or handshakes
   does not shut out another address, and its connections are eventually closed.
4. Ten thousand connections at once: every greeting arrives, logins and deliveries still work,
   and the server is healthy after they all go.
5. SMTP smuggling (SEC Consult, 2023): a "." line next to a bare CR or LF inside DATA never ends
   the message, so a second transaction hidden in it is never executed (RFC 5321 4.1.1.4,
   2.3.8; policy in src/smtp_protocol/data.h). Also over LMTP and BDAT.
"""
import base64
import imaplib
import resource
import selectors
import smtplib
import socket
import ssl
import time

import pytest

from conftest import Kurier, LineSocket, wait_for
from imap_support import RawImap, inbox, message_count
from queue_support import make_sink, queue_list, start_with_queue
from smtp_support import RawSmtp

REMOTE = "remote.example"


# ---- helpers ------------------------------------------------------------------------------------

def dial(k, service, source=None, timeout=15):
    """A TCP connection to `service` of k, from the loopback address `source` when given."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(timeout)
    if source:
        s.bind((source, 0))
    s.connect((k.host, k.port(service)))
    return s


def raw_smtp(k, service="smtp", source=None):
    r = RawSmtp(dial(k, service, source))
    assert r.greeting[0].startswith("220 "), r.greeting
    return r


def code(reply_lines):
    return int(reply_lines[-1][:3])


def closed_by_peer(sock):
    """True when the peer has closed `sock` (whatever it wrote first is read and dropped)."""
    sock.setblocking(False)
    try:
        while True:
            if not sock.recv(65536):
                return True
    except BlockingIOError:
        return False
    except (ConnectionResetError, BrokenPipeError, ssl.SSLError):
        return True


def message(subject, body="Hello there.\r\n", sender=f"sender@{REMOTE}"):
    return (f"From: {sender}\r\nTo: someone\r\nSubject: {subject}\r\n"
            f"Message-ID: <{time.time_ns()}@client.test>\r\n"
            f"Date: Mon, 07 Dec 2026 01:00:00 +0000\r\n\r\n{body}").encode()


def assert_no_sanitizer_report(k):
    text = k.log_text()
    assert "ERROR: AddressSanitizer" not in text and "runtime error:" not in text, text[-5000:]


# ---- 1. open-relay probes -----------------------------------------------------------------------

# RCPT paths of classic relay testers (rlytest, mailradar, the abuse.net relay test), written with
# L = a hosted domain and R = a remote one. "local": after the source route is ignored the
# address names the hosted domain, so a catch-all may accept it, for local delivery only; every
# other form names a remote domain, an address literal or nothing valid, and must be refused.
RELAY_PROBES = [
    ("user@{R}", False),
    ("USER@{RU}", False),
    ("user@{R}.", False),                              # trailing dot of a remote domain
    ("user@{L}.", True),                               # trailing dot of the hosted domain
    ("@a.example,@b.example:user@{R}", False),         # source route (RFC 5321 4.1.1.3, C)
    ("@{L}:user@{R}", False),                          # route through us to a remote mailbox
    ("@{L},@{R}:user@{R}", False),
    ("@[127.0.0.1]:user@{R}", False),
    ("@{R}:user@{L}", True),                           # route ignored: a local mailbox
    ("user%{R}@{L}", True),                            # the % hack
    ("User%{RU}@{LU}", True),
    ("user%{R}%{L}@{L}", True),
    ("user%{R}@[127.0.0.1]", False),
    ('"user@{R}"@{L}', True),                          # quoted local parts
    ('"user%{R}"@{L}', True),
    ('"user@{R}"@[127.0.0.1]', False),
    ('"user@{R}"', False),                             # unqualified
    ("user@{R}@{L}", True),                            # two @: invalid, or a local part
    ("user@{R}@[127.0.0.1]", False),
    ("{R}!user@{L}", True),                            # bang paths
    ("{L}!{R}!user@{L}", True),
    ("{R}!user@[127.0.0.1]", False),
    ("{R}!user", False),
    ("user@{R}!x", False),
    ("user@[192.0.2.1]", False),                       # address literals
    ("user@[127.0.0.1]", False),
    ("postmaster@[127.0.0.1]", False),
    ("user@[IPv6:::1]", False),
    ("user@[IPv6:2001:db8::1]", False),
    ("user@2130706433", False),                        # 127.0.0.1 as a decimal "domain"
    ("user@0x7f000001", False),
    ("user@localhost", False),                         # the server's hostname is no hosted domain
    ("user@{R}%{L}", False),
    ("user@remote\u3002example", False),               # IDNA full stop, without SMTPUTF8
    ("user@{L}\u3002", True),
    ("user%{R}", False),
    ('"user"@{R}', False),
]

# Whole RCPT arguments with sloppy syntax that lenient servers take: no brackets, a space,
# doubled brackets, parameters carrying a remote address.
RELAY_PROBE_ARGS = [
    ("user@{R}", False),
    (" <user@{R}>", False),
    ("<<user@{R}>>", False),
    ("<user@{R}", False),
    ("<user@{R}> NOTIFY=NEVER", False),
    ("<user%{R}@{L}> ORCPT=rfc822;user@{R}", True),
]

RELAY_SENDERS = ["", "postmaster@{L}", "user@{R}"]  # null, a spoofed local sender, a remote one


def probe_args(local_domain):
    """(RCPT argument, names the hosted domain) for every probe."""
    subst = {"L": local_domain, "R": REMOTE, "LU": local_domain.upper(), "RU": REMOTE.upper()}
    return ([("<" + path.format(**subst) + ">", local) for path, local in RELAY_PROBES] +
            [(arg.format(**subst), local) for arg, local in RELAY_PROBE_ARGS])


@pytest.fixture(scope="module")
def relay_kurier(tmp_path_factory):
    """A server whose every outbound message would go to a smtp-sink (the relayhost), so a relayed
    probe shows up in the sink even if the queue has already delivered it. Refused RCPTs count
    as bad commands (limits.max_bad_commands): the limit is raised so one session can send the
    whole battery."""
    sink = make_sink()
    k = Kurier(tmp_path_factory.mktemp("relay"))
    k.set_config("limits", "max_bad_commands", "10000")
    k.set_config("outbound", "relayhost", f'"127.0.0.1:{sink.port}"')
    start_with_queue(k)
    k.sink = sink
    yield k
    try:
        assert k.stop() == 0, k.log_text()[-3000:]
        assert_no_sanitizer_report(k)
    finally:
        sink.stop()


def assert_nothing_relayed(k, sink_before):
    assert queue_list(k) == [], queue_list(k)
    assert len(k.sink.messages()) == sink_before, k.sink.messages()[-1]


def run_battery(k, service, sender, rcpt_args, local_rcpt):
    """One transaction: MAIL FROM:<sender>, RCPT TO:ARG for every argument, then RCPT <local_rcpt> (so DATA
    has a recipient and any wrongly accepted probe would be relayed), and DATA when MAIL was
    accepted. Returns ({argument: reply}, MAIL reply)."""
    r = raw_smtp(k, service)
    assert code(r.cmd(("LHLO" if service == "lmtp" else "EHLO") + " relay-tester.example")) == 250
    mail = r.cmd(f"MAIL FROM:<{sender}>")
    replies = {arg: r.cmd(f"RCPT TO:{arg}") for arg in rcpt_args}
    if local_rcpt and code(mail) == 250:
        assert code(r.cmd(f"RCPT TO:<{local_rcpt}>")) == 250
        assert code(r.cmd("DATA")) == 354
        r.send(message("relay probe") + b".\r\n")
        assert code(r.reply()) == 250  # LMTP: the one accepted recipient's reply
    r.cmd("QUIT")
    r.sock.close()
    return replies, mail


def assert_refused(replies, what):
    accepted = {path: reply for path, reply in replies.items() if not 500 <= code(reply) < 600}
    assert not accepted, f"{what}: relay probes not refused with 5xx: {accepted}"


@pytest.mark.parametrize("service", ["smtp", "lmtp"])
def test_relay_probes_are_refused(relay_kurier, service):
    k = relay_kurier
    domain = f"relay-{service}.test"
    k.cli("domain", "add", domain)
    local, _ = k.add_user(f"box@{domain}")
    sink_before = len(k.sink.messages())
    for sender in RELAY_SENDERS:
        sender = sender.format(L=domain, R=REMOTE)
        replies, mail = run_battery(k, service, sender, [a for a, _ in probe_args(domain)], local)
        assert code(mail) == 250, mail
        assert_refused(replies, f"{service}, MAIL FROM:<{sender}>")
    assert_nothing_relayed(k, sink_before)
    assert message_count(k, local) == len(RELAY_SENDERS)


def test_relay_probes_on_submission_before_auth(relay_kurier):
    k = relay_kurier
    domain = "relay-submission.test"
    k.cli("domain", "add", domain)
    args = [a for a, _ in probe_args(domain)]
    sink_before = len(k.sink.messages())
    for sender in RELAY_SENDERS:
        sender = sender.format(L=domain, R=REMOTE)
        replies, mail = run_battery(k, "submission", sender, args, None)
        assert mail[0].startswith("530 5.7.0"), mail  # RFC 6409 4.3 / RFC 4954 6
        assert_refused(replies, f"submission, MAIL FROM:<{sender}>")
    # The same, pipelined in one write without waiting for answers (RFC 2920), DATA included.
    r = raw_smtp(k, "submission")
    r.cmd("EHLO relay-tester.example")
    r.send("MAIL FROM:<>\r\n" + "".join(f"RCPT TO:{a}\r\n" for a in args[:10]) + "DATA\r\n")
    codes = [code(r.reply()) for _ in range(12)]
    assert all(500 <= c < 600 for c in codes), codes
    r.sock.close()
    assert_nothing_relayed(k, sink_before)
    # The control: the same server does relay for an authenticated client, and that shows in the
    # sink, so the checks above would see a relayed probe.
    sender, password = k.add_user(f"sender@{domain}")
    with smtplib.SMTP(k.host, k.port("submission"), timeout=60) as c:
        c.starttls(context=k.ssl_context())
        c.login(sender, password)
        c.sendmail(sender, [f"user@{REMOTE}"], message("relay control", sender=sender))
    wait_for(lambda: len(k.sink.messages()) == sink_before + 1 and queue_list(k) == [],
             "the authenticated relay to reach the sink", timeout=30)


def test_relay_probes_with_catch_all_stay_local(relay_kurier):
    k = relay_kurier
    domain = "relay-catchall.test"
    k.cli("domain", "add", domain)
    target, _ = k.add_user(f"catcher@{domain}")
    k.cli("alias", "add", f"@{domain}", target)
    probes = probe_args(domain)
    sink_before = len(k.sink.messages())
    replies, _ = run_battery(k, "smtp", "", [a for a, _ in probes], None)
    local_forms = {a for a, local in probes if local}
    assert_refused({a: r for a, r in replies.items() if a not in local_forms}, "remote forms with a catch-all")
    accepted = [a for a in local_forms if code(replies[a]) == 250]
    assert accepted, replies  # the % hack and friends name the hosted domain: the catch-all takes them
    # Each accepted form alone in a transaction: it lands in the catch-all's INBOX.
    for arg in accepted:
        r = raw_smtp(k)
        r.cmd("EHLO relay-tester.example")
        r.send(f"MAIL FROM:<>\r\nRCPT TO:{arg}\r\nDATA\r\n")
        assert [code(r.reply()) for _ in range(3)] == [250, 250, 354]
        r.send(message(f"probe {ascii(arg)}") + b".\r\n")
        assert r.reply()[0].startswith("250 2.0.0")
        r.sock.close()
    subjects = [m.split(b"Subject: ", 1)[1].split(b"\r\n", 1)[0].decode() for m in inbox(k, target)]
    assert sorted(subjects) == sorted(f"probe {ascii(a)}" for a in accepted)
    assert_nothing_relayed(k, sink_before)


# ---- 2. STARTTLS command injection (CVE-2011-0411) ------------------------------------------------
# Port 25 is covered by test_smtp.py::test_starttls_drops_pipelined_plaintext. Each test sends
# STARTTLS and, in the same write, a command whose execution after the handshake would show: a
# login (the session would be authenticated) or a command with a visible answer.

def plain_auth(address, password):
    return base64.b64encode(f"\0{address}\0{password}".encode()).decode()


def test_starttls_injection_submission(kurier):
    address, password = kurier.add_user()
    r = raw_smtp(kurier, "submission")
    r.cmd("EHLO client.test")
    r.send(f"STARTTLS\r\nAUTH PLAIN {plain_auth(address, password)}\r\nMAIL FROM:<{address}>\r\n")
    assert r.reply()[0].startswith("220 2.0.0")
    assert r.buf == b""  # nothing was answered to the injected lines before the handshake
    r.sock = kurier.ssl_context().wrap_socket(r.sock)
    ehlo = r.cmd("EHLO client.test")
    assert ehlo[0] == "250-localhost", ehlo  # the first answer after TLS is to this EHLO
    # RFC 3207 4.2 / 5: the injected AUTH was dropped, so this session is not authenticated.
    assert r.cmd(f"MAIL FROM:<{address}>")[0].startswith("530 5.7.0")
    assert r.cmd(f"AUTH PLAIN {plain_auth(address, password)}")[0].startswith("235 2.7.0")
    assert r.cmd(f"MAIL FROM:<{address}>")[0].startswith("250 2.1.0")


def test_starttls_injection_imap(kurier):
    user = kurier.add_user()
    r = RawImap(kurier)
    r.send(f'a STARTTLS\r\nb LOGIN "{user[0]}" "{user[1]}"\r\nb2 CAPABILITY\r\n'.encode())
    untagged, tagged = r.until("a")
    assert tagged.startswith(b"a OK"), tagged
    assert r.buf == b"", r.buf  # nothing answered to b or b2 before the handshake
    r.sock = kurier.ssl_context().wrap_socket(r.sock)
    untagged, tagged = r.command("c", b"CAPABILITY")
    # RFC 2595 3.1 / RFC 9051 6.2.1: after the handshake no answer to b or b2 appears ...
    assert tagged.startswith(b"c OK") and len(untagged) == 1, (untagged, tagged)
    assert untagged[0].startswith(b"* CAPABILITY ") and b"STARTTLS" not in untagged[0], untagged
    # ... and the injected LOGIN did not happen: still not authenticated.
    _, tagged = r.command("d", b"SELECT INBOX")
    assert tagged.startswith((b"d BAD", b"d NO")), tagged
    r.login(user)
    _, tagged = r.command("e", b"SELECT INBOX")
    assert tagged.startswith(b"e OK"), tagged
    r.close()


def greeting_or_skip(sock, what):
    ls = LineSocket(sock)
    first = ls.line()
    if b"not implemented yet" in first:
        pytest.skip(f"{what} is not implemented yet (greeting: {first.decode()!r})")
    return ls, first


def test_starttls_injection_pop3(kurier):
    user = kurier.add_user()
    ls, greeting = greeting_or_skip(dial(kurier, "pop3"), "POP3")
    assert greeting.startswith(b"+OK"), greeting
    # RFC 2595 4: STLS; injected a USER/PASS login and a QUIT.
    ls.sock.sendall(f"STLS\r\nUSER {user[0]}\r\nPASS {user[1]}\r\nQUIT\r\n".encode())
    assert ls.line().startswith(b"+OK")
    assert ls.buf == b"", ls.buf
    ls.sock = kurier.ssl_context().wrap_socket(ls.sock)
    ls.sock.sendall(b"STAT\r\n")  # in the AUTHORIZATION state: refused
    assert ls.line().startswith(b"-ERR")
    ls.sock.sendall(f"USER {user[0]}\r\n".encode())
    assert ls.line().startswith(b"+OK")
    ls.sock.sendall(f"PASS {user[1]}\r\n".encode())
    assert ls.line().startswith(b"+OK")
    ls.sock.sendall(b"STAT\r\n")
    assert ls.line().startswith(b"+OK 0 ")
    ls.sock.close()


def sieve_response(ls):
    """Lines up to and including the one starting with OK, NO or BYE (RFC 5804 4)."""
    lines = [ls.line()]
    while not lines[-1].startswith((b"OK", b"NO", b"BYE")):
        lines.append(ls.line())
    return lines


def test_starttls_injection_managesieve(kurier):
    user = kurier.add_user()
    ls, first = greeting_or_skip(dial(kurier, "managesieve"), "ManageSieve")
    ls.buf = first + b"\r\n" + ls.buf
    assert sieve_response(ls)[-1].startswith(b"OK")
    ls.sock.sendall(b'STARTTLS\r\nNOOP "injected"\r\n'
                    b'AUTHENTICATE "PLAIN" "' + plain_auth(*user).encode() + b'"\r\n')
    assert sieve_response(ls)[-1].startswith(b"OK")
    assert ls.buf == b"", ls.buf
    ls.sock = kurier.ssl_context().wrap_socket(ls.sock)
    caps = sieve_response(ls)  # RFC 5804 2.2: the capabilities again, after the handshake
    assert caps[-1].startswith(b"OK") and not any(b"injected" in l for l in caps), caps
    ls.sock.sendall(b'NOOP "ours"\r\n')
    reply = sieve_response(ls)
    assert reply[-1].startswith(b"OK") and b"ours" in reply[-1] and b"injected" not in b"".join(reply), reply
    ls.sock.sendall(b'LISTSCRIPTS\r\n')  # not authenticated: the injected AUTHENTICATE was dropped
    assert sieve_response(ls)[-1].startswith(b"NO")
    ls.sock.close()


# ---- 3. slowloris -------------------------------------------------------------------------------

ATTACKER, OTHER = "127.0.0.1", "127.0.0.2"
SLOW_SERVICES = ["smtp", "submission", "submissions", "lmtp", "imap", "imaps"]
IMPLICIT_TLS = ("submissions", "imaps")
SLOW_PER_SERVICE = 2
IDLE_TIMEOUT = 2  # seconds: [limits] login_timeout_seconds, smtp_timeout_seconds, imap_idle_timeout_seconds
# The first bytes of a TLS ClientHello record announcing 512 bytes, of which only these come.
PARTIAL_CLIENT_HELLO = b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"


def quiet_server(k):
    """True once every connection the server opened has been closed (start()'s readiness probes
    included), read from its log: connection slots are then all free."""
    text = k.log_text()
    return text.count(" connection_open ") == text.count(" connection_close ")


def open_slow(k, service):
    """A connection from ATTACKER that starts and never finishes: a partial command line after the
    greeting, or a partial TLS ClientHello on an implicit-TLS port."""
    s = dial(k, service, ATTACKER)
    if service in IMPLICIT_TLS:
        s.sendall(PARTIAL_CLIENT_HELLO)
        return s
    greeting = LineSocket(s).line()
    assert greeting.startswith((b"220 ", b"* OK")), greeting  # admitted, not refused
    s.sendall(b"a1 CAPAB" if service == "imap" else b"EHLO slow.example")
    return s


class Imap4From(imaplib.IMAP4):
    """imaplib.IMAP4 connecting from a given local address."""

    def __init__(self, source, *args, **kw):
        self._source = source
        super().__init__(*args, **kw)

    def _create_socket(self, timeout):
        return socket.create_connection((self.host, self.port), timeout, source_address=(self._source, 0))


class Imap4SslFrom(imaplib.IMAP4_SSL):
    def __init__(self, source, *args, **kw):
        self._source = source
        super().__init__(*args, **kw)

    def _create_socket(self, timeout):
        sock = socket.create_connection((self.host, self.port), timeout, source_address=(self._source, 0))
        return self.ssl_context.wrap_socket(sock, server_hostname=self.host)


def served_normally(k, service, user):
    """A complete, ordinary session on `service` from OTHER."""
    address, password = user
    src = (OTHER, 0)
    if service == "smtp":
        with smtplib.SMTP(k.host, k.port(service), timeout=30, source_address=src) as c:
            assert c.sendmail(f"someone@{REMOTE}", [address], message("from the other address")) == {}
    elif service == "lmtp":
        with smtplib.LMTP(k.host, k.port(service), timeout=30, source_address=src) as c:
            assert c.ehlo("client.test")[0] == 250 and c.noop()[0] == 250
    elif service in ("submission", "submissions"):
        cls = smtplib.SMTP_SSL if service == "submissions" else smtplib.SMTP
        kw = {"context": k.ssl_context()} if service == "submissions" else {}
        with cls(k.host, k.port(service), timeout=30, source_address=src, **kw) as c:
            if service == "submission":
                c.starttls(context=k.ssl_context())
            assert c.login(address, password)[0] == 235
    else:
        if service == "imaps":
            m = Imap4SslFrom(OTHER, k.host, k.port(service), ssl_context=k.ssl_context(), timeout=30)
        else:
            m = Imap4From(OTHER, k.host, k.port(service), timeout=30)
        m.login(address, password)
        assert m.select("INBOX")[0] == "OK"
        m.logout()


def slowloris_kurier(k, per_ip):
    k.set_config("limits", "max_connections_per_ip", str(per_ip))
    k.set_config("limits", "smtp_timeout_seconds", str(IDLE_TIMEOUT))
    k.set_config("limits", "imap_idle_timeout_seconds", str(IDLE_TIMEOUT))
    k.set_config("limits", "login_timeout_seconds", str(IDLE_TIMEOUT))
    k.start()
    user = k.add_user()
    wait_for(lambda: quiet_server(k), "start()'s probe connections to close", timeout=10)
    return user


def test_slowloris_does_not_shut_out_other_clients(fresh_kurier):
    k = fresh_kurier
    user = slowloris_kurier(k, SLOW_PER_SERVICE * len(SLOW_SERVICES))
    slow = {}
    try:
        opened_before = k.log_text().count(" connection_open ")
        for service in SLOW_SERVICES:
            slow[service] = [open_slow(k, service) for _ in range(SLOW_PER_SERVICE)]
        # A TLS client's connect() returns before the server has accepted: wait until it has
        # admitted all of them, so the next connection is the one over the limit.
        wait_for(lambda: k.log_text().count(" connection_open ") == opened_before + sum(map(len, slow.values())),
                 "the server to admit every slow connection", timeout=10, details=lambda: k.log_text()[-3000:])
        # The attacker's address holds every slot it may have: one more is refused, with the
        # protocol's line where there is one (on implicit TLS just closed).
        assert first_line(k, "smtp", ATTACKER).startswith(b"421 4.7.0"), k.log_text()[-3000:]
        assert first_line(k, "imap", ATTACKER).startswith(b"* BYE Too many connections")
        extra = dial(k, "imaps", ATTACKER)
        wait_for(lambda: closed_by_peer(extra), "the refused imaps connection to close", timeout=10)
        extra.close()
        # Another address is served normally on every listener meanwhile.
        for service in SLOW_SERVICES:
            served_normally(k, service, user)
        m = Imap4From(OTHER, k.host, k.port("imap"), timeout=30)
        m.login(*user)
        assert m.select("INBOX", readonly=True) == ("OK", [b"1"])  # the message delivered on port 25
        m.logout()
        # The slow connections are closed: the plain ones after the idle timeout, the TLS ones
        # after the handshake timeout (login_timeout_seconds, at most 30 s).
        plain = [s for svc, conns in slow.items() if svc not in IMPLICIT_TLS for s in conns]
        wait_for(lambda: all(closed_by_peer(s) for s in plain), "the idle timeout to close the slow connections",
                 timeout=10 * IDLE_TIMEOUT)
        tls = [s for svc in IMPLICIT_TLS for s in slow[svc]]
        wait_for(lambda: all(closed_by_peer(s) for s in tls), "the handshake timeout to close the stalled handshakes",
                 timeout=10 * IDLE_TIMEOUT)
        # ... which frees the attacker's slots again.
        wait_for(lambda: quiet_server(k), "the server to release every slot", timeout=10)
        assert first_line(k, "smtp", ATTACKER).startswith(b"220 ")
        assert k.stop() == 0, k.log_text()[-3000:]
        assert_no_sanitizer_report(k)
    finally:
        for conns in slow.values():
            for s in conns:
                s.close()


def first_line(k, service, source):
    with dial(k, service, source) as s:
        return LineSocket(s).line()


TRICKLE_SERVICES = ["smtp", "submission", "lmtp", "imap"]


def test_slowloris_trickling_a_line_is_closed(fresh_kurier):
    k = fresh_kurier
    slowloris_kurier(k, 200)
    slow = {service: open_slow(k, service) for service in TRICKLE_SERVICES}
    last = [time.monotonic()]

    def trickle_and_check():
        # One more byte of the unfinished line on each open connection, well within the idle
        # timeout; a line never ends. (The trickle rate is the attack, not a pass/fail timing.)
        if time.monotonic() - last[0] >= IDLE_TIMEOUT / 4:
            last[0] = time.monotonic()
            for s in slow.values():
                try:
                    s.sendall(b"x")
                except OSError:
                    pass
        return all(closed_by_peer(s) for s in slow.values())

    try:
        wait_for(trickle_and_check, "the trickling connections to be closed", timeout=5 * IDLE_TIMEOUT,
                 details=lambda: str({svc: closed_by_peer(s) for svc, s in slow.items()}))
    finally:
        for s in slow.values():
            s.close()


# ---- 4. ten thousand connections at once --------------------------------------------------------

MANY = 10_000


def open_many(k, service, n, in_flight=1000):
    """n connections to `service`, each with its greeting line read; at most in_flight connecting
    or waiting for the greeting at once (the listen backlog is SOMAXCONN). Returns the sockets and
    the greetings that were not "* OK" (refusals)."""
    sel = selectors.DefaultSelector()
    open_socks, refused, pending = [], [], {}
    started = 0
    deadline = time.monotonic() + 120
    while len(open_socks) + len(refused) < n:
        while started < n and len(pending) < in_flight:
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setblocking(False)
            s.connect_ex((k.host, k.port(service)))
            pending[s] = b""
            sel.register(s, selectors.EVENT_READ)
            started += 1
        assert time.monotonic() < deadline, f"{len(open_socks)} greetings of {n} after 120 s"
        for key, _ in sel.select(timeout=1):
            s = key.fileobj
            try:
                data = s.recv(4096)
            except (BlockingIOError, InterruptedError):
                continue
            pending[s] += data
            if b"\r\n" in pending[s] or not data:
                sel.unregister(s)
                greeting = pending.pop(s)
                if greeting.startswith(b"* OK"):
                    open_socks.append(s)
                else:
                    refused.append(greeting)
                    s.close()
    sel.close()
    return open_socks, refused


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        return int(next(line for line in f if line.startswith("VmRSS:")).split()[1])


@pytest.mark.slow
def test_ten_thousand_imap_connections(fresh_kurier):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    need = MANY + 500  # the connections, plus this process's own files and the clients below
    if hard != resource.RLIM_INFINITY and hard < need:
        pytest.skip(f"RLIMIT_NOFILE hard limit {hard} < {need}: cannot hold {MANY} sockets in one process")
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    k = fresh_kurier
    k.set_config("limits", "max_connections", str(MANY + 100))
    k.set_config("limits", "max_connections_per_ip", str(MANY + 100))
    socks = []
    try:
        k.start()
        user = k.add_user()
        rss_before = rss_kib(k.proc.pid)
        t0 = time.monotonic()
        socks, refused = open_many(k, "imap", MANY)
        assert not refused, f"{len(refused)} refused, e.g. {refused[0]!r}"
        print(f"\n{MANY} IMAP greetings in {time.monotonic() - t0:.1f} s; server RSS "
              f"{rss_before // 1024} MiB -> {rss_kib(k.proc.pid) // 1024} MiB")
        # Service goes on while they are all open: a login, and a delivery read back.
        with smtplib.SMTP(k.host, k.port("smtp"), timeout=60) as c:
            assert c.sendmail(f"someone@{REMOTE}", [user[0]], message("while 10000 wait")) == {}
        m = imaplib.IMAP4(k.host, k.port("imap"), timeout=60)
        m.login(*user)
        assert m.select("INBOX", readonly=True) == ("OK", [b"1"])
        m.logout()
        for s in socks:
            s.close()
        socks = []
        # Every connection is closed and its slot released (the log says so), and the server
        # still serves.
        wait_for(lambda: quiet_server(k), "the server to close all connections", timeout=60)
        assert message_count(k, user[0]) == 1
        assert k.stop() == 0, k.log_text()[-3000:]
        assert_no_sanitizer_report(k)
    finally:
        for s in socks:
            s.close()
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


# ---- 5. SMTP smuggling ----------------------------------------------------------------------------
# Each variant ends the first line of the body with a "." line made with a bare CR or LF, which
# some other server takes for the end of data, and hides a whole second transaction after it.
# kurier takes only CRLF "." CRLF as the end (RFC 5321 4.1.1.4) and refuses a message with such
# a "." line (554 5.5.2, src/smtp_protocol/data.h), so: one answer for the whole DATA, nothing
# stored, and the hidden commands are never executed.

SMUGGLING_ENDS = {"LF.LF": b"\n.\n", "LF.CRLF": b"\n.\r\n", "CR.CRLF": b"\r.\r\n", "CRLF.CR": b"\r\n.\r",
                  "CRLF.LF": b"\r\n.\n", "LF.CR": b"\n.\r"}


def smuggling_payload(end, rcpt):
    return (b"From: alice@" + REMOTE.encode() + b"\r\nSubject: visible\r\n\r\nfirst message" + end +
            f"MAIL FROM:<ceo@{REMOTE}>\r\nRCPT TO:<{rcpt}>\r\nDATA\r\n".encode() +
            b"From: ceo@" + REMOTE.encode() + b"\r\nSubject: smuggled\r\n\r\nsmuggled\r\n.\r\n")


def hello(r, service):
    assert code(r.cmd(("LHLO" if service == "lmtp" else "EHLO") + " smuggler.example")) == 250


def assert_in_step_and_usable(r, rcpt):
    """The next answer is to the next command (no answer to a hidden command is waiting), and a
    clean transaction on the same connection is delivered (no hidden MAIL left a transaction
    open)."""
    assert r.cmd("NOOP")[0].startswith("250 2.0.0"), "answers of hidden commands came first"
    r.send(f"MAIL FROM:<alice@{REMOTE}>\r\nRCPT TO:<{rcpt}>\r\nDATA\r\n")
    assert [r.reply()[0][:9] for _ in range(3)] == ["250 2.1.0", "250 2.1.5", "354 Start"]
    r.send(message("clean") + b".\r\n")
    assert r.reply()[0].startswith("250 2.0.0")
    assert r.cmd("QUIT")[0].startswith("221")


def subjects(k, address):
    return [m.split(b"\r\nSubject: ", 1)[1].split(b"\r\n", 1)[0] for m in inbox(k, address)]


@pytest.mark.parametrize("service", ["smtp", "lmtp"])
@pytest.mark.parametrize("variant", sorted(SMUGGLING_ENDS))
def test_smuggling_in_data(kurier, service, variant):
    rcpt, _ = kurier.add_user()
    r = raw_smtp(kurier, service)
    hello(r, service)
    r.send(f"MAIL FROM:<alice@{REMOTE}>\r\nRCPT TO:<{rcpt}>\r\nDATA\r\n")
    assert [code(r.reply()) for _ in range(3)] == [250, 250, 354]
    r.send(smuggling_payload(SMUGGLING_ENDS[variant], rcpt))
    # One answer for the one DATA (LMTP: one per accepted recipient, RFC 2033 4.2): refused.
    assert r.reply()[0].startswith("554 5.5.2"), "smuggling pattern not refused"
    assert_in_step_and_usable(r, rcpt)
    assert subjects(kurier, rcpt) == [b"clean"]


@pytest.mark.parametrize("variant", sorted(SMUGGLING_ENDS))
def test_smuggling_in_bdat_is_just_data(kurier, variant):
    # RFC 3030 2: BDAT counts bytes; a "." line inside a chunk means nothing. The whole chunk is
    # the one message, hidden commands included, stored as text.
    rcpt, _ = kurier.add_user()
    r = raw_smtp(kurier)
    hello(r, "smtp")
    payload = smuggling_payload(SMUGGLING_ENDS[variant], rcpt)
    r.send(f"MAIL FROM:<alice@{REMOTE}>\r\nRCPT TO:<{rcpt}>\r\nBDAT {len(payload)} LAST\r\n".encode() + payload)
    assert [r.reply()[0][:9] for _ in range(3)] == ["250 2.1.0", "250 2.1.5", "250 2.0.0"]
    assert_in_step_and_usable(r, rcpt)
    first, clean = inbox(kurier, rcpt)
    assert b"Subject: visible" in first and b"MAIL FROM:<ceo@" in first and first.rstrip().endswith(b"smuggled\r\n.")
    assert b"Subject: clean" in clean
