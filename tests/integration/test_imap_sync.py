"""Several IMAP sessions on one mailbox (RFC 9051 7.5.1 untagged updates, RFC 2177 IDLE) and
CONDSTORE/QRESYNC (RFC 7162), against a real `kurier serve`."""
import re
import select
import time


from imap_support import RawImap, fill, login, message, ok


def selected_raw(kurier, user, box=b"INBOX", enable=None):
    raw = RawImap(kurier, user=user)
    if enable:
        raw.command("en", b"ENABLE " + enable)
    lines, tagged = raw.command("sel", b"SELECT " + box)
    assert tagged.startswith(b"sel OK"), tagged
    return raw, lines


def test_sessions_see_each_others_flags_and_expunges(kurier, user):
    m = login(kurier, user)
    fill(m, 3)
    a, _ = selected_raw(kurier, user)
    b, _ = selected_raw(kurier, user)
    a.command("1", b"STORE 2 +FLAGS (\\Flagged)")
    lines, _ = b.command("2", b"NOOP")
    assert lines == [b"* 2 FETCH (UID 2 FLAGS (\\Flagged))"]
    lines, _ = b.command("3", b"NOOP")
    assert lines == [], "a change is reported once"
    a.command("4", b"STORE 1 +FLAGS.SILENT (\\Deleted)")
    a.command("5", b"EXPUNGE")
    ok(m.append("INBOX", None, None, message(4)))
    lines, _ = b.command("6", b"NOOP")
    assert b"* 1 EXPUNGE" in lines and b"* 3 EXISTS" in lines and b"* 1 FETCH (UID 1 FLAGS (\\Deleted))" in lines[:1] \
        or lines.index(b"* 1 EXPUNGE") < lines.index(b"* 3 EXISTS"), lines
    lines, _ = b.command("7", b"FETCH 1:* (UID)")
    assert lines == [b"* 1 FETCH (UID 2)", b"* 2 FETCH (UID 3)", b"* 3 FETCH (UID 4)"]
    a.close()
    b.close()
    m.logout()


def test_no_expunge_during_fetch_store_search(kurier, user):
    # RFC 9051 7.5.1: EXPUNGE must wait for a command that allows it; sequence numbers stay valid.
    m = login(kurier, user)
    fill(m, 3)
    a, _ = selected_raw(kurier, user)
    b, _ = selected_raw(kurier, user)
    a.command("1", b"STORE 1 +FLAGS.SILENT (\\Deleted)")
    a.command("2", b"EXPUNGE")
    lines, tagged = b.command("3", b"FETCH 2:3 (UID)")
    assert not any(b"EXPUNGE" in l for l in lines)
    assert b"* 2 FETCH (UID 2)" in lines and b"* 3 FETCH (UID 3)" in lines
    lines, _ = b.command("4", b"SEARCH ALL")
    assert not any(b"EXPUNGE" in l for l in lines)
    lines, _ = b.command("5", b"STORE 3 +FLAGS (\\Seen)")
    assert not any(b"EXPUNGE" in l for l in lines) and b"* 3 FETCH (FLAGS (\\Seen))" in lines
    lines, tagged = b.command("6", b"FETCH 1 (BODY.PEEK[])")
    assert tagged.startswith(b"6 NO [EXPUNGEISSUED]") or tagged.startswith(b"6 OK")
    lines, _ = b.command("7", b"NOOP")
    assert lines[0] == b"* 1 EXPUNGE"
    lines, _ = b.command("8", b"FETCH 1:* (UID)")
    assert lines == [b"* 1 FETCH (UID 2)", b"* 2 FETCH (UID 3)"]
    a.close()
    b.close()
    m.logout()


def wait_for(raw, pattern, timeout):
    deadline = time.monotonic() + timeout
    seen = []
    while time.monotonic() < deadline:
        r, _, _ = select.select([raw.sock], [], [], max(0, deadline - time.monotonic()))
        if not r and b"\r\n" not in raw.buf:
            break
        line = raw.line()
        seen.append(line)
        if re.search(pattern, line):
            return seen
    raise AssertionError(f"{pattern!r} not seen within {timeout}s: {seen}")


def test_idle_wakes_on_append_flags_and_expunge(kurier, user):
    m = login(kurier, user)
    ok(m.append("INBOX", None, None, message(1)))
    idler, _ = selected_raw(kurier, user)
    idler.send(b"i IDLE\r\n")
    assert idler.line().startswith(b"+ ")
    ok(m.append("INBOX", None, None, message(2)))
    wait_for(idler, rb"^\* 2 EXISTS$", 1.0)
    ok(m.select("INBOX"))
    ok(m.store("1", "+FLAGS", "\\Flagged"))
    wait_for(idler, rb"^\* 1 FETCH \(UID 1 FLAGS \(\\Flagged\)\)$", 1.0)
    ok(m.store("2", "+FLAGS", "\\Deleted"))
    ok(m.expunge())
    wait_for(idler, rb"^\* 2 EXPUNGE$", 1.0)
    idler.send(b"DONE\r\n")
    _, tagged = idler.until("i")
    assert tagged == b"i OK IDLE terminated"
    lines, _ = idler.command("n", b"FETCH 1:* (UID)")
    assert lines == [b"* 1 FETCH (UID 1)"]
    idler.close()
    m.logout()


