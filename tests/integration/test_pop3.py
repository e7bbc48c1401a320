"""POP3 (RFC 1939, CAPA RFC 2449, AUTH RFC 5034, STLS RFC 2595, codes RFC 3206) against a real
`kurier serve`, with Python's poplib, curl and raw sockets. Mail arrives over LMTP; what POP3
shows is checked against what IMAP shows of the same INBOX (BODY.PEEK, UIDs, flags)."""
import base64
import imaplib
import os
import poplib
import re
import shutil
import smtplib
import socket
import subprocess
import time

import pytest

from conftest import PASSWORD, LineSocket, wait_for
from imap_support import inbox, message_count, ok

LARGE_LINES = 6000  # ~400 KB: the blob is mmap'd (over 128 KiB) and sent in several pieces


# ---- helpers ----------------------------------------------------------------------------------------

def message(n, body=None, subject=None):
    body = body if body is not None else f"Body of message {n}.\r\n"
    return (f"From: sender{n}@example.test\r\nTo: someone@example.test\r\nSubject: {subject or f'POP3 test {n}'}\r\n"
            f"Message-ID: <pop3-{n}-{time.time_ns()}@example.test>\r\n\r\n{body}").encode()


def large_message(n):
    lines = [(f".dot line {i}" if i % 7 == 0 else f"line {i} " + "x" * 60) for i in range(LARGE_LINES)]
    return message(n, "\r\n".join(lines) + "\r\n", subject="large")


def deliver(k, address, msgs):
    with smtplib.LMTP(k.host, k.port("lmtp"), timeout=60) as c:
        for m in msgs:
            c.ehlo("client.test")
            assert c.sendmail("sender@elsewhere.example", [address], m) == {}


def new_user(k, n=0, msgs=None):
    address, password = k.add_user()
    if n:
        deliver(k, address, msgs or [message(i) for i in range(1, n + 1)])
    return address, password


def pop(k, address, password=PASSWORD):
    p = poplib.POP3(k.host, k.port("pop3"), timeout=30)
    p.user(address)
    p.pass_(password)
    return p


def imap_state(k, address, password=PASSWORD):
    """(UIDVALIDITY, [(uid, flags, size)]) of the INBOX, read-only."""
    m = imaplib.IMAP4(k.host, k.port("imap"), timeout=30)
    try:
        m.login(address, password)
        count = int(ok(m.select("INBOX", readonly=True))[0])
        uidvalidity = int(m.response("UIDVALIDITY")[1][0])
        rows = []
        if count:
            for line in ok(m.fetch("1:*", "(UID FLAGS RFC822.SIZE)")):
                text = line.decode()
                rows.append((int(re.search(r"UID (\d+)", text).group(1)), re.search(r"FLAGS \(([^)]*)\)", text).group(1),
                             int(re.search(r"RFC822.SIZE (\d+)", text).group(1))))
        return uidvalidity, rows
    finally:
        m.logout()


def pop_error(fn, *args):
    """The -ERR line a poplib call got, as text."""
    with pytest.raises(poplib.error_proto) as e:
        fn(*args)
    return e.value.args[0].decode()


class RawPop(LineSocket):
    """A line-level POP3 client for what poplib will not send (bad input, pipelining, AUTH)."""

    def __init__(self, k, tls_context=None, port_name="pop3"):
        sock = socket.create_connection((k.host, k.port(port_name)), timeout=30)
        if tls_context:
            sock = tls_context.wrap_socket(sock)
        super().__init__(sock)
        self.greeting = self.line()

    def line(self):
        return super().line().decode()

    def send(self, text):
        self.sock.sendall(text.encode() if isinstance(text, str) else text)

    def cmd(self, text):
        self.send(text + "\r\n")
        return self.line()

    def multiline(self):
        lines = []
        while (line := self.line()) != ".":
            lines.append(line)
        return lines

    def closed(self):
        try:
            return self.sock.recv(1) == b""
        except (ConnectionResetError, socket.timeout):
            return True


def login_refused_in_use(k, address):
    """True when a new POP3 login of `address` is refused with [IN-USE]."""
    p = poplib.POP3(k.host, k.port("pop3"), timeout=30)
    try:
        p.user(address)
        try:
            p.pass_(PASSWORD)
        except poplib.error_proto as e:
            assert b"[IN-USE]" in e.args[0], e.args[0]
            return True
        p.quit()
        return False
    finally:
        p.close()


def dovecot_uidl(uid, uidvalidity):
    return f"{uid:08x}{uidvalidity:08x}"


