"""IMAP commands after login, with Python's imaplib against a real `kurier serve`: SEARCH (every
RFC 3501 key, ESEARCH, SEARCHRES, CHARSET), STORE, COPY/MOVE with COPYUID, EXPUNGE/UID EXPUNGE,
CLOSE/UNSELECT, APPEND (APPENDUID, TRYCREATE, OVERQUOTA, MULTIAPPEND, LITERAL+), mailbox
management, LIST-EXTENDED/LIST-STATUS, LSUB, STATUS, NAMESPACE, ID, ENABLE, QUOTA, COMPRESS."""
import imaplib
import re
import zlib

import pytest

from conftest import PASSWORD
from imap_support import MULTIPART, SIMPLE, RawImap, append_messages, fill, login, message, ok


def search(imap, *criteria, charset=None, uid=False):
    data = ok(imap.uid("SEARCH", *criteria) if uid else imap.search(charset, *criteria))
    return [int(x) for x in data[0].split()] if data and data[0] else []


# ---- SEARCH ----------------------------------------------------------------------------------

def test_search_keys(imap):
    ok(imap.append("INBOX", "\\Seen", '"01-Jan-2024 10:00:00 +0000"', SIMPLE))
    ok(imap.append("INBOX", "\\Flagged $Work", '"02-Jan-2024 12:30:00 +0100"', MULTIPART))
    ok(imap.append("INBOX", "\\Deleted \\Answered \\Draft", '"05-Feb-2024 00:00:00 +0000"',
                   message(3, subject="Third one", body="needle in a haystack")))
    ok(imap.select("INBOX"))
    assert search(imap, "ALL") == [1, 2, 3]
    assert search(imap, "SEEN") == [1] and search(imap, "UNSEEN") == [2, 3]
    assert search(imap, "FLAGGED") == [2] and search(imap, "UNFLAGGED") == [1, 3]
    assert search(imap, "DELETED") == [3] and search(imap, "UNDELETED") == [1, 2]
    assert search(imap, "ANSWERED") == [3] and search(imap, "UNANSWERED") == [1, 2]
    assert search(imap, "DRAFT") == [3] and search(imap, "UNDRAFT") == [1, 2]
    assert search(imap, "KEYWORD", "$work") == [2] and search(imap, "UNKEYWORD", "$Work") == [1, 3]
    # RFC 3501 2.3.2: this session is the first told of the three; NEW is RECENT UNSEEN.
    assert search(imap, "NEW") == [2, 3] and search(imap, "RECENT") == [1, 2, 3] and search(imap, "OLD") == []
    assert search(imap, "FROM", "alice") == [1]
    assert search(imap, "FROM", "juergen") == [2]
    assert search(imap, "TO", "bob") == [1, 2, 3]
    assert search(imap, "CC", "x") == [] and search(imap, "BCC", "x") == []
    assert search(imap, "SUBJECT", "hello") == [1] and search(imap, "SUBJECT", "THIRD") == [3]
    assert search(imap, "HEADER", "Message-ID", "multi-1") == [2]
    assert search(imap, "HEADER", "MIME-Version", '""') == [2]
    assert search(imap, "BODY", "haystack") == [3] and search(imap, "BODY", "Hello") == []
    assert search(imap, "TEXT", "hello") == [1] and search(imap, "TEXT", "needle") == [3]
    assert search(imap, "BODY", "zebra") == [2], "quoted-printable body is decoded"
    assert search(imap, "BODY", '"inner html"') == [2], "embedded message parts are searched"
    assert search(imap, "BEFORE", "02-Jan-2024") == [1] and search(imap, "ON", "02-Jan-2024") == [2]
    assert search(imap, "SINCE", "02-Jan-2024") == [2, 3]
    assert search(imap, "SENTBEFORE", "02-Jan-2024") == [1] and search(imap, "SENTON", "02-Jan-2024") == [2]
    assert search(imap, "SENTSINCE", "03-Jan-2024") == [3]
    assert search(imap, "LARGER", "500") == [2] and search(imap, "SMALLER", "300") == [1, 3]
    assert search(imap, "OR", "SEEN", "FLAGGED") == [1, 2] and search(imap, "NOT", "SEEN") == [2, 3]
    assert search(imap, "(SEEN FROM alice)") == [1] and search(imap, "2:3", "UNSEEN") == [2, 3]
    assert search(imap, "UID", "2") == [2] and search(imap, "UID", "*") == [3]
    assert search(imap, "OLDER", "1") == [1, 2, 3] and search(imap, "YOUNGER", "60") == []
    assert search(imap, "ALL", uid=True) == [1, 2, 3]
    imap.literal = "GRÜßE".encode()  # RFC 2047 decoded, ASCII case-insensitive
    assert search(imap, "SUBJECT", charset="UTF-8") == [], "non-ASCII letters compare exactly"
    imap.literal = "grüße".encode()
    assert search(imap, "SUBJECT", charset="UTF-8") == [2], "RFC 2047 subjects match"
    imap.literal = "Schöne".encode()
    assert search(imap, "BODY", charset="UTF-8") == [2]
    typ, data = imap.search("KOI8-R", "ALL")
    assert typ == "NO" and b"BADCHARSET" in data[0]


