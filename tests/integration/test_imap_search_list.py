"""IMAP SEARCH semantics, BINARY decoding and mailbox names/listings, with Python's imaplib (and a
raw client where imaplib cannot say it) against a real `kurier serve`:
- SENTBEFORE/SENTON/SENTSINCE take the Date header's day in its own zone (RFC 3501 6.4.4);
- FROM/TO/CC/BCC match display names, addresses and RFC 2047 text as a client shows them;
- ESEARCH with a MODSEQ key returns MODSEQ of the messages returned (RFC 4731 3.2, RFC 7162);
- BINARY[]/BINARY.SIZE[] decode quoted-printable and base64 (RFC 3516);
- names that are valid IMAP but not valid mailbox names get NO, never BAD; LIST patterns of
  every allowed atom character; LSUB's \\Noselect parents and LIST-EXTENDED's CHILDINFO
  (RFC 3501 6.3.9, RFC 5258)."""
import base64
import imaplib
import re

import pytest

from imap_support import RawImap, login, ok


def mail(n, date="Wed, 03 Jan 2024 08:00:00 +0000", frm="sender@example.test", to="bob@example.test",
         extra=b""):
    return (f"From: {frm}\r\nTo: {to}\r\nSubject: message {n}\r\nDate: {date}\r\n"
            f"Message-ID: <s{n}@example.test>\r\n").encode() + extra + b"\r\nbody\r\n"


def search(imap, *criteria, uid=False):
    data = ok(imap.uid("SEARCH", *criteria) if uid else imap.search(None, *criteria))
    return [int(x) for x in data[0].split()] if data and data[0] else []


# ---- SEARCH ----------------------------------------------------------------------------------

def test_sent_dates_use_the_day_written_in_the_date_header(imap):
    ok(imap.append("INBOX", None, None, mail(1, date="Mon, 1 Jan 2024 23:30:00 -0800")))  # 2 Jan UTC
    ok(imap.append("INBOX", None, None, mail(2, date="Tue, 2 Jan 2024 00:15:00 +0530")))  # 1 Jan UTC
    ok(imap.append("INBOX", None, None, mail(3, date="Tue, 2 Jan 2024 12:00:00 +0000")))
    ok(imap.select("INBOX"))
    assert search(imap, "SENTON", "1-Jan-2024") == [1]
    assert search(imap, "SENTON", "2-Jan-2024") == [2, 3]
    assert search(imap, "SENTBEFORE", "2-Jan-2024") == [1]
    assert search(imap, "SENTSINCE", "2-Jan-2024") == [2, 3]
    assert search(imap, "NOT", "SENTSINCE", "2-Jan-2024") == [1]


def test_address_keys_match_names_addresses_and_decoded_text(imap):
    ok(imap.append("INBOX", None, None,
                   mail(1, frm='"Alice  Example" <alice@example.test>',
                        to="=?utf-8?q?J=C3=BCrgen?= <juergen@example.test>,\r\n bob@example.test (Bob B.)",
                        extra=b'Cc: "=?iso-8859-1?q?M=FCller?=" <mueller@example.test>\r\n'
                              b"Bcc: team: carol@example.test;\r\n")))
    ok(imap.append("INBOX", None, None, mail(2, frm="Zed <zed@other.test>")))
    ok(imap.select("INBOX"))
    assert search(imap, "FROM", '"Alice  Example"') == [1]
    assert search(imap, "FROM", "ALICE@example.TEST") == [1]
    assert search(imap, "FROM", '"Example <alice@"') == [1], "the address as a client shows it"
    assert search(imap, "FROM", "other.test") == [2]
    assert search(imap, "TO", '"Bob B. <bob@"') == [1], "folded field, comment as display name"
    assert search(imap, "CC", "bob") == [] and search(imap, "BCC", "team") == [1]
    imap.literal = "Jürgen <juergen".encode()
    assert search(imap, "CHARSET", "UTF-8", "TO") == [1]
    imap.literal = "Müller".encode()
    assert search(imap, "CHARSET", "UTF-8", "CC") == [1], "encoded word inside a quoted string"