# ---- greeting and CAPA ----------------------------------------------------------------------------------

def test_greeting_and_capabilities(kurier):
    p = poplib.POP3(kurier.host, kurier.port("pop3"), timeout=30)
    assert p.getwelcome().startswith(b"+OK ")
    caps = p.capa()
    for name in ("TOP", "UIDL", "RESP-CODES", "AUTH-RESP-CODE", "PIPELINING", "USER", "STLS"):
        assert name in caps, caps
    assert caps["EXPIRE"] == ["NEVER"] and caps["LOGIN-DELAY"] == ["0"]
    assert caps["IMPLEMENTATION"] == ["kurier"]
    assert "PLAIN" in caps["SASL"] and "SCRAM-SHA-256" in caps["SASL"]
    address, password = new_user(kurier)
    p.user(address)
    p.pass_(password)
    after = p.capa()
    assert "TOP" in after and "USER" not in after and "STLS" not in after and "SASL" not in after
    p.quit()


# ---- reading ----------------------------------------------------------------------------------------

def test_stat_list_retr_top_uidl_match_imap(kurier):
    msgs = [message(1), message(2, ".starts with a dot\r\n..two dots\r\n.\r\nend\r\n"), large_message(3)]
    address, password = new_user(kurier, 3, msgs)
    stored = inbox(kurier, address)
    uidvalidity, rows = imap_state(kurier, address)
    p = pop(kurier, address)
    count, size = p.stat()
    assert count == 3 and size == sum(len(m) for m in stored)
    _, listing, _ = p.list()
    assert listing == [f"{i} {len(m)}".encode() for i, m in enumerate(stored, 1)]
    assert p.list(3).split() == [b"+OK", b"3", str(len(stored[2])).encode()]
    for i, expected in enumerate(stored, 1):
        _, lines, octets = p.retr(i)
        assert b"\r\n".join(lines) + b"\r\n" == expected
        assert octets == len(expected)
    _, uidls, _ = p.uidl()
    assert uidls == [f"{i} {dovecot_uidl(uid, uidvalidity)}".encode() for i, (uid, _, _) in enumerate(rows, 1)]
    assert p.uidl(2).split()[2] == dovecot_uidl(rows[1][0], uidvalidity).encode()
    # TOP: the header, the blank line, then n body lines (RFC 1939 7).
    head, body = stored[1].split(b"\r\n\r\n", 1)
    _, lines, _ = p.top(2, 2)
    assert b"\r\n".join(lines) + b"\r\n" == head + b"\r\n\r\n" + b"\r\n".join(body.split(b"\r\n")[:2]) + b"\r\n"
    _, lines, _ = p.top(2, 0)
    assert b"\r\n".join(lines) + b"\r\n" == head + b"\r\n\r\n"
    _, lines, _ = p.top(3, 10**12)
    assert b"\r\n".join(lines) + b"\r\n" == stored[2]
    p.quit()


def test_retr_marks_seen_and_top_does_not(kurier):
    address, _ = new_user(kurier, 2)
    p = pop(kurier, address)
    p.top(1, 5)
    p.retr(2)
    p.quit()
    _, rows = imap_state(kurier, address)
    assert "\\Seen" not in rows[0][1] and "\\Seen" in rows[1][1]


def test_new_mail_waits_for_the_next_session(kurier):
    address, _ = new_user(kurier, 1)
    p = pop(kurier, address)
    deliver(kurier, address, [message(2)])
    assert p.stat()[0] == 1  # the maildrop is a snapshot (RFC 1939 5)
    p.quit()
    p = pop(kurier, address)
    assert p.stat()[0] == 2
    p.quit()


def test_message_expunged_by_imap_stays_readable(kurier):
    address, password = new_user(kurier, 2)
    expected = inbox(kurier, address)[0]
    p = pop(kurier, address)
    m = imaplib.IMAP4(kurier.host, kurier.port("imap"), timeout=30)
    m.login(address, password)
    m.select("INBOX")
    ok(m.store("1", "+FLAGS", "(\\Deleted)"))
    ok(m.expunge())
    m.logout()
    _, lines, _ = p.retr(1)
    assert b"\r\n".join(lines) + b"\r\n" == expected
    p.dele(2)
    p.quit()
    assert message_count(kurier, address) == 0


# ---- DELE, RSET, QUIT --------------------------------------------------------------------------------------