def test_esearch_and_searchres(kurier, user):
    append_messages(kurier, user, 5)
    raw = RawImap(kurier, user=user)
    raw.command("s", b"SELECT INBOX")
    lines, tagged = raw.command("a", b"SEARCH RETURN (MIN MAX COUNT ALL) 2:4")
    assert tagged.startswith(b"a OK") and lines == [b'* ESEARCH (TAG "a") MIN 2 MAX 4 COUNT 3 ALL 2:4']
    lines, _ = raw.command("b", b"UID SEARCH RETURN () 1:*")
    assert lines == [b'* ESEARCH (TAG "b") UID ALL 1:5']
    lines, _ = raw.command("c", b"SEARCH RETURN (COUNT) SUBJECT nothing-matches")
    assert lines == [b'* ESEARCH (TAG "c") COUNT 0']
    lines, tagged = raw.command("d", b"SEARCH RETURN (SAVE) 2,4")
    assert tagged.startswith(b"d OK") and lines == []
    lines, _ = raw.command("e", b"FETCH $ (UID)")
    assert lines == [b"* 2 FETCH (UID 2)", b"* 4 FETCH (UID 4)"]
    lines, _ = raw.command("f", b"SEARCH $ 3:5")
    assert lines == [b"* SEARCH 4"]
    raw.close()


# ---- STORE -----------------------------------------------------------------------------------

def test_store_flags(imap):
    fill(imap, 3)
    ok(imap.select("INBOX"))
    got = ok(imap.store("1:2", "+FLAGS", "(\\Flagged $Important)"))
    assert got == [b"1 (FLAGS (\\Flagged \\Recent $Important))", b"2 (FLAGS (\\Flagged \\Recent $Important))"]
    assert ok(imap.store("2", "-FLAGS", "($important)")) == [b"2 (FLAGS (\\Flagged \\Recent))"]
    assert ok(imap.store("3", "FLAGS", "(\\Seen \\Answered)")) == [b"3 (FLAGS (\\Seen \\Answered \\Recent))"]
    assert ok(imap.store("1:3", "+FLAGS.SILENT", "\\Draft")) == [None]
    got = ok(imap.fetch("1:3", "(FLAGS)"))
    assert all(b"\\Draft" in g for g in got)
    got = ok(imap.uid("STORE", "3", "-FLAGS", "(\\Seen)"))
    assert got == [b"3 (UID 3 FLAGS (\\Answered \\Draft \\Recent))"]
    # Invalid flags are BAD and change nothing.
    for bad in ("(\\Bogus)", "(a]b)", "(\\Seen"):
        with pytest.raises(imaplib.IMAP4.error):
            imap.store("1", "+FLAGS", bad)
    assert ok(imap.fetch("1", "(FLAGS)")) == [b"1 (FLAGS (\\Flagged \\Draft \\Recent $Important))"]
    ok(imap.select("INBOX", readonly=True))
    typ, data = imap.store("1", "+FLAGS", "\\Seen")
    assert typ == "NO"