def test_esearch_modseq_follows_the_messages_returned(kurier, user, imap):
    for n in range(1, 5):
        ok(imap.append("INBOX", None, None, mail(n)))
    raw = RawImap(kurier, user=user)
    raw.command("s", b"SELECT INBOX (CONDSTORE)")
    raw.command("f", b"STORE 2 +FLAGS (\\Seen)")    # message 2 gets the highest MODSEQ
    lines, _ = raw.command("m", b"FETCH 1:4 (MODSEQ)")
    modseq = {int(l.split()[1]): int(l.split(b"MODSEQ (")[1].split(b")")[0]) for l in lines}
    assert max(modseq, key=modseq.get) == 2
    lines, _ = raw.command("a", b"SEARCH RETURN (MIN) MODSEQ 1")
    assert lines == [b'* ESEARCH (TAG "a") MIN 1 MODSEQ %d' % modseq[1]]
    lines, _ = raw.command("b", b"SEARCH RETURN (MAX) MODSEQ 1")
    assert lines == [b'* ESEARCH (TAG "b") MAX 4 MODSEQ %d' % modseq[4]]
    lines, _ = raw.command("c", b"SEARCH RETURN (MIN MAX) MODSEQ 1")
    assert lines == [b'* ESEARCH (TAG "c") MIN 1 MAX 4 MODSEQ %d' % max(modseq[1], modseq[4])]
    lines, _ = raw.command("d", b"SEARCH RETURN (ALL) MODSEQ 1")
    assert lines == [b'* ESEARCH (TAG "d") ALL 1:4 MODSEQ %d' % modseq[2]]
    lines, _ = raw.command("e", b'UID SEARCH RETURN (ALL) MODSEQ "/flags/\\\\seen" all %d' % modseq[2])
    assert lines == [b'* ESEARCH (TAG "e") UID ALL 2 MODSEQ %d' % modseq[2]]
    lines, _ = raw.command("g", b'SEARCH MODSEQ "/flags/\\\\seen" all %d' % modseq[2])
    assert lines == [b"* SEARCH 2 (MODSEQ %d)" % modseq[2]]
    lines, _ = raw.command("h", b"SEARCH RETURN (COUNT) MODSEQ %d" % (modseq[2] + 1))
    assert lines == [b'* ESEARCH (TAG "h") COUNT 0']
    lines, tagged = raw.command("i", b"SEARCH RETURN (SAVE MIN) MODSEQ 1")
    assert lines == [b'* ESEARCH (TAG "i") MIN 1 MODSEQ %d' % modseq[1]] and tagged.startswith(b"i OK")
    lines, _ = raw.command("j", b"FETCH $ (UID)")
    assert lines == [b"* 1 FETCH (UID 1)"], "SAVE with MIN keeps only the minimum (RFC 5182 2.4)"
    raw.close()


def test_search_saved_result_over_many_messages(kurier, user):
    m = login(kurier, user)
    for n in range(1, 41):
        ok(m.append("INBOX", None, None, mail(n)))
    m.logout()
    raw = RawImap(kurier, user=user)
    raw.command("s", b"SELECT INBOX")
    _, tagged = raw.command("a", b"SEARCH RETURN (SAVE) " + b",".join(b"%d" % n for n in range(1, 41, 3)))
    assert tagged.startswith(b"a OK")
    lines, _ = raw.command("b", b"SEARCH $ 20:*")
    assert lines == [b"* SEARCH " + b" ".join(b"%d" % n for n in range(22, 41, 3))]
    lines, _ = raw.command("c", b"UID SEARCH NOT $")
    assert lines == [b"* SEARCH " + b" ".join(b"%d" % n for n in range(1, 41) if n % 3 != 1)]
    raw.close()


