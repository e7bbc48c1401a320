"""IMAP basics against a real `kurier serve` with Python's imaplib: greeting, capabilities,
STARTTLS and implicit TLS, LOGIN/AUTHENTICATE and their failures, default mailboxes, SELECT
responses, FETCH of every item, BODY.PEEK vs \\Seen, partial fetches, LOGOUT."""
import base64
import imaplib
import re
import socket

import pytest

from imap_support import MULTIPART, SIMPLE, RawImap, fetch_literals, message, ok


def test_greeting_lists_capabilities_and_auth_mechanisms(kurier):
    m = imaplib.IMAP4(kurier.host, kurier.port("imap"))
    assert m.welcome.startswith(b"* OK [CAPABILITY ")
    caps = m.capabilities
    for c in ("IMAP4REV1", "IMAP4REV2", "STARTTLS", "LITERAL+", "SASL-IR", "ID", "ENABLE", "IDLE"):
        assert c in caps, caps
    # Loopback allows plaintext by default: PLAIN is offered, LOGIN is not disabled.
    assert "AUTH=PLAIN" in caps and "LOGINDISABLED" not in caps
    m.logout()


def test_capabilities_after_login_follow_rfc9051(kurier, user):
    m = imaplib.IMAP4(kurier.host, kurier.port("imap"))
    typ, data = m.login(*user)
    assert typ == "OK" and data[0].startswith(b"[CAPABILITY ")
    caps = ok(m.capability())[0].decode().split()
    for c in ("IMAP4rev1", "IMAP4rev2", "UIDPLUS", "MOVE", "NAMESPACE", "UNSELECT", "SPECIAL-USE",
              "CREATE-SPECIAL-USE", "LIST-EXTENDED", "LIST-STATUS", "ESEARCH", "QUOTA", "CONDSTORE",
              "QRESYNC", "COMPRESS=DEFLATE", "BINARY", "IDLE", "ENABLE"):
        assert c in caps, caps
    assert any(c.startswith("APPENDLIMIT=") for c in caps)
    assert not any(c.startswith("AUTH=") for c in caps) and "STARTTLS" not in caps
    m.logout()


def test_starttls_then_login(kurier, user):
    m = imaplib.IMAP4(kurier.host, kurier.port("imap"))
    ok(m.starttls(ssl_context=kurier.ssl_context()))
    assert "STARTTLS" not in ok(m.capability())[0].decode().split()
    ok(m.login(*user))
    ok(m.select("INBOX"))
    m.logout()


def test_starttls_discards_pipelined_plaintext(kurier):
    # RFC 9051 6.2.1: bytes sent before the handshake completes must not be executed after it.
    raw = RawImap(kurier)
    raw.send(b"a STARTTLS\r\nb NOOP\r\n")
    assert raw.line().startswith(b"a OK")
    tls = kurier.ssl_context().wrap_socket(raw.sock)
    tls.settimeout(1)
    tls.sendall(b"c NOOP\r\n")
    data = b""
    while b"c OK" not in data:
        data += tls.recv(4096)
    assert b"b OK" not in data and b"b BAD" not in data
    tls.close()


def test_implicit_tls_imaps(kurier, user):
    m = imaplib.IMAP4_SSL(kurier.host, kurier.port("imaps"), ssl_context=kurier.ssl_context())
    assert "STARTTLS" not in m.capabilities
    ok(m.login(*user))
    ok(m.select("INBOX"))
    m.logout()


def test_wrong_password_is_authenticationfailed(kurier, user):
    m = imaplib.IMAP4(kurier.host, kurier.port("imap"))
    with pytest.raises(imaplib.IMAP4.error) as e:
        m.login(user[0], "wrong-password")
    assert "AUTHENTICATIONFAILED" in str(e.value)
    with pytest.raises(imaplib.IMAP4.error):
        m.login("nobody@example.test", "whatever-1")
    # Still usable: the right password works afterwards.
    ok(m.login(*user))
    m.logout()