# ---- COPY / MOVE / EXPUNGE -------------------------------------------------------------------

def test_copy_and_move_with_copyuid(imap):
    fill(imap, 4)
    ok(imap.select("INBOX"))
    typ, data = imap.copy("1:2", "Archive")
    assert typ == "OK" and re.match(rb"\[COPYUID \d+ 1:2 1:2\]", data[0]), data
    typ, data = imap.uid("MOVE", "3:4", "Trash")
    assert typ == "OK"
    assert ok(imap.status("Trash", "(MESSAGES)"))[0].endswith(b"(MESSAGES 2)")
    assert ok(imap.status("Archive", "(MESSAGES)"))[0].endswith(b"(MESSAGES 2)")
    assert imap.untagged_responses.get("OK") or True
    ok(imap.noop())
    typ, data = imap.select("INBOX")
    assert data == [b"2"]
    typ, data = imap.copy("1", "Nowhere")
    assert typ == "NO" and b"[TRYCREATE]" in data[0]
    # Copied messages keep their bytes.
    ok(imap.select("Archive"))
    assert ok(imap.fetch("2", "(BODY.PEEK[])"))[0][1] == message(2)


def test_move_reports_expunge_and_copyuid(kurier, user):
    append_messages(kurier, user, 3)
    raw = RawImap(kurier, user=user)
    raw.command("s", b"SELECT INBOX")
    lines, tagged = raw.command("m", b"MOVE 2 Junk")
    assert re.match(rb"\* OK \[COPYUID \d+ 2 1\]", lines[0]), lines
    assert lines[1:] == [b"* 2 EXPUNGE"] and tagged.startswith(b"m OK")
    raw.close()


def test_expunge_and_uid_expunge(kurier, user):
    append_messages(kurier, user, 5)
    raw = RawImap(kurier, user=user)
    raw.command("s", b"SELECT INBOX")
    raw.command("a", b"STORE 1,2,4 +FLAGS.SILENT (\\Deleted)")
    lines, tagged = raw.command("b", b"UID EXPUNGE 4:5")
    assert lines == [b"* 4 EXPUNGE"] and tagged.startswith(b"b OK")
    lines, tagged = raw.command("c", b"EXPUNGE")
    assert lines == [b"* 2 EXPUNGE", b"* 1 EXPUNGE"]
    lines, _ = raw.command("d", b"FETCH 1:* (UID)")
    assert lines == [b"* 1 FETCH (UID 3)", b"* 2 FETCH (UID 5)"]
    raw.close()


def test_close_expunges_silently_and_unselect_does_not(kurier, user):
    m = login(kurier, user)
    fill(m, 3)
    ok(m.select("INBOX"))
    ok(m.store("1", "+FLAGS", "\\Deleted"))
    raw = RawImap(kurier, user=user)
    raw.command("s", b"SELECT INBOX")
    lines, tagged = raw.command("u", b"UNSELECT")
    assert tagged.startswith(b"u OK")
    raw.command("s2", b"SELECT INBOX")
    lines, tagged = raw.command("c", b"CLOSE")
    assert tagged.startswith(b"c OK") and not any(b"EXPUNGE" in l for l in lines)
    _, tagged = raw.command("f", b"FETCH 1 FLAGS")
    assert tagged.startswith(b"f BAD"), "no mailbox selected after CLOSE"
    assert ok(m.status("INBOX", "(MESSAGES)"))[0].endswith(b"(MESSAGES 2)")
    raw.close()
    m.logout()


# ---- APPEND ----------------------------------------------------------------------------------