# ---- BINARY (RFC 3516) -----------------------------------------------------------------------

def binary_message(attachment):
    encoded = base64.encodebytes(attachment)  # 76-character lines, "\n" endings
    return (b"From: a@example.test\r\nSubject: binary\r\nMIME-Version: 1.0\r\n"
            b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n'
            b"--b\r\nContent-Type: text/plain; charset=utf-8\r\n"
            b"Content-Transfer-Encoding: quoted-printable\r\n\r\n"
            b"caf=C3=A9 with trailing blanks   \r\nsoft=\r\nbreak =3D done\r\n"
            b"--b\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n"
            + encoded.replace(b"\n", b"\r\n") +
            b"--b\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: x-uuencode\r\n\r\nbegin\r\n"
            b"--b--\r\n")


def binary_items(imap, items):
    """{item name: value}: literals as bytes, BINARY.SIZE as int."""
    data = ok(imap.fetch("1", items))
    out = {}
    for part in data:
        head = part[0] if isinstance(part, tuple) else part
        for m in re.finditer(rb"(BINARY\.SIZE\[[\d.]*\]) (\d+)", head):
            out[m.group(1).decode()] = int(m.group(2))
        if isinstance(part, tuple):
            name = re.search(rb"(BINARY\[[\d.]*\](?:<\d+>)?) ~?\{\d+\}$", part[0]).group(1).decode()
            out[name] = part[1]
    return out


def test_binary_decodes_quoted_printable_and_base64_with_their_sizes(imap):
    attachment = bytes(range(256)) * 4096 + b"\0end"  # 1 MiB and a bit, NULs included
    ok(imap.append("INBOX", None, None, binary_message(attachment)))
    ok(imap.select("INBOX"))
    got = binary_items(imap, "(BINARY.SIZE[1] BINARY.PEEK[1] BINARY.SIZE[2])")
    text = "café with trailing blanks\r\nsoftbreak = done".encode()  # the last CRLF is the boundary's
    assert got["BINARY[1]"] == text, "RFC 2045 6.7: trailing blanks of a line are transport padding"
    assert got["BINARY.SIZE[1]"] == len(text)
    assert got["BINARY.SIZE[2]"] == len(attachment)
    got = binary_items(imap, "(BINARY.PEEK[1]<3.6> BINARY.PEEK[2]<1000000.100>)")
    assert got["BINARY[1]<3>"] == text[3:9]
    assert got["BINARY[2]<1000000>"] == attachment[1000000:1000100]
    got = binary_items(imap, "(BINARY.PEEK[2])")
    assert got["BINARY[2]"] == attachment
    assert b"\\Seen" not in ok(imap.fetch("1", "(FLAGS)"))[0]
    typ, data = imap.fetch("1", "(BINARY.PEEK[3])")
    assert typ == "NO" and b"UNKNOWN-CTE" in data[-1]


def test_binary_size_of_whole_message_matches_what_binary_sends(kurier, user):
    raw = RawImap(kurier, user=user)
    body = b"Subject: bare LF\nFrom: a@example.test\n\nline one\nline two\n"
    raw.send(b"a APPEND INBOX {%d+}\r\n" % len(body) + body + b"\r\n")
    _, tagged = raw.until("a")
    assert tagged.startswith(b"a OK")
    raw.command("s", b"SELECT INBOX")
    lines, _ = raw.command("b", b"FETCH 1 (BINARY.SIZE[])")
    size = int(re.search(rb"BINARY\.SIZE\[\] (\d+)", lines[0]).group(1))
    raw.send(b"c FETCH 1 (BINARY.PEEK[])\r\n")
    head = raw.line()
    literal = int(re.search(rb"\{(\d+)\}$", head).group(1))
    data = raw.read_exact(literal)
    raw.until("c")
    assert size == literal == len(body.replace(b"\n", b"\r\n")) and data == body.replace(b"\n", b"\r\n")
    raw.close()