def test_authenticate_plain_with_and_without_initial_response(kurier, user):
    addr, password = user
    m = imaplib.IMAP4(kurier.host, kurier.port("imap"))
    ok(m.authenticate("PLAIN", lambda _: f"\0{addr}\0{password}".encode()))
    m.logout()
    # SASL-IR (RFC 4959): the response on the command line.
    raw = RawImap(kurier)
    ir = base64.b64encode(f"\0{addr}\0{password}".encode())
    _, tagged = raw.command("a", b"AUTHENTICATE PLAIN " + ir)
    assert tagged.startswith(b"a OK [CAPABILITY "), tagged
    raw.close()
    raw = RawImap(kurier)
    _, tagged = raw.command("a", b"AUTHENTICATE PLAIN " + base64.b64encode(f"\0{addr}\0nope".encode()))
    assert tagged.startswith(b"a NO [AUTHENTICATIONFAILED]"), tagged
    raw.send(b"b AUTHENTICATE PLAIN\r\n")
    assert raw.line().startswith(b"+")
    raw.send(b"*\r\n")
    assert raw.until("b")[1].startswith(b"b BAD"), "cancelled exchange is BAD (RFC 9051 6.2.2)"
    raw.close()


def test_commands_need_the_right_state(kurier):
    raw = RawImap(kurier)
    _, tagged = raw.command("a", b"SELECT INBOX")
    assert tagged.startswith(b"a BAD")
    _, tagged = raw.command("b", b"FETCH 1 FLAGS")
    assert tagged.startswith(b"b BAD")
    raw.close()


def test_plaintext_login_refused_without_tls_when_loopback_not_trusted(fresh_kurier):
    k = fresh_kurier
    k.set_config("auth", "allow_plaintext_on_loopback", "false")
    k.start()
    addr, password = k.add_user()
    m = imaplib.IMAP4(k.host, k.port("imap"))
    assert "LOGINDISABLED" in m.capabilities and "AUTH=PLAIN" not in m.capabilities
    with pytest.raises(imaplib.IMAP4.error) as e:
        m.login(addr, password)
    assert "PRIVACYREQUIRED" in str(e.value)
    ok(m.starttls(ssl_context=k.ssl_context()))
    caps = ok(m.capability())[0].decode().split()
    assert "LOGINDISABLED" not in caps and "AUTH=PLAIN" in caps
    ok(m.login(addr, password))
    m.logout()


def test_default_mailboxes_with_special_use(imap):
    names = {}
    for line in ok(imap.list()):
        attrs, _, name = re.match(rb'\((.*?)\) "(.)" (.*)', line).groups()
        names[name.strip(b'"').decode()] = attrs.decode()
    assert set(names) == {"INBOX", "Drafts", "Sent", "Trash", "Junk", "Archive"}
    assert "\\Drafts" in names["Drafts"] and "\\Sent" in names["Sent"] and "\\Trash" in names["Trash"]
    assert "\\Junk" in names["Junk"] and "\\Archive" in names["Archive"]


def test_select_sends_every_response(kurier, user):
    raw = RawImap(kurier, user=user)
    lines, tagged = raw.command("s", b"SELECT INBOX")
    text = b"\n".join(lines)
    assert tagged.startswith(b"s OK [READ-WRITE]")
    for part in (rb"\* FLAGS \(", rb"\* 0 EXISTS", rb"\* 0 RECENT", rb"\[PERMANENTFLAGS \(.*\\\*\)\]",
                 rb"\[UIDVALIDITY \d+\]", rb"\[UIDNEXT 1\]", rb"\[HIGHESTMODSEQ \d+\]"):
        assert re.search(part, text), (part, text)
    lines, tagged = raw.command("e", b"EXAMINE INBOX")
    assert tagged.startswith(b"e OK [READ-ONLY]")
    assert any(b"[CLOSED]" in l for l in lines)
    _, tagged = raw.command("n", b"SELECT NoSuchBox")
    assert tagged.startswith(b"n NO")
    raw.close()


def test_select_unseen_and_uidnext(imap):
    ok(imap.append("INBOX", "\\Seen", None, message(1)))
    ok(imap.append("INBOX", None, None, message(2)))
    typ, data = imap.select("INBOX")
    assert data == [b"2"]
    assert imap.untagged_responses.get("UNSEEN") == [b"2"]
    assert imap.untagged_responses.get("UIDNEXT") == [b"3"]