def test_append_variants(kurier, user, imap):
    typ, data = imap.append("INBOX", "(\\Seen $Custom)", '"14-Mar-2024 15:09:26 -0500"', SIMPLE)
    assert typ == "OK" and re.match(rb"\[APPENDUID \d+ 1\]", data[0])
    ok(imap.select("INBOX"))
    got = ok(imap.fetch("1", "(FLAGS INTERNALDATE)"))[0]
    assert b"\\Seen" in got and b"$Custom" in got and b'"14-Mar-2024 15:09:26 -0500"' in got
    typ, data = imap.append("NoSuchBox", None, None, SIMPLE)
    assert typ == "NO" and b"[TRYCREATE]" in data[0]
    raw = RawImap(kurier, user=user)
    # LITERAL+ and MULTIAPPEND (RFC 3502): two messages in one command.
    a, b = message(10), message(11)
    raw.send(b"m APPEND Drafts (\\Draft) {%d+}\r\n" % len(a) + a + b" {%d+}\r\n" % len(b) + b + b"\r\n")
    lines, tagged = raw.until("m")
    assert re.match(rb"m OK \[APPENDUID \d+ 1:2\]", tagged), tagged
    # A synchronizing literal waits for "+".
    raw.send(b"n APPEND Drafts {%d}\r\n" % len(a))
    assert raw.line().startswith(b"+ ")
    raw.send(a + b"\r\n")
    assert raw.until("n")[1].startswith(b"n OK [APPENDUID")
    # The mailbox name may itself be a literal.
    raw.send(b"o APPEND {6}\r\n")
    assert raw.line().startswith(b"+")
    raw.send(b"Drafts {%d+}\r\n" % len(b) + b + b"\r\n")
    assert raw.until("o")[1].startswith(b"o OK [APPENDUID")
    _, tagged = raw.command("p", b"APPEND Drafts {0+}\r\n")
    assert tagged.startswith(b"p NO") or tagged.startswith(b"p BAD")
    # MULTIAPPEND is all or nothing (RFC 3502 3): a bad second message keeps the first out too.
    raw.send(b"r APPEND Drafts {%d+}\r\n" % len(a) + a + b" {0+}\r\n\r\n")
    assert raw.until("r")[1].startswith((b"r NO", b"r BAD"))
    lines, _ = raw.command("q", b"STATUS Drafts (MESSAGES)")
    assert lines == [b'* STATUS "Drafts" (MESSAGES 4)']
    raw.close()


def test_append_over_quota(kurier):
    m = login(kurier, kurier.add_user(None, PASSWORD, "--quota", "2K"))
    ok(m.append("INBOX", None, None, SIMPLE))
    typ, data = m.append("INBOX", None, None, b"Subject: big\r\n\r\n" + b"y" * 3000 + b"\r\n")
    assert typ == "NO" and b"[OVERQUOTA]" in data[0]
    assert ok(m.status("INBOX", "(MESSAGES)"))[0].endswith(b"(MESSAGES 1)")
    typ, data = m.getquotaroot("INBOX")
    assert typ == "OK"
    assert data[0] == [b'"INBOX" ""'] and re.match(rb'"" \(STORAGE 1 2\)', data[1][0]), data
    m.logout()


def test_quota_alert_at_select_over_90_percent(kurier):
    addr, pw = kurier.add_user(None, "password-1", "--quota", "1K")
    m = imaplib.IMAP4(kurier.host, kurier.port("imap"))
    ok(m.login(addr, pw))
    ok(m.append("INBOX", None, None, b"Subject: s\r\n\r\n" + b"z" * 1000 + b"\r\n"))
    raw_lines = []
    m._mesg = lambda s, *a: raw_lines.append(s)
    ok(m.select("INBOX"))
    alerts = m.untagged_responses.get("NO", [])
    assert any(b"[ALERT]" in a and b"%" in a for a in alerts), m.untagged_responses
    m.logout()


# ---- mailboxes -------------------------------------------------------------------------------