def test_dele_rset_quit(kurier):
    address, _ = new_user(kurier, 3)
    before = inbox(kurier, address)
    p = pop(kurier, address)
    assert p.dele(1).startswith(b"+OK")
    assert "already deleted" in pop_error(p.dele, 1)
    assert "already deleted" in pop_error(p.retr, 1)
    assert "No such message" in pop_error(p.retr, 4)
    assert "No such message" in pop_error(p.list, 0)
    count, size = p.stat()
    assert count == 2 and size == len(before[1]) + len(before[2])
    assert [line.split()[0] for line in p.list()[1]] == [b"2", b"3"]
    assert [line.split()[0] for line in p.uidl()[1]] == [b"2", b"3"]
    p.rset()
    assert p.stat()[0] == 3
    p.dele(2)
    p.dele(3)
    assert b"1 messages left" in p.quit()
    assert inbox(kurier, address) == before[:1]


def test_dropped_connection_expunges_nothing(kurier):
    address, _ = new_user(kurier, 2)
    p = pop(kurier, address)
    p.dele(1)
    p.dele(2)
    p.close()  # poplib's close() sends no QUIT: the connection just ends
    # The session ends with its connection; the lock goes with it, and nothing was expunged.
    wait_for(lambda: not login_refused_in_use(kurier, address), "the dropped session to end")
    assert message_count(kurier, address) == 2


def test_imap_session_sees_pop3_expunge(kurier):
    address, password = new_user(kurier, 3)
    m = imaplib.IMAP4(kurier.host, kurier.port("imap"), timeout=30)
    m.login(address, password)
    assert ok(m.select("INBOX")) == [b"3"]
    p = pop(kurier, address)
    p.dele(2)
    p.retr(3)
    p.quit()

    def expunged():
        m.noop()
        return m.untagged_responses.pop("EXPUNGE", None)

    assert wait_for(expunged, "IMAP to see the expunge") == [b"2"]
    flags = ok(m.fetch("2", "(FLAGS)"))[0]  # old 3 is now 2, marked \Seen by RETR
    assert b"\\Seen" in flags
    m.logout()


# ---- UIDL stability ----------------------------------------------------------------------------------------

def test_uidl_stable_across_sessions_and_restart(fresh_kurier):
    k = fresh_kurier.start()
    address, _ = new_user(k, 3)
    p = pop(k, address)
    first = p.uidl()[1]
    p.dele(1)
    p.quit()
    p = pop(k, address)
    assert p.uidl()[1] == [b"1 " + first[1].split()[1], b"2 " + first[2].split()[1]]
    p.quit()
    k.stop()
    k.start()
    p = pop(k, address)
    assert [u.split()[1] for u in p.uidl()[1]] == [u.split()[1] for u in first[1:]]
    p.quit()


def test_cyrus_uidls_and_no_seen_flag_when_configured(fresh_kurier):
    k = fresh_kurier
    k.set_config("pop3", "uidl_format", '"cyrus"')
    k.set_config("pop3", "mark_seen", "false")
    k.start()
    address, _ = new_user(k, 2)
    uidvalidity, rows = imap_state(k, address)
    p = pop(k, address)
    assert p.uidl()[1] == [f"{i} {uidvalidity}.{uid}".encode() for i, (uid, _, _) in enumerate(rows, 1)]
    p.retr(1)
    p.quit()
    assert all("\\Seen" not in flags for _, flags, _ in imap_state(k, address)[1])


# ---- locking --------------------------------------------------------------------------------------------------

def test_second_session_is_refused_in_use(kurier):
    address, _ = new_user(kurier, 1)
    p = pop(kurier, address)
    raw = RawPop(kurier)
    assert raw.cmd(f"USER {address}").startswith("+OK")
    assert raw.cmd(f"PASS {PASSWORD}").startswith("-ERR [IN-USE] ")
    assert raw.cmd("STAT").startswith("-ERR")  # still in the AUTHORIZATION state
    p.quit()
    assert raw.cmd(f"USER {address}").startswith("+OK")
    assert raw.cmd(f"PASS {PASSWORD}").startswith("+OK")
    assert raw.cmd("STAT").startswith("+OK 1 ")
    raw.cmd("QUIT")


# ---- TLS ----------------------------------------------------------------------------------------------------------

def test_stls_and_pop3s(kurier):
    address, _ = new_user(kurier, 1)
    expected = inbox(kurier, address)[0]
    p = poplib.POP3(kurier.host, kurier.port("pop3"), timeout=30)
    p.stls(kurier.ssl_context())
    assert "STLS" not in p.capa()
    assert "Command not permitted when TLS active" in pop_error(p._shortcmd, "STLS")
    p.user(address)
    p.pass_(PASSWORD)
    assert b"\r\n".join(p.retr(1)[1]) + b"\r\n" == expected
    p.quit()
    s = poplib.POP3_SSL(kurier.host, kurier.port("pop3s"), context=kurier.ssl_context(), timeout=30)
    assert "STLS" not in s.capa() and "USER" in s.capa()
    s.user(address)
    s.pass_(PASSWORD)
    assert s.stat()[0] == 1
    s.quit()


