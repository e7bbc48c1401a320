"""Malformed IMAP input against a real `kurier serve`: every bad command gets a clear BAD (or NO
[TOOBIG]), nothing stored changes, and too many bad commands end the session with BYE."""
import pytest

from imap_support import RawImap, login, message, message_count, ok


def mailbox_state(kurier, user):
    m = login(kurier, user)
    ok(m.select("INBOX"))
    # \Recent goes to the first session that sees a message (RFC 3501 2.3.2): not stored state.
    state = [line.replace(b"\\Recent", b"").replace(b"( ", b"(").replace(b" )", b")")
             for line in ok(m.fetch("1:*", "(UID FLAGS RFC822.SIZE)"))]
    boxes = ok(m.list('""', "*"))
    m.logout()
    return state, boxes


def test_garbage_and_bad_arguments_get_bad(kurier, user):
    m = login(kurier, user)
    ok(m.append("INBOX", None, None, message(1)))
    m.logout()
    before = mailbox_state(kurier, user)
    cases = [b"FROB", b"FETCH", b"FETCH 1 (NOSUCHITEM)", b"FETCH 1:x FLAGS", b"FETCH 0 FLAGS",
             b"FETCH 99 FLAGS", b"STORE 1 +FLAGS (\\Nope)", b"STORE 1 BOGUS (\\Seen)", b"UID FETCH 1,,2 FLAGS",
             b"SEARCH FROM", b"SEARCH BEFORE 32-Foo-2024", b"SELECT", b"CREATE", b"COPY 1", b'LIST "" ((',
             b"UID BOGUS 1", b"APPEND INBOX (\\Seen", b"FETCH 1 BODY[1.HEADER.X]", b"FETCH 1 (FLAGS",
             b'CREATE "unterminated', b"EXPUNGE extra", b"NOOP extra"]
    raw = None
    for i, case in enumerate(cases):
        if i % 10 == 0:  # stay below limits.max_bad_commands per session
            if raw:
                raw.close()
            raw = RawImap(kurier, user=user)
            raw.command("s", b"SELECT INBOX")
        _, tagged = raw.command(f"b{i}", case)
        assert tagged.startswith(f"b{i} BAD ".encode()), (case, tagged)
        assert len(tagged) > len(f"b{i} BAD ") + 3, "a reason is given"
    raw.close()
    assert mailbox_state(kurier, user) == before


def test_untagged_bad_for_lines_without_tag(kurier):
    raw = RawImap(kurier)
    raw.send(b"\r\n")
    assert raw.line().startswith(b"* BAD")
    raw.send(b"   \r\n")
    assert raw.line().startswith(b"* BAD")
    raw.close()


def test_huge_literal_announcement(kurier, user):
    raw = RawImap(kurier, user=user)
    _, tagged = raw.command("a", b"CREATE {99999999999}")
    assert tagged.startswith(b"a NO [TOOBIG]") or tagged.startswith(b"a BAD"), tagged
    _, tagged = raw.command("b", b"APPEND INBOX {999999999999}")
    assert tagged.startswith(b"b NO [TOOBIG]"), tagged
    _, tagged = raw.command("c", b"NOOP")
    assert tagged.startswith(b"c OK"), "the connection is still usable"
    # A refused non-synchronizing literal cannot be skipped: the server says BYE and closes.
    raw.send(b"d APPEND INBOX {999999999999+}\r\n")
    assert raw.line().startswith(b"d NO [TOOBIG]")
    assert raw.line().startswith(b"* BYE")
    assert raw.closed()
    assert message_count(kurier, *user) == 0


def test_unterminated_literal_stores_nothing(kurier, user):
    raw = RawImap(kurier, user=user)
    raw.send(b"a APPEND INBOX {100}\r\n")
    assert raw.line().startswith(b"+")
    raw.send(b"only a few bytes")
    raw.close()  # the client goes away mid-literal
    assert message_count(kurier, *user) == 0


def test_overlong_command_line(kurier, user):
    raw = RawImap(kurier, user=user)
    raw.send(b"a NOOP " + b"x" * 200000 + b"\r\n")
    line = raw.line()
    assert b"BAD" in line and b"too long" in line.lower()
    _, tagged = raw.command("b", b"NOOP")
    assert tagged.startswith(b"b OK")
    raw.close()


def test_too_many_bad_commands_bye(kurier):
    raw = RawImap(kurier)
    for i in range(100):
        raw.send(b"t%d BLAH\r\n" % i)
        line = raw.line()
        if line.startswith(b"* BYE"):
            break
        assert line.startswith(b"t%d BAD" % i)
    else:
        pytest.fail("no BYE after 100 bad commands")
    assert raw.closed()