def test_create_delete_rename_subscribe(imap):
    ok(imap.create("Projects/Alpha"))
    ok(imap.create("Projects/Beta/"))
    typ, data = imap.create("Projects/Alpha")
    assert typ == "NO" and b"ALREADYEXISTS" in data[0]
    assert ok(imap.list('""', "Projects/%")) == [b'(\\HasNoChildren) "/" "Projects/Alpha"',
                                                 b'(\\HasNoChildren) "/" "Projects/Beta"']
    assert ok(imap.list("Projects/", "*")) == [b'(\\HasNoChildren) "/" "Projects/Alpha"',
                                                 b'(\\HasNoChildren) "/" "Projects/Beta"']
    assert ok(imap.list('""', "%")) and b'(\\HasChildren) "/" "Projects"' in ok(imap.list('""', "%"))
    ok(imap.rename("Projects", "Work"))
    assert ok(imap.list('""', "Work/*")) == [b'(\\HasNoChildren) "/" "Work/Alpha"', b'(\\HasNoChildren) "/" "Work/Beta"']
    ok(imap.subscribe("Work/Alpha"))
    assert ok(imap.lsub('""', "Work/*")) == [b'() "/" "Work/Alpha"']
    ok(imap.unsubscribe("Work/Alpha"))
    assert ok(imap.lsub('""', "Work/*")) == [None]
    ok(imap.delete("Work/Alpha"))
    typ, data = imap.delete("INBOX")
    assert typ == "NO"
    typ, data = imap.select("Work/Alpha")
    assert typ == "NO"
    # Modified UTF-7 names (RFC 3501 5.1.3) round-trip.
    ok(imap.create("&AMQ-rger"))
    assert b'(\\HasNoChildren) "/" "&AMQ-rger"' in ok(imap.list('""', "*"))
    ok(imap.append("&AMQ-rger", None, None, SIMPLE))
    typ, data = imap.create("bad&name")  # "&" must be written "&-": a NO, the syntax is fine
    assert typ == "NO" and b"[CANNOT]" in data[0]


def test_create_special_use(kurier, user, imap):
    ok(imap._simple_command("CREATE", "MyFlagged", "(USE (\\Flagged))"))
    raw = RawImap(kurier, user=user)
    lines, _ = raw.command("a", b'LIST (SPECIAL-USE) "" "*"')
    names = sorted(l.decode() for l in lines)
    assert '* LIST (\\HasNoChildren \\Flagged) "/" "MyFlagged"' in names
    assert not any('"INBOX"' in n for n in names)
    _, tagged = raw.command("b", b"CREATE Other (USE (\\Bogus))")
    assert tagged.startswith(b"b NO [USEATTR]")
    raw.close()


def test_list_extended_and_status(kurier, user, imap):
    fill(imap, 2)
    ok(imap.subscribe("INBOX"))
    ok(imap.subscribe("Ghost"))  # a subscription may outlive (or precede) its mailbox
    raw = RawImap(kurier, user=user)
    lines, tagged = raw.command("a", b'LIST (SUBSCRIBED) "" "*" RETURN (CHILDREN)')
    assert tagged.startswith(b"a OK")
    assert b'* LIST (\\Subscribed \\NonExistent) "/" "Ghost"' in lines
    assert any(l.startswith(b"* LIST (\\HasNoChildren \\Subscribed) \"/\" \"INBOX\"") for l in lines), lines
    lines, _ = raw.command("b", b'LIST "" (INBOX Drafts) RETURN (STATUS (MESSAGES UNSEEN UIDNEXT SIZE))')
    assert lines[0].startswith(b"* LIST") and b"Drafts" in lines[0]
    assert lines[1] == b'* STATUS "Drafts" (MESSAGES 0 UNSEEN 0 UIDNEXT 1 SIZE 0)'
    assert lines[3] == b'* STATUS "INBOX" (MESSAGES 2 UNSEEN 2 UIDNEXT 3 SIZE %d)' % (
        len(message(1)) + len(message(2)))
    lines, _ = raw.command("c", b'LIST "" ""')
    assert lines == [b'* LIST (\\Noselect) "/" ""']
    lines, _ = raw.command("d", b"STATUS INBOX (MESSAGES RECENT UIDNEXT UIDVALIDITY UNSEEN DELETED SIZE HIGHESTMODSEQ APPENDLIMIT)")
    assert re.match(rb'\* STATUS "INBOX" \(MESSAGES 2 RECENT 2 UIDNEXT 3 UIDVALIDITY \d+ UNSEEN 2 DELETED 0 SIZE \d+ '
                    rb'HIGHESTMODSEQ \d+ APPENDLIMIT \d+\)', lines[0]), lines
    _, tagged = raw.command("e", b"STATUS Nope (MESSAGES)")
    assert tagged.startswith(b"e NO")
    raw.close()


