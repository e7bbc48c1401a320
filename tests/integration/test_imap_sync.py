"""Several IMAP sessions on one mailbox (RFC 9051 7.5.1 untagged updates, RFC 2177 IDLE) and
CONDSTORE/QRESYNC (RFC 7162), against a real `kurier serve`."""
import re
import select
import time


from conftest import wait_for as wait_until
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
    wait_for(idler, rb"^\* 1 FETCH \(UID 1 FLAGS \(\\Flagged( \\Recent)?\)\)$", 1.0)
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
    assert tagged.startswith(b"s OK") and re.match(rb"\* 1 FETCH \(UID 1 FLAGS \(\\Seen( \\Recent)?\) MODSEQ \((\d+)\)\)", lines[0])
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


def test_message_expunged_elsewhere_stays_readable_until_told(kurier, user):
    # Issue 9 item 3: b has not been told about the EXPUNGE, so its FETCH still answers with
    # the data (as Dovecot does), never NO; the blob goes once b has been told.
    m = login(kurier, user)
    ok(m.create("held"))
    ok(m.append("held", None, None, message(1, body="the held body")))
    a, _ = selected_raw(kurier, user, b"held")
    b, _ = selected_raw(kurier, user, b"held")
    blobs = kurier.dir / "blobs"
    count = lambda: sum(1 for p in blobs.glob("??/*"))
    before = count()
    a.command("1", b"STORE 1 +FLAGS.SILENT (\\Deleted)")
    a.command("2", b"EXPUNGE")
    ok(m.append("held", None, None, message(2)))  # a later commit must not release it either
    lines, tagged = b.command("3", b"FETCH 1 (FLAGS ENVELOPE BODY.PEEK[TEXT])")
    assert tagged.startswith(b"3 OK"), (lines, tagged)
    assert any(b"FLAGS (\\Deleted)" in l for l in lines), lines
    assert any(b"the held body" in l for l in lines), lines
    lines, tagged = b.command("4", b"NOOP")
    assert b"* 1 EXPUNGE" in lines, lines
    ok(m.append("held", None, None, message(3)))  # the next commit drops the told expunge
    wait_until(lambda: count() == before + 1, "the expunged message's blob to be removed",
             details=lambda: f"{count()} blob files, {before} before")
    a.close()
    b.close()
    m.logout()


def test_logout_sends_no_update_after_bye(kurier, user):
    # Issue 9 item 2: nothing after BYE, in particular no EXISTS/EXPUNGE of unseen changes.
    m = login(kurier, user)
    ok(m.create("bye"))
    fill(m, 2, "bye")
    b, _ = selected_raw(kurier, user, b"bye")
    ok(m.select("bye"))
    ok(m.store("1", "+FLAGS", "(\\Deleted)"))
    ok(m.expunge())
    ok(m.append("bye", None, None, message(3)))
    lines, tagged = b.command("9", b"LOGOUT")
    assert lines == [b"* BYE Logging out"], lines
    assert tagged.startswith(b"9 OK")
    m.logout()


def test_new_keyword_is_announced_to_every_session_before_fetch(kurier, user):
    # RFC 3501 7.2.6 / RFC 9051 7.3.5: FLAGS (and PERMANENTFLAGS) list a new keyword before any
    # FETCH carries it, for the session that stored it and for the others.
    m = login(kurier, user)
    ok(m.create("kw"))
    fill(m, 1, "kw")
    a, _ = selected_raw(kurier, user, b"kw")
    b, _ = selected_raw(kurier, user, b"kw")
    for raw, tag in ((a, b"1"), (b, b"2")):
        lines, _ = (raw.command(tag.decode(), b"STORE 1 +FLAGS ($Fresh)") if raw is a
                    else raw.command(tag.decode(), b"NOOP"))
        flags = [i for i, l in enumerate(lines) if l.startswith(b"* FLAGS (") and b"$Fresh" in l]
        perm = [i for i, l in enumerate(lines) if b"[PERMANENTFLAGS (" in l and b"$Fresh" in l]
        fetch = [i for i, l in enumerate(lines) if b" FETCH (" in l and b"$Fresh" in l]
        assert flags and perm and fetch and flags[0] < fetch[0] and perm[0] < fetch[0], lines
    a.close()
    b.close()
    m.logout()