def test_deeply_nested_search_is_refused(kurier, user):
    m = login(kurier, user)
    ok(m.append("INBOX", None, None, message(1)))
    m.logout()
    raw = RawImap(kurier, user=user)
    raw.command("s", b"SELECT INBOX")
    _, tagged = raw.command("n", b"SEARCH " + b"(" * 500 + b"ALL" + b")" * 500)
    assert tagged.startswith(b"n BAD")
    _, tagged = raw.command("o", b"SEARCH " + b"NOT " * 2000 + b"ALL")
    assert tagged.startswith(b"o BAD") or tagged.startswith(b"o OK")
    _, tagged = raw.command("p", b"NOOP")
    assert tagged.startswith(b"p OK")
    raw.close()


def test_append_literal_refused_before_login_and_over_quota(kurier):
    raw = RawImap(kurier)
    raw.send(b"a APPEND INBOX {20}\r\n")
    line = raw.line()
    assert line.startswith(b"a BAD"), "no '+': nothing is spooled for an anonymous client"
    raw.close()
    addr, pw = kurier.add_user(None, "password-1", "--quota", "1K")
    raw = RawImap(kurier)
    raw.login((addr, pw))
    raw.send(b"b APPEND INBOX {5000}\r\n")
    assert raw.line().startswith(b"b NO [OVERQUOTA]")
    _, tagged = raw.command("c", b"NOOP")
    assert tagged.startswith(b"c OK")
    raw.close()


def test_malformed_literal_announcement(kurier):
    raw = RawImap(kurier)
    _, tagged = raw.command("a", b"LOGIN {12x}")
    assert tagged.startswith(b"a BAD")
    _, tagged = raw.command("b", b"LOGIN {-1}")
    assert tagged.startswith(b"b BAD")
    _, tagged = raw.command("c", b"CAPABILITY")
    assert tagged.startswith(b"c OK")
    raw.close()


def test_literals_before_login_are_small(kurier, user):
    raw = RawImap(kurier)
    # 9,000 bytes would be fine after login (max_command_bytes is 1M) but not before it.
    raw.send(b"a LOGIN {9000}\r\n")
    line = raw.line()
    assert line.startswith(b"a NO [TOOBIG]"), "refused before '+': nothing is buffered"
    # A LOGIN whose password is a literal of a sensible size still works.
    addr, password = user
    raw.send(f'b LOGIN "{addr}" {{{len(password)}}}\r\n'.encode())
    assert raw.line().startswith(b"+")
    raw.send(password.encode() + b"\r\n")
    _, tagged = raw.until("b")
    assert tagged.startswith(b"b OK"), tagged
    # Logged in, the same literal size is accepted.
    _, tagged = raw.command("s", b"SELECT INBOX")
    raw.send(b"c SEARCH TEXT {9000}\r\n")
    assert raw.line().startswith(b"+")
    raw.send(b"x" * 9000 + b"\r\n")
    _, tagged = raw.until("c")
    assert tagged.startswith(b"c OK"), tagged
    raw.close()


def test_a_non_synchronizing_literal_too_big_before_login_ends_the_connection(kurier):
    raw = RawImap(kurier)
    raw.send(b"a LOGIN {20000+}\r\n")
    assert raw.line().startswith(b"a NO [TOOBIG]")
    assert raw.line().startswith(b"* BYE")
    assert raw.closed()


def test_idle_connections_before_login_are_closed_sooner(fresh_kurier):
    k = fresh_kurier
    k.set_config("limits", "login_timeout_seconds", "2")
    k.start()
    address, password = k.add_user()
    logged_in = RawImap(k, user=(address, password))
    anonymous = RawImap(k)  # connected after the login: closed later than 2 s after it
    assert anonymous.line().startswith(b"* BYE"), "closed after 2 s idle before login"
    assert anonymous.closed()
    _, tagged = logged_in.command("n", b"NOOP")  # after login the 31-minute timeout applies
    assert tagged.startswith(b"n OK"), tagged
    logged_in.close()


def test_append_with_bare_lf_is_stored_with_crlf(kurier, user):
    """RFC822.SIZE must be the size of the BODY[] literal: a Unix client's bare LFs are stored as
    CRLF, and POP3's LIST says the same size as RETR sends."""
    import poplib
    m = login(kurier, user)
    body = b"Subject: unix lines\nFrom: a@example.test\n\nline one\nline two\n"
    ok(m.append("INBOX", None, None, body))
    ok(m.select("INBOX", readonly=True))
    data = ok(m.fetch("*", "(RFC822.SIZE BODY.PEEK[])"))
    m.logout()
    size = int(data[0][0].split(b"RFC822.SIZE ")[1].split()[0])
    stored = data[0][1]
    assert stored == body.replace(b"\n", b"\r\n")
    assert size == len(stored)
    p = poplib.POP3(kurier.host, kurier.port("pop3"), timeout=30)
    p.user(user[0])
    p.pass_(user[1])
    count, _ = p.stat()
    listed = int(p.list(count).split()[2])  # "+OK n size"
    retrieved = b"\r\n".join(p.retr(count)[1]) + b"\r\n"
    p.quit()
    assert listed == size == len(retrieved)