def test_fetch_items(imap):
    ok(imap.append("INBOX", None, '"02-Jan-2024 12:30:00 +0100"', MULTIPART))
    ok(imap.select("INBOX"))
    data = ok(imap.fetch("1", "(UID FLAGS RFC822.SIZE INTERNALDATE ENVELOPE MODSEQ)"))[0]
    assert b"UID 1" in data and b"FLAGS (\\Recent)" in data  # RFC 3501 2.3.2: this session is the first
    assert f"RFC822.SIZE {len(MULTIPART)}".encode() in data
    assert b'INTERNALDATE " 2-Jan-2024 12:30:00 +0100"' in data
    assert b'ENVELOPE ("Tue, 02 Jan 2024 12:30:00 +0100" "=?utf-8?q?Gr=C3=BC=C3=9Fe_aus_Berlin?="' in data
    assert b'"<multi-1@example.test>")' in data and re.search(rb"MODSEQ \(\d+\)", data)
    data = ok(imap.fetch("1", "(BODYSTRUCTURE)"))[0]
    assert data.startswith(b'1 (BODYSTRUCTURE (("text" "plain" ("charset" "utf-8") NIL NIL "quoted-printable"')
    assert b'"message" "rfc822"' in data and b'"alternative"' in data and b'"mixed"' in data
    data = ok(imap.fetch("1", "(BODY)"))[0]
    assert data.startswith(b"1 (BODY ((")
    data = ok(imap.fetch("1", "(RFC822.HEADER)"))[0]
    assert data[1].endswith(b"\r\n\r\n") and data[1].startswith(b"From: ")


def test_body_sections_and_partials(imap):
    ok(imap.append("INBOX", None, None, MULTIPART))
    ok(imap.select("INBOX"))
    parts = fetch_literals(imap, "1", "(BODY.PEEK[1] BODY.PEEK[2.HEADER] BODY.PEEK[2.1] BODY.PEEK[2.2.MIME])")
    assert parts["BODY[1]"] == b"Sch=C3=B6ne Gr=C3=BC=C3=9Fe, the zebra says hi"
    assert parts["BODY[2.HEADER]"].startswith(b"From: inner@example.test\r\n")
    # RFC 9051 6.4.5: the parts of an embedded multipart message are numbered 2.1, 2.2, ...
    assert parts["BODY[2.1]"] == b"inner plain text"
    assert parts["BODY[2.2.MIME]"] == b"Content-Type: text/html\r\n\r\n"
    got = ok(imap.fetch("1", "(BODY.PEEK[2.HEADER]<0.100>)"))[0]
    assert got[0].endswith(b"BODY[2.HEADER]<0> {78}") or b"BODY[2.HEADER]<0>" in got[0]
    assert len(got[1]) <= 100 and got[1].startswith(b"From: inner@")
    got = ok(imap.fetch("1", "(BODY.PEEK[]<10.20>)"))[0]
    assert got[1] == MULTIPART[10:30]
    got = ok(imap.fetch("1", "(BODY.PEEK[]<100000.20>)"))[0]
    assert got[1] == b"" or got[0].endswith(b'""')
    got = ok(imap.fetch("1", "(BODY.PEEK[HEADER.FIELDS (Subject To)])"))[0]
    assert got[1] == b"To: bob@example.test\r\nSubject: =?utf-8?q?Gr=C3=BC=C3=9Fe_aus_Berlin?=\r\n\r\n"
    got = ok(imap.fetch("1", "(BODY.PEEK[HEADER.FIELDS.NOT (Subject To From Date Message-ID)])"))[0]
    assert got[1] == b'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="outer"\r\n\r\n'
    got = ok(imap.fetch("1", "(BODY.PEEK[TEXT])"))[0]
    assert got[1] == MULTIPART[MULTIPART.index(b"\r\n\r\n") + 4:]
    got = ok(imap.fetch("1", "(BODY.PEEK[9])"))[0]
    assert b"BODY[9] NIL" in got


def test_binary_fetch_decodes(imap):
    ok(imap.append("INBOX", None, None, MULTIPART))
    ok(imap.select("INBOX"))
    got = ok(imap.fetch("1", "(BINARY.PEEK[1] BINARY.SIZE[3])"))
    flat = b"".join(p if isinstance(p, bytes) else p[0] + p[1] for p in got)
    assert "Schöne Grüße, the zebra says hi".encode() in flat
    assert b"BINARY.SIZE[3] 10" in flat
    raw_data = ok(imap.fetch("1", "(BINARY.PEEK[3])"))[0]
    assert raw_data[0].endswith(b"~{10}") and raw_data[1] == bytes(range(10))