# ---- mailbox names and listings ---------------------------------------------------------------

ATOM_SPECIALS = b"!#$&'+,-.0123456789:;<=>?@^_`|}%*"


def test_invalid_mailbox_names_get_no_never_bad(kurier, user):
    raw = RawImap(kurier, user=user)
    # Valid IMAP syntax each, but no valid modified UTF-7 or no name the store allows.
    names = [b"bad&name", b'"&Jjo"', b'"&AGE-"', b'"a%b"', b'"a*"', b'""', b'"x//y"', b"&-&AOQ"]
    for i in range(3):  # more than limits.max_bad_commands (20) if any counted as BAD
        for n, name in enumerate(names):
            for verb in (b"SELECT", b"EXAMINE", b"CREATE", b"STATUS"):
                tag = f"t{i}{n}{verb.decode()}"
                rest = b" (MESSAGES)" if verb == b"STATUS" else b""
                _, tagged = raw.command(tag, verb + b" " + name + rest)
                assert tagged.startswith(tag.encode() + b" NO "), tagged
    _, tagged = raw.command("c", b'COPY 1 "&Jjo"')  # not selected: BAD for the state, fine
    _, tagged = raw.command("n", b"NOOP")
    assert tagged.startswith(b"n OK")
    raw.close()
    m = login(kurier, user)
    typ, data = m.select('"&Jjo"')
    assert typ == "NO" and b"[CANNOT]" in data[0]
    typ, data = m.create("bad&name")
    assert typ == "NO" and b"[CANNOT]" in data[0]
    m.logout()


def test_list_pattern_of_every_atom_special_answers_normally(kurier, user):
    """The pattern is not valid modified UTF-7 ("&'" opens no shift). It used to get BAD, which
    counts toward limits.max_bad_commands: a client retrying it was cut off with BYE. A pattern
    no mailbox name can match now simply matches nothing."""
    m = login(kurier, user)
    ok(m.create("a&-b"))
    raw = RawImap(kurier, user=user)
    for i in range(25):
        for cmd in (b'LIST "" ', b'LSUB "" ', b'LIST (SUBSCRIBED RECURSIVEMATCH) "" '):
            lines, tagged = raw.command(f"l{i}", cmd + ATOM_SPECIALS)
            assert tagged.startswith(b"l%d OK" % i) and lines == [], (lines, tagged)
    lines, tagged = raw.command("q", b'LIST "" "!#$&-\'+,-.0123456789:;<=>?@^_`|}%*"')
    assert tagged.startswith(b"q OK") and lines == []
    lines, _ = raw.command("r", b'LIST "" (' + ATOM_SPECIALS + b' a&-*)')
    assert lines == [b'* LIST (\\HasNoChildren) "/" "a&-b"']
    raw.command("e", b"ENABLE IMAP4rev2")  # UTF-8 names: "&'" is just two characters
    lines, tagged = raw.command("u", b'LIST "" ' + ATOM_SPECIALS)
    assert tagged.startswith(b"u OK") and lines == []
    typ, data = m.list('""', ATOM_SPECIALS.decode())
    assert typ == "OK" and data == [None]
    m.logout()
    raw.close()


def test_lsub_returns_unsubscribed_parent_as_noselect(imap):
    ok(imap.create("foo/bar/baz"))
    ok(imap.subscribe("foo/bar"))
    ok(imap.unsubscribe("foo"))
    # RFC 3501 6.3.9: "%" stops at "foo", which is not subscribed: foo with \Noselect.
    assert ok(imap.lsub('""', "foo")) == [b'(\\Noselect) "/" "foo"']
    assert b'(\\Noselect) "/" "foo"' in ok(imap.lsub('""', "%"))
    assert ok(imap.lsub('""', "foo/%")) == [b'() "/" "foo/bar"']
    assert ok(imap.lsub('""', "foo/*")) == [b'() "/" "foo/bar"']
    ok(imap.subscribe("foo/bar/baz"))
    ok(imap.subscribe("foo"))
    assert ok(imap.lsub('""', "foo")) == [b'() "/" "foo"']