def test_stls_discards_pipelined_plaintext(kurier):
    raw = RawPop(kurier)
    raw.send("STLS\r\nCAPA\r\n")
    assert raw.line().startswith("+OK")
    tls = kurier.ssl_context().wrap_socket(raw.sock)
    raw.sock, raw.buf = tls, b""
    assert raw.cmd("NOOP").startswith("-ERR")  # not logged in: the injected CAPA was dropped, not answered
    raw.cmd("QUIT")


def test_no_plaintext_login_off_loopback_policy(fresh_kurier):
    k = fresh_kurier
    k.set_config("auth", "allow_plaintext_on_loopback", "false")
    k.start()
    address, _ = new_user(k, 1)
    raw = RawPop(k)
    caps = (raw.cmd("CAPA"), raw.multiline())[1]
    assert "USER" not in caps and "STLS" in caps and not any("PLAIN" in c for c in caps)
    assert raw.cmd(f"USER {address}").startswith("-ERR [AUTH] Plaintext authentication disallowed")
    plain = base64.b64encode(f"\0{address}\0{PASSWORD}".encode()).decode()
    assert raw.cmd(f"AUTH PLAIN {plain}").startswith("-ERR")
    raw.cmd("QUIT")
    p = poplib.POP3(k.host, k.port("pop3"), timeout=30)
    p.stls(k.ssl_context())
    p.user(address)
    p.pass_(PASSWORD)
    assert p.stat()[0] == 1
    p.quit()


# ---- AUTH (RFC 5034) ------------------------------------------------------------------------------------------

def test_auth_plain_and_scram(kurier):
    from test_auth import scram_client
    address, _ = new_user(kurier, 1)
    plain = base64.b64encode(f"\0{address}\0{PASSWORD}".encode()).decode()
    raw = RawPop(kurier)
    assert raw.cmd("AUTH").startswith("+OK") and "PLAIN" in raw.multiline()
    assert raw.cmd("AUTH PLAIN").startswith("+ ")
    assert raw.cmd("*").startswith("-ERR")                       # cancelled
    assert raw.cmd("AUTH PLAIN").startswith("+ ")
    assert raw.cmd("not base64!").startswith("-ERR")
    wrong = base64.b64encode(f"\0{address}\0wrong".encode()).decode()
    assert raw.cmd(f"AUTH PLAIN {wrong}").startswith("-ERR [AUTH] ")
    assert raw.cmd("AUTH NOSUCH").startswith("-ERR")
    assert raw.cmd("AUTH PLAIN").startswith("+ ")
    assert raw.cmd(plain).startswith("+OK")
    assert raw.cmd("STAT").startswith("+OK 1 ")
    assert raw.cmd("QUIT").startswith("+OK")

    raw = RawPop(kurier)
    respond, state = scram_client(address, PASSWORD)
    first = base64.b64encode(respond(b"")).decode()
    line = raw.cmd(f"AUTH SCRAM-SHA-256 {first}")
    while line.startswith("+ "):
        line = raw.cmd(base64.b64encode(respond(base64.b64decode(line[2:]))).decode())
    assert line.startswith("+OK") and state["step"] == 3  # the server's signature was checked
    raw.cmd("QUIT")


def test_pop3_disabled_user_is_refused(kurier):
    address, _ = new_user(kurier, 1)
    kurier.cli("user", "set", address, "--disable", "pop3")
    p = poplib.POP3(kurier.host, kurier.port("pop3"), timeout=30)
    p.user(address)
    assert pop_error(p.pass_, PASSWORD).startswith("-ERR [AUTH] ")
    p.quit()
    assert message_count(kurier, address) == 1  # IMAP is still allowed
    kurier.cli("user", "set", address, "--enable", "pop3")
    pop(kurier, address).quit()


# ---- bad input ------------------------------------------------------------------------------------------------