def test_body_peek_does_not_set_seen_but_body_does(imap):
    ok(imap.append("INBOX", None, None, SIMPLE))
    ok(imap.select("INBOX"))
    ok(imap.fetch("1", "(BODY.PEEK[])"))
    assert b"\\Seen" not in ok(imap.fetch("1", "(FLAGS)"))[0]
    got = ok(imap.fetch("1", "(BODY[TEXT])"))
    assert b"\\Seen" in b"".join(p if isinstance(p, bytes) else p[0] for p in got), got
    assert b"\\Seen" in ok(imap.fetch("1", "(FLAGS)"))[0]
    # EXAMINE is read-only: BODY[] must not set \Seen there.
    ok(imap.store("1", "-FLAGS", "\\Seen"))
    ok(imap.select("INBOX", readonly=True))
    ok(imap.fetch("1", "(BODY[])"))
    assert b"\\Seen" not in ok(imap.fetch("1", "(FLAGS)"))[0]


def test_rfc822_and_full_body_round_trip(imap):
    ok(imap.append("INBOX", None, None, MULTIPART))
    ok(imap.select("INBOX"))
    assert ok(imap.fetch("1", "(RFC822)"))[0][1] == MULTIPART
    assert ok(imap.uid("FETCH", "1", "(BODY.PEEK[])"))[0][1] == MULTIPART


def test_large_message_is_streamed(imap):
    body = (b"x" * 76 + b"\r\n") * (3 * 1024 * 1024 // 78)
    msg = b"Subject: big\r\n\r\n" + body
    ok(imap.append("INBOX", None, None, msg))
    ok(imap.select("INBOX"))
    got = ok(imap.fetch("1", "(BODY.PEEK[])"))[0][1]
    assert got == msg
    got = ok(imap.fetch("1", "(BODY.PEEK[TEXT]<1000000.78>)"))[0][1]
    assert got == body[1000000:1000078]


def test_bare_lf_message_is_sent_with_crlf(imap):
    msg = b"Subject: lf only\n\nline one\nline two\n"
    ok(imap.append("INBOX", None, None, msg))
    ok(imap.select("INBOX"))
    assert ok(imap.fetch("1", "(BODY.PEEK[])"))[0][1] == msg.replace(b"\n", b"\r\n")
    assert ok(imap.fetch("1", "(BODY.PEEK[TEXT]<5.9>)"))[0][1] == b"one\r\nline"


def test_uid_fetch_includes_uid_and_ignores_missing(imap):
    for n in range(3):
        ok(imap.append("INBOX", None, None, message(n)))
    ok(imap.select("INBOX"))
    got = ok(imap.uid("FETCH", "2:*", "(FLAGS)"))
    assert [re.search(rb"UID (\d+)", g).group(1) for g in got] == [b"2", b"3"]
    assert ok(imap.uid("FETCH", "50:60", "(FLAGS)")) in ([None], [])


def test_fetch_bad_sequence_numbers(imap):
    ok(imap.append("INBOX", None, None, SIMPLE))
    ok(imap.select("INBOX"))
    for bad in ("5", "0", "1:x", "*:", "1,,2"):
        with pytest.raises(imaplib.IMAP4.error) as e:
            imap.fetch(bad, "(FLAGS)")
        assert "BAD" in str(e.value) or "FETCH" in str(e.value)
    assert ok(imap.fetch("1", "(FLAGS)"))


def test_logout_says_bye(kurier, user):
    raw = RawImap(kurier, user=user)
    lines, tagged = raw.command("z", b"LOGOUT")
    assert lines == [b"* BYE Logging out"] and tagged == b"z OK LOGOUT completed"
    assert raw.closed()


def test_idle_timeout_and_shutdown_farewell(fresh_kurier):
    k = fresh_kurier
    k.set_config("limits", "imap_idle_timeout_seconds", "2")
    k.start()
    user = k.add_user()
    raw = RawImap(k)
    raw.login(user)
    raw.sock.settimeout(15)
    assert raw.line() == b"* BYE Autologout; idle for too long"
    assert raw.closed()
    # IDLE re-arms the same timeout (RFC 2177: clients re-issue IDLE before it runs out).
    raw = RawImap(k)
    raw.login(user)
    raw.command("s", b"SELECT INBOX")
    raw.send(b"i IDLE\r\n")
    assert raw.line().startswith(b"+ ")
    raw.sock.settimeout(15)
    assert raw.line() == b"* BYE Autologout; idle for too long"
    # A client waiting for its next command gets the shutdown farewell.
    waiting = RawImap(k)
    waiting.login(user)
    assert k.stop() == 0
    waiting.sock.settimeout(15)
    assert waiting.line() == b"* BYE Server shutting down"