def test_list_extended_childinfo_as_rfc5258_example_9(kurier, user, imap):
    for name in ("Foo2/Bar1", "Foo2/Bar2", "Baz2/Bar2", "Baz2/Bar22", "Baz2/Bar222", "Eps2/Mailbox1",
                 "Qux2/Bar2"):
        ok(imap.create(name))
    for name in ("Foo2/Bar1", "Foo2/Bar2", "Baz2/Bar2", "Baz2/Bar22", "Baz2/Bar222", "Eps2",
                 "Eps2/Mailbox1", "Qux2/Bar2"):
        ok(imap.subscribe(name))
    raw = RawImap(kurier, user=user)
    lines, tagged = raw.command("d", b'LIST (RECURSIVEMATCH SUBSCRIBED) "" "*2"')
    assert tagged.startswith(b"d OK")
    assert lines == [
        b'* LIST (\\HasNoChildren \\Subscribed) "/" "Baz2/Bar2"',
        b'* LIST (\\HasNoChildren \\Subscribed) "/" "Baz2/Bar22"',
        b'* LIST (\\HasNoChildren \\Subscribed) "/" "Baz2/Bar222"',
        b'* LIST (\\HasChildren \\Subscribed) "/" "Eps2" ("CHILDINFO" ("SUBSCRIBED"))',
        b'* LIST (\\HasChildren) "/" "Foo2" ("CHILDINFO" ("SUBSCRIBED"))',
        b'* LIST (\\HasNoChildren \\Subscribed) "/" "Foo2/Bar2"',
        b'* LIST (\\HasNoChildren \\Subscribed) "/" "Qux2/Bar2"']
    lines, _ = raw.command("e", b'LIST (SUBSCRIBED) "" "*2"')
    assert not any(b"CHILDINFO" in l for l in lines) and not any(b'"Foo2"' in l for l in lines)
    lines, _ = raw.command("f", b'LIST (SUBSCRIBED RECURSIVEMATCH) "" "%" RETURN (STATUS (MESSAGES))')
    assert b'* LIST (\\HasChildren) "/" "Baz2" ("CHILDINFO" ("SUBSCRIBED"))' in lines
    assert not any(l.startswith(b'* STATUS "Baz2"') for l in lines), "listed for CHILDINFO only"
    assert b'* STATUS "Eps2" (MESSAGES 0)' in lines
    raw.close()


def test_content_search_over_more_messages_than_one_batch(kurier, user):
    # SEARCH reads cached structures 1000 messages at a time; matches in every batch count.
    raw = RawImap(kurier, user=user)
    for n in range(1, 1206):
        body = mail(n, extra=b"X-Kind: %s\r\n" % (b"odd" if n % 2 else b"even"))
        raw.send(b"a%d APPEND INBOX {%d+}\r\n" % (n, len(body)) + body + b"\r\n")
    for n in range(1, 1206):
        _, tagged = raw.until(f"a{n}")
        assert tagged.startswith(b"a%d OK" % n), tagged
    raw.command("s", b"SELECT INBOX")
    lines, _ = raw.command("b", b'SEARCH SUBJECT "message 1203"')
    assert lines == [b"* SEARCH 1203"]
    lines, _ = raw.command("c", b"SEARCH RETURN (COUNT MIN MAX) HEADER X-Kind even")
    assert lines == [b'* ESEARCH (TAG "c") COUNT 602 MIN 2 MAX 1204']
    lines, _ = raw.command("d", b"UID SEARCH RETURN (ALL) OR SUBJECT \"message 7\" SUBJECT \"message 1111\" 1:20,1100:*")
    assert lines == [b'* ESEARCH (TAG "d") UID ALL 7,1111']
    raw.close()