def test_namespace_id_enable(kurier, user):
    raw = RawImap(kurier)
    lines, tagged = raw.command("i", b'ID ("name" "pytest" "version" "1")')
    assert lines == [b'* ID ("name" "kurier" "vendor" "kurier")'] and tagged.startswith(b"i OK")
    raw.login(user)
    lines, _ = raw.command("n", b"NAMESPACE")
    assert lines == [b'* NAMESPACE (("" "/")) NIL NIL']
    lines, _ = raw.command("e", b"ENABLE CONDSTORE X-UNKNOWN")
    assert lines == [b"* ENABLED CONDSTORE"]
    lines, _ = raw.command("e2", b"ENABLE CONDSTORE QRESYNC")
    assert lines == [b"* ENABLED QRESYNC"]
    raw.close()


def test_quota_commands(kurier):
    m = login(kurier, kurier.add_user(None, PASSWORD, "--quota", "10M"))
    ok(m.append("INBOX", None, None, SIMPLE))
    typ, data = m.getquota('""')
    assert typ == "OK" and data == [b'"" (STORAGE 1 10240)']
    typ, data = m.setquota('""', "(STORAGE 1)")
    assert typ == "NO"
    typ, data = m.getquota("other")
    assert typ == "NO"
    m.logout()


def test_compress_deflate(kurier, user):
    raw = RawImap(kurier, user=user)
    _, tagged = raw.command("z", b"COMPRESS DEFLATE")
    assert tagged == b"z OK DEFLATE active"
    comp = zlib.compressobj(wbits=-15)
    decomp = zlib.decompressobj(wbits=-15)
    raw.send(comp.compress(b"a NOOP\r\nb LIST \"\" INBOX\r\n") + comp.flush(zlib.Z_SYNC_FLUSH))
    data = b""
    while b"b OK" not in data:
        data += decomp.decompress(raw.sock.recv(65536))
    assert b"a OK" in data and b'"INBOX"' in data
    raw.close()


def test_imap4rev2_session(kurier, user):
    # RFC 9051: after ENABLE IMAP4rev2, SEARCH answers with ESEARCH, SELECT drops RECENT/UNSEEN,
    # and mailbox names are UTF-8 instead of modified UTF-7.
    append_messages(kurier, user, 2)
    raw = RawImap(kurier, user=user)
    lines, _ = raw.command("e", b"ENABLE IMAP4rev2")
    assert lines == [b"* ENABLED IMAP4rev2"]
    lines, tagged = raw.command("s", b"SELECT INBOX")
    assert not any(b"RECENT" in l or b"[UNSEEN" in l for l in lines) and tagged.startswith(b"s OK")
    lines, _ = raw.command("f", b"SEARCH ALL")
    assert lines == [b'* ESEARCH (TAG "f") ALL 1:2']
    _, tagged = raw.command("c", "CREATE \"Ärger\"".encode())
    assert tagged.startswith(b"c OK")
    lines, _ = raw.command("l", "LIST \"\" \"Ä*\"".encode())
    assert lines == ['* LIST (\\HasNoChildren) "/" "Ärger"'.encode()]
    raw.close()
    m = login(kurier, user)
    assert b'"&AMQ-rger"' in b" ".join(ok(m.list('""', "*"))), "rev1 clients see modified UTF-7"
    m.logout()