def test_bad_commands_get_err_and_the_connection_stays_usable(kurier):
    address, _ = new_user(kurier, 1)
    raw = RawPop(kurier)
    assert raw.cmd("HELO there") == "-ERR Unknown command: HELO"
    assert raw.cmd("STAT") == "-ERR STAT is only allowed after login"
    assert raw.cmd("PASS secret") == "-ERR Send USER first"
    assert raw.cmd("APOP user 0123456789abcdef").startswith("-ERR APOP is not supported")
    assert raw.cmd("X" * 20000) == "-ERR Command line too long"
    assert raw.cmd(f"USER {address}").startswith("+OK")
    assert raw.cmd(f"PASS {PASSWORD}").startswith("+OK")
    assert raw.cmd("RETR") == "-ERR RETR: missing argument"
    assert raw.cmd("RETR one") == "-ERR RETR: invalid message number \"one\""
    assert raw.cmd("TOP 1 x") == "-ERR TOP: invalid number of lines \"x\""
    assert raw.cmd("STAT 1") == "-ERR STAT takes no arguments"
    assert raw.cmd("USER x") == "-ERR USER is not allowed after login"
    assert raw.cmd("STLS") == "-ERR STLS is not allowed after login"
    assert raw.cmd("RETR 99").startswith("-ERR No such message")
    assert raw.cmd("STAT").startswith("+OK 1 ")
    assert raw.cmd("QUIT").startswith("+OK")
    assert message_count(kurier, address) == 1


def test_too_many_bad_commands_close_the_connection(kurier):
    raw = RawPop(kurier)
    answers = [raw.cmd("BOGUS") for _ in range(20)]  # limits.max_bad_commands = 20
    assert all(a.startswith("-ERR") for a in answers)
    assert "Too many invalid commands" in answers[-1]
    assert raw.closed()


def test_pipelined_commands_are_answered_in_order(kurier):
    address, _ = new_user(kurier, 2)
    raw = RawPop(kurier)
    raw.send(f"USER {address}\r\nPASS {PASSWORD}\r\nSTAT\r\nLIST\r\nUIDL 2\r\nDELE 1\r\nSTAT\r\nRSET\r\nQUIT\r\n")
    assert raw.line().startswith("+OK")                        # USER
    assert raw.line().startswith("+OK")                        # PASS
    assert raw.line().startswith("+OK 2 ")                     # STAT
    assert raw.line().startswith("+OK") and len(raw.multiline()) == 2  # LIST
    assert raw.line().startswith("+OK 2 ")                     # UIDL 2
    assert raw.line().startswith("+OK")                        # DELE 1
    assert raw.line().startswith("+OK 1 ")                     # STAT
    assert raw.line().startswith("+OK")                        # RSET
    assert raw.line().startswith("+OK")                        # QUIT
    assert raw.closed()
    assert message_count(kurier, address) == 2


def test_login_timeout(fresh_kurier):
    k = fresh_kurier
    k.set_config("limits", "login_timeout_seconds", "1")
    k.start()
    raw = RawPop(k)
    assert raw.line() == "-ERR Autologout; idle for too long"
    assert raw.closed()


# ---- durability -------------------------------------------------------------------------------------------------

def test_kill9_between_dele_and_quit_loses_nothing(fresh_kurier):
    k = fresh_kurier.start()
    address, _ = new_user(k, 3)
    before = inbox(k, address)
    p = pop(k, address)
    p.dele(1)
    p.dele(3)
    k.kill9()
    k.start()
    assert inbox(k, address) == before
    # QUIT's +OK comes after the expunge is on disk: a kill -9 right after it loses no deletion.
    p = pop(k, address)
    p.dele(2)
    p.quit()
    k.kill9()
    k.start()
    assert inbox(k, address) == [before[0], before[2]]


# ---- other clients --------------------------------------------------------------------------------------------

@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_curl_lists_and_retrieves(kurier):
    address, _ = new_user(kurier, 2)
    expected = inbox(kurier, address)
    url = f"pop3://{kurier.host}:{kurier.port('pop3')}/"
    base = ["curl", "-s", "--user", f"{address}:{PASSWORD}"]
    listing = subprocess.run(base + [url], capture_output=True, timeout=60, check=True).stdout
    assert listing.split(b"\r\n")[:2] == [f"{i} {len(m)}".encode() for i, m in enumerate(expected, 1)]
    body = subprocess.run(base + [url + "2"], capture_output=True, timeout=60, check=True).stdout
    assert body == expected[1]
    # STLS, with the certificate checked against its name (localhost).
    port = kurier.port("pop3")
    tls = subprocess.run(base + ["--ssl-reqd", "--cacert", str(kurier.cert), "--connect-to",
                                 f"localhost:{port}:{kurier.host}:{port}", f"pop3://localhost:{port}/1"],
                         capture_output=True, timeout=60)
    assert tls.returncode == 0 and tls.stdout == expected[0], tls.stderr