def test_idle_expects_done(kurier, user):
    idler, _ = selected_raw(kurier, user)
    idler.send(b"i IDLE\r\n")
    assert idler.line().startswith(b"+ ")
    idler.send(b"NOT-DONE\r\n")
    _, tagged = idler.until("i")
    assert tagged.startswith(b"i BAD")
    _, tagged = idler.command("n", b"NOOP")
    assert tagged.startswith(b"n OK")
    idler.close()


def test_condstore_modseq_and_unchangedsince(kurier, user):
    m = login(kurier, user)
    fill(m, 3)
    raw, lines = selected_raw(kurier, user, b"INBOX (CONDSTORE)")
    hms = int(re.search(rb"HIGHESTMODSEQ (\d+)", b" ".join(lines)).group(1))
    lines, _ = raw.command("f", b"FETCH 1:3 (MODSEQ)")
    modseqs = [int(re.search(rb"MODSEQ \((\d+)\)", l).group(1)) for l in lines]
    assert max(modseqs) == hms
    lines, tagged = raw.command("s", b"STORE 1 (UNCHANGEDSINCE %d) +FLAGS (\\Seen)" % modseqs[0])
    assert tagged.startswith(b"s OK") and re.match(rb"\* 1 FETCH \(UID 1 FLAGS \(\\Seen\) MODSEQ \((\d+)\)\)", lines[0])
    new = int(re.search(rb"MODSEQ \((\d+)\)", lines[0]).group(1))
    assert new > hms
    # Message 1 changed after modseqs[1]: [MODIFIED 1], and only message 2 is changed.
    lines, tagged = raw.command("t", b"STORE 1:2 (UNCHANGEDSINCE %d) +FLAGS (\\Flagged)" % modseqs[1])
    assert tagged.startswith(b"t OK [MODIFIED 1]"), tagged
    lines, _ = raw.command("u", b"FETCH 1 (FLAGS)")
    assert b"\\Flagged" not in lines[0]
    lines, _ = raw.command("v", b"UID FETCH 1:* (FLAGS) (CHANGEDSINCE %d)" % hms)
    assert [re.search(rb"UID (\d+)", l).group(1) for l in lines] == [b"1", b"2"]
    lines, _ = raw.command("w", b"SEARCH MODSEQ %d" % (hms + 1))
    assert lines[0].startswith(b"* SEARCH 1 2 (MODSEQ ")
    lines, _ = raw.command("x", b"STATUS INBOX (HIGHESTMODSEQ)")
    assert int(re.search(rb"HIGHESTMODSEQ (\d+)", lines[0]).group(1)) > new
    raw.close()
    m.logout()


def test_qresync_select_reports_vanished_and_changes(kurier, user):
    m = login(kurier, user)
    fill(m, 5)
    raw, lines = selected_raw(kurier, user, enable=b"QRESYNC")
    uidvalidity = int(re.search(rb"UIDVALIDITY (\d+)", b" ".join(lines)).group(1))
    hms = int(re.search(rb"HIGHESTMODSEQ (\d+)", b" ".join(lines)).group(1))
    raw.command("u", b"UNSELECT")
    ok(m.select("INBOX"))
    ok(m.store("2", "+FLAGS", "\\Flagged"))
    ok(m.store("4", "+FLAGS", "\\Deleted"))
    ok(m.expunge())
    lines, tagged = raw.command("q", b"SELECT INBOX (QRESYNC (%d %d 1:5))" % (uidvalidity, hms))
    assert tagged.startswith(b"q OK")
    assert b"* VANISHED (EARLIER) 4" in lines, lines
    assert any(re.match(rb"\* 2 FETCH \(UID 2 FLAGS \(\\Flagged\) MODSEQ \(\d+\)\)", l) for l in lines), lines
    # Expunges in a QRESYNC session are VANISHED, not EXPUNGE.
    ok(m.store("1", "+FLAGS", "\\Deleted"))
    ok(m.expunge())
    lines, _ = raw.command("n", b"NOOP")
    assert b"* VANISHED 1" in lines
    lines, _ = raw.command("v", b"UID FETCH 1:* (FLAGS) (CHANGEDSINCE %d VANISHED)" % hms)
    assert lines[0] == b"* VANISHED (EARLIER) 1,4"
    raw.close()
    m.logout()


def test_qresync_needs_enable(kurier, user):
    raw = RawImap(kurier, user=user)
    _, tagged = raw.command("q", b"SELECT INBOX (QRESYNC (1 1))")
    assert tagged.startswith(b"q BAD")
    raw.close()


def test_selected_mailbox_deleted_by_another_session(kurier, user):
    m = login(kurier, user)
    ok(m.create("Doomed"))
    raw, _ = selected_raw(kurier, user, b"Doomed")
    ok(m.delete("Doomed"))
    raw.send(b"n NOOP\r\n")
    assert raw.line() == b"* BYE The selected mailbox was deleted"
    assert raw.closed()
    m.logout()