def test_recent_belongs_to_one_rev1_session(kurier, user):
    # RFC 3501 2.3.2 and 6.3.1: the first session told about a message sees it \Recent.
    m = login(kurier, user)
    ok(m.create("rec"))
    fill(m, 2, "rec")
    a, lines = selected_raw(kurier, user, b"rec")
    assert b"* 2 RECENT" in lines, lines
    b, lines = selected_raw(kurier, user, b"rec")
    assert b"* 0 RECENT" in lines, lines
    r2, lines = selected_raw(kurier, user, b"rec", enable=b"IMAP4rev2")
    assert not any(b"RECENT" in l for l in lines), lines
    lines, _ = a.command("1", b"FETCH 1:2 (FLAGS)")
    assert all(b"\\Recent" in l for l in lines), lines
    ok(m.append("rec", None, None, message(3)))
    lines_a, _ = a.command("2", b"NOOP")
    lines_b, _ = b.command("3", b"NOOP")
    assert b"* 3 EXISTS" in lines_a and b"* 3 EXISTS" in lines_b
    recent = [l for l in lines_a + lines_b if l.endswith(b" RECENT")]
    assert sorted(recent) == [b"* 0 RECENT", b"* 3 RECENT"], recent
    lines, _ = a.command("4", b"SEARCH RECENT")
    assert lines == [b"* SEARCH 1 2 3"], lines
    lines, _ = b.command("5", b"SEARCH NEW")
    assert lines == [b"* SEARCH"], lines
    lines, _ = b.command("6", b"SEARCH OLD")
    assert lines == [b"* SEARCH 1 2 3"], lines
    lines, _ = b.command("7", b"FETCH 3 (FLAGS)")
    assert lines == [b"* 3 FETCH (FLAGS ())"], lines
    lines, _ = r2.command("8", b"FETCH 1:3 (FLAGS)")
    assert not any(b"\\Recent" in l for l in lines), lines
    ok(m.append("rec", None, None, message(4)))
    lines, _ = b.command("9", b'STATUS rec (RECENT)')
    assert b"(RECENT 1)" in lines[0], lines
    for raw in (a, b, r2):
        raw.close()
    m.logout()


def test_a_session_whose_mailbox_is_deleted_is_ended_one_renamed_goes_on(kurier, user):
    """No consistent state is left once another session deletes the selected mailbox: the session
    is told BYE and closed. A rename keeps the mailbox's UIDs and UIDVALIDITY, so a session that
    has it selected goes on, and so does one on an unrelated mailbox."""
    m = login(kurier, user)
    for name in ("Work", "Old", "Other"):
        ok(m.create(name))
    fill(m, 1, "Work")
    fill(m, 1, "Old")
    deleted, _ = selected_raw(kurier, user, b"Work")
    renamed, _ = selected_raw(kurier, user, b"Old")
    bystander, _ = selected_raw(kurier, user, b"Other")
    ok(m.delete("Work"))
    ok(m.rename("Old", "New"))
    deleted.send(b"n NOOP\r\n")
    assert deleted.line() == b"* BYE The selected mailbox was deleted"
    for raw in (renamed, bystander):
        lines, tagged = raw.command("n", b"NOOP")
        assert tagged.startswith(b"n OK") and lines == [], (lines, tagged)
    lines, tagged = renamed.command("f", b"FETCH 1 (UID)")
    assert lines == [b"* 1 FETCH (UID 1)"] and tagged.startswith(b"f OK")
    renamed.close()
    bystander.close()
