"""`kurier import` and `kurier export` (issue 12 parts 3b, 3c, 4) against real servers' data, with
`kurier serve` running: a Maildir a real Dovecot wrote, a spool a real Cyrus wrote, IMAP-to-IMAP
from a private Dovecot, an mbox round trip, an interrupted import resumed, an IMAP session in IDLE
told of imported mail, and bad input that is reported, never half stored."""
import imaplib
import json
import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

from conftest import KURIER_BIN, wait_for
from import_support import Cyrus, Dovecot, fetch_all, message
from imap_support import RawImap, login


@pytest.fixture
def dovecot():
    d = Dovecot()
    yield d
    d.stop()


@pytest.fixture
def cyrus():
    c = Cyrus()
    yield c
    c.stop()
    c.remove()


def run_import(kurier, *args, check=True):
    r = kurier.cli("import", *args, "--json", check=check, timeout=300)
    return json.loads(r.stdout) if r.returncode == 0 else r


def kurier_imap(kurier, user):
    return login(kurier, user)


def same_mailbox(src, dst, name_src, name_dst=None, uidvalidity=True):
    """The source's and kurier's view of a folder agree: UIDs, flags, dates, Message-IDs."""
    uv_src, want = fetch_all(src, name_src)
    uv_dst, got = fetch_all(dst, name_dst or name_src)
    if uidvalidity:
        assert uv_dst == uv_src
    assert got == want
    return got


def test_dovecot_maildir_with_flags_keywords_uids_and_dates(kurier, dovecot, tmp_path):
    u = "user1@example.test"
    dovecot.doveadm("mailbox", "create", "-u", u, "Archive/2019")
    for n in range(1, 6):
        dovecot.save(u, message(n))
    dovecot.save(u, message(9, "old one"), "Archive/2019")
    dovecot.doveadm("flags", "add", "-u", u, "\\Seen $Work Later", "mailbox", "INBOX", "uid", "1")
    dovecot.doveadm("flags", "add", "-u", u, "\\Flagged \\Answered", "mailbox", "INBOX", "uid", "2")
    dovecot.doveadm("flags", "add", "-u", u, "\\Draft $Label3", "mailbox", "Archive/2019", "uid", "1")
    # An expunged last message: the next UID is above every UID still listed.
    dovecot.doveadm("expunge", "-u", u, "mailbox", "INBOX", "uid", "5")
    dovecot.doveadm("mailbox", "subscribe", "-u", u, "Archive/2019")
    assert (dovecot.maildir(u) / "dovecot-uidlist").exists()
    assert (dovecot.maildir(u) / "dovecot-keywords").exists()

    to, _ = kurier.add_user()
    report = run_import(kurier, "maildir", str(dovecot.maildir(u)), "--to", to)
    assert report["imported"] == 5, report
    assert report["skipped"] == [], report

    src, dst = dovecot.imap(u), kurier_imap(kurier, (to, _))
    got = same_mailbox(src, dst, "INBOX")
    assert got[1][0] == {"\\Seen", "$Work", "Later"}
    assert got[2][0] == {"\\Flagged", "\\Answered"}
    same_mailbox(src, dst, "Archive/2019")
    # UIDNEXT continues after the source's, so UID 5 (seen by Dovecot's clients) is never reused.
    typ, data = dst.status("INBOX", "(UIDNEXT)")
    assert b"UIDNEXT 6" in data[0], data
    typ, data = dst.lsub('""', '*')
    assert any(b"Archive/2019" in line for line in data), data

    again = run_import(kurier, "maildir", str(dovecot.maildir(u)), "--to", to)
    assert again["imported"] == 0 and again["already_imported"] == 5, again
    assert len(fetch_all(dst, "INBOX")[1]) == 4


def test_cyrus_spool_with_flags_uids_and_dates(kurier, cyrus):
    try:
        cyrus.create_user("bob", ["Archive", "Archive/2019", "Projects"])
        m = cyrus.imap("bob")
        for n in range(1, 5):
            typ, data = m.append("INBOX", "(\\Seen $Work)" if n == 1 else None,
                                 imaplib.Time2Internaldate(1704362400 + n * 3600), message(n))
            assert typ == "OK", data
        m.append("INBOX/Archive/2019", "(\\Flagged Later)", imaplib.Time2Internaldate(1600000000), message(20))
        m.select("INBOX")
        m.store("2", "+FLAGS", "(\\Answered \\Deleted Project-X)")
        m.store("4", "+FLAGS", "(\\Deleted)")
        m.uid("EXPUNGE", "4")  # UID 4 gone: Cyrus keeps its record, flagged expunged
        src_inbox = fetch_all(m, "INBOX")
        src_archive = fetch_all(m, "INBOX/Archive/2019")
        for name in ("INBOX", "INBOX/Archive/2019"):  # Projects stays unsubscribed
            assert m.subscribe(name)[0] == "OK"
        m.logout()
    finally:
        cyrus.stop()

    to, pw = kurier.add_user()
    report = run_import(kurier, "cyrus", str(cyrus.spool("bob")), "--to", to,
                        "--subscriptions", str(cyrus.subscriptions_file("bob")))
    assert report["imported"] == 4, report
    dst = kurier_imap(kurier, (to, pw))
    assert fetch_all(dst, "INBOX") == src_inbox
    assert fetch_all(dst, "Archive/2019") == src_archive
    assert src_inbox[1][2][0] == {"\\Answered", "\\Deleted", "Project-X"}
    subscribed = lsub_names(dst)
    assert {"INBOX", "Archive/2019"} <= subscribed and "Projects" not in subscribed, subscribed
    assert dst.list('""', "Projects")[1][0] is not None  # imported, only not subscribed


def lsub_names(m):
    typ, lines = m.lsub()
    assert typ == "OK", lines
    return {line.decode().rsplit(" ", 1)[1].strip('"') for line in lines}


def test_imap_to_imap_from_dovecot(kurier, dovecot):
    u = "user2@example.test"
    dovecot.doveadm("mailbox", "create", "-u", u, "Projects/Kurier")
    for n in range(1, 8):
        dovecot.save(u, message(n), "INBOX" if n < 5 else "Projects/Kurier")
    dovecot.doveadm("flags", "add", "-u", u, "\\Seen $Important", "mailbox", "INBOX", "uid", "2:3")
    dovecot.doveadm("mailbox", "subscribe", "-u", u, "Projects/Kurier")
    to, pw = kurier.add_user()
    pwfile = dovecot.dir / "source-password"
    pwfile.write_text("pass\n")
    report = run_import(kurier, "imap", "--host", "127.0.0.1", "--port", str(dovecot.port), "--user", u,
                        "--password-file", str(pwfile), "--to", to)
    assert report["imported"] == 7, report
    src, dst = dovecot.imap(u), kurier_imap(kurier, (to, pw))
    same_mailbox(src, dst, "INBOX")
    same_mailbox(src, dst, "Projects/Kurier")
    # Bodies arrive byte for byte.
    src.select("INBOX", readonly=True)
    dst.select("INBOX", readonly=True)
    assert src.uid("FETCH", "2", "(BODY.PEEK[])")[1][0][1] == dst.uid("FETCH", "2", "(BODY.PEEK[])")[1][0][1]
    assert any(b"Projects/Kurier" in line for line in dst.lsub('""', '*')[1])
    again = run_import(kurier, "imap", "--host", "127.0.0.1", "--port", str(dovecot.port), "--user", u,
                       "--password-file", str(pwfile), "--to", to)
    assert again["imported"] == 0 and again["already_imported"] == 7, again


def test_mbox_round_trip(kurier, tmp_path):
    a = kurier.add_user()
    m = kurier_imap(kurier, a)
    m.create("Lists/Work")
    bodies = {}
    for n in range(1, 6):
        body = message(n, extra=b">From quoted already\r\nFrom again\r\n\r\n")
        box = "INBOX" if n <= 3 else "Lists/Work"
        flags = {1: "(\\Seen)", 2: "(\\Answered \\Flagged $Work)", 4: "(\\Draft Later)"}.get(n)
        typ, data = m.append(box, flags, imaplib.Time2Internaldate(1700000000 + n * 86400), body)
        assert typ == "OK", data
        bodies[body] = box
    out = tmp_path / "export"
    r = json.loads(kurier.cli("export", "mbox", a[0], str(out), "--json").stdout)
    assert r["messages"] == 5, r
    assert (out / "INBOX.mbox").exists() and (out / "Lists" / "Work.mbox").exists()

    b = kurier.add_user()
    run_import(kurier, "mbox", str(out / "INBOX.mbox"), "--to", b[0])
    run_import(kurier, "mbox", str(out / "Lists" / "Work.mbox"), "--to", b[0], "--folder", "Lists/Work")
    n = kurier_imap(kurier, b)
    for box in ("INBOX", "Lists/Work"):
        _, want = fetch_all(m, box)
        _, got = fetch_all(n, box)
        assert sorted(got.values(), key=str) == sorted(want.values(), key=str)
        n.select(box, readonly=True)
        typ, data = n.uid("FETCH", "1:*", "(BODY.PEEK[])")
        got_bodies = [item[1] for item in data if isinstance(item, tuple)]
        assert sorted(got_bodies) == sorted(b for b, where in bodies.items() if where == box)


def test_idle_session_is_told_of_imported_mail(kurier, tmp_path):
    """The import runs in another process: the server learns of it through the store's change
    journal and an IMAP session in IDLE gets EXISTS without sending anything."""
    user = kurier.add_user()
    m = kurier_imap(kurier, user)
    m.append("INBOX", None, None, message(1))
    m.select("INBOX")
    tag = m._new_tag().decode()
    m.send(f"{tag} IDLE\r\n".encode())
    assert m.readline().startswith(b"+")
    mbox = tmp_path / "new.mbox"
    mbox.write_bytes(b"".join(b"From x@example.org Thu Jan  4 10:00:00 2024\n" + message(n).replace(b"\r\n", b"\n") + b"\n"
                              for n in range(2, 5)))
    run_import(kurier, "mbox", str(mbox), "--to", user[0])
    m.sock.settimeout(30)
    seen = b""
    while b"4 EXISTS" not in seen:
        line = m.readline()
        assert line, "connection closed"
        seen += line
    m.send(b"DONE\r\n")
    while not m.readline().startswith(tag.encode()):
        pass


def make_maildir(root: Path, count):
    for sub in ("cur", "new", "tmp"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    for n in range(count):
        (root / "cur" / f"17000{n:05}.M{n}P1.gen,S=100:2,S").write_bytes(message(n).replace(b"\r\n", b"\n"))


def test_interrupted_import_resumes_without_duplicates(kurier, tmp_path):
    src = tmp_path / "Maildir"
    total = 6000
    make_maildir(src, total)
    user = kurier.add_user()
    m = kurier_imap(kurier, user)
    proc = subprocess.Popen([KURIER_BIN, "-c", str(kurier.config), "import", "maildir", str(src), "--to", user[0]],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def some_imported():
        typ, data = m.status("INBOX", "(MESSAGES)")
        return int(data[0].split(b"MESSAGES ")[1].rstrip(b")")) > 0

    wait_for(some_imported, "the first batch to commit", timeout=120)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    partial = int(m.status("INBOX", "(MESSAGES)")[1][0].split(b"MESSAGES ")[1].rstrip(b")"))
    assert 0 < partial < total, partial
    report = run_import(kurier, "maildir", str(src), "--to", user[0])
    assert report["already_imported"] == partial and report["imported"] == total - partial, report
    _, got = fetch_all(m, "INBOX")
    ids = [v[2] for v in got.values()]
    assert len(ids) == total and len(set(ids)) == total


def test_a_session_that_selects_right_after_an_import_keeps_its_mailbox(kurier, tmp_path):
    """An import gives the empty INBOX its source's UIDVALIDITY and journals a reset, which the
    server publishes up to 200 ms later. A session that had the old INBOX selected is ended with
    BYE; one that selected within that window already sees the new UIDVALIDITY, and the late
    reset must not end it too (seen in CI as "The selected mailbox was deleted"). Several rounds,
    each selecting at once after the import, so the window is hit."""
    for round_ in range(6):
        src = tmp_path / f"Maildir{round_}"
        make_maildir(src, 2)
        names = sorted(p.name.split(":")[0] for p in (src / "cur").iterdir())
        uidvalidity = 1600000000 + round_
        (src / "dovecot-uidlist").write_text(f"3 V{uidvalidity} N3\n" +
                                             "".join(f"{n + 1} :{name}\n" for n, name in enumerate(names)))
        user = kurier.add_user()
        before = RawImap(kurier, user=user)
        assert before.command("s", b"SELECT INBOX")[1].startswith(b"s OK")
        m = kurier_imap(kurier, user)  # logged in before, so SELECT follows the import at once
        assert run_import(kurier, "maildir", str(src), "--to", user[0])["imported"] == 2
        typ, _ = m.select("INBOX")
        assert typ == "OK"
        assert int(m.untagged_responses["UIDVALIDITY"][-1]) == uidvalidity

        def reset_published():  # the session that knew the old UIDVALIDITY is told BYE
            before.send(b"n NOOP\r\n")
            while True:
                line = before.line()
                if line.startswith(b"* BYE"):
                    return True
                if line.startswith(b"n "):
                    return False

        wait_for(reset_published, "the import's reset to reach the older session", timeout=10)
        typ, data = m.uid("FETCH", "1:*", "(UID FLAGS)")
        assert typ == "OK" and len([d for d in data if d]) == 2, data
        m.logout()


def test_garbage_uidlist_is_reported_and_mail_still_imported(kurier, tmp_path):
    src = tmp_path / "Maildir"
    make_maildir(src, 3)
    (src / "dovecot-uidlist").write_bytes(b"\x00\x01 not a uidlist\n1 :x\n")
    user = kurier.add_user()
    report = run_import(kurier, "maildir", str(src), "--to", user[0])
    assert report["imported"] == 3
    assert any("dovecot-uidlist" in w for w in report["warnings"]), report


def test_broken_mbox_stores_nothing(kurier, tmp_path):
    user = kurier.add_user()
    bad = tmp_path / "bad.mbox"
    bad.write_bytes(os.urandom(4096))
    r = run_import(kurier, "mbox", str(bad), "--to", user[0], check=False)
    assert r.returncode == 1
    assert "not an mbox" in r.stderr and r.stderr.count("\n") == 1, r.stderr
    m = kurier_imap(kurier, user)
    assert b"MESSAGES 0" in m.status("INBOX", "(MESSAGES)")[1][0]


def test_truncated_cyrus_index_keeps_the_rest(kurier, cyrus, tmp_path):
    """A cyrus.index cut short: the records it still has keep their flags, the other message files
    are imported without flags, and the report says so."""
    try:
        cyrus.create_user("ann")
        m = cyrus.imap("ann")
        for n in range(1, 4):
            m.append("INBOX", "(\\Flagged)", imaplib.Time2Internaldate(1704362400 + n), message(n))
        m.logout()
    finally:
        cyrus.stop()
    spool = tmp_path / "copy"
    shutil.copytree(cyrus.spool("ann"), spool)
    index = (spool / "cyrus.index").read_bytes()
    (spool / "cyrus.index").write_bytes(index[:-60])  # the last record cut in half
    user = kurier.add_user()
    report = run_import(kurier, "cyrus", str(spool), "--to", user[0])
    assert report["imported"] == 3, report
    assert any("truncated" in w for w in report["warnings"]), report
    _, got = fetch_all(kurier_imap(kurier, user), "INBOX")
    assert [got[u][0] for u in sorted(got)] == [{"\\Flagged"}, {"\\Flagged"}, set()]
    (spool / "cyrus.index").write_bytes(index[:20])  # not even a header
    other = kurier.add_user()
    report = run_import(kurier, "cyrus", str(spool), "--to", other[0])
    assert report["imported"] == 3 and any("truncated" in w for w in report["warnings"]), report


def test_export_maildir_is_read_by_dovecot(kurier, dovecot, tmp_path):
    a = kurier.add_user()
    m = kurier_imap(kurier, a)
    m.create("Sent/2024")
    m.append("INBOX", "(\\Seen $Work)", imaplib.Time2Internaldate(1700000000), message(1))
    m.append("INBOX", "(\\Answered \\Flagged)", imaplib.Time2Internaldate(1700003600), message(2))
    m.append("Sent/2024", "(\\Seen Later)", imaplib.Time2Internaldate(1700007200), message(3))
    m.subscribe("Sent/2024")
    target = dovecot.maildir("user3@example.test")
    r = json.loads(kurier.cli("export", "maildir", a[0], str(target), "--json").stdout)
    assert r["messages"] == 3
    subprocess.run(["chown", "-R", f"{dovecot.uid}:{dovecot.gid}", str(target.parent)], check=True)
    src = dovecot.imap("user3@example.test")
    same_mailbox(m, src, "INBOX")
    same_mailbox(m, src, "Sent/2024")
    assert any(b"Sent/2024" in line for line in src.lsub('""', '*')[1])


def test_pop3_uidls_of_the_source_are_kept(kurier, tmp_path):
    """dovecot-uidlist's P field (a UIDL Dovecot kept from an older server) is what POP3 clients
    see after the import; other messages get the UIDL derived from UIDVALIDITY and UID."""
    import poplib
    src = tmp_path / "Maildir"
    make_maildir(src, 3)
    names = sorted(p.name.split(":")[0] for p in (src / "cur").iterdir())
    (src / "dovecot-uidlist").write_text(
        "3 V1234567 N10\n" + f"4 P-old-uidl-four :{names[0]}\n" + f"6 :{names[1]}\n" + f"8 POLD8 W99 :{names[2]}\n")
    user = kurier.add_user()
    report = run_import(kurier, "maildir", str(src), "--to", user[0])
    assert report["imported"] == 3, report
    p = poplib.POP3("127.0.0.1", kurier.port("pop3"))
    p.user(user[0])
    p.pass_(user[1])
    uidls = [line.split()[1].decode() for line in p.uidl()[1]]
    p.quit()
    assert uidls == ["-old-uidl-four", f"{6:08x}{1234567:08x}", "OLD8"]


def same_size_maildir(root: Path, count, body_bytes=1000):
    """count messages of exactly the same stored size (CRLF line ends), in name order."""
    for sub in ("cur", "new", "tmp"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    for n in range(count):
        text = f"Subject: quota {n:03}\nMessage-ID: <q{n:03}@import.test>\n\n" + "x" * body_bytes + "\n"
        (root / "cur" / f"17100{n:05}.M{n}P1.gen:2,").write_bytes(text.encode())
    return len(text.replace("\n", "\r\n"))


def test_an_import_stops_before_the_quota_unless_told_to_ignore_it(kurier, tmp_path):
    src = tmp_path / "Maildir"
    size = same_size_maildir(src, 10)
    quota = 4 * size + size // 2  # four fit, the fifth would not
    user = kurier.add_user(None, "password-1", "--quota", str(quota))

    r = run_import(kurier, "maildir", str(src), "--to", user[0], check=False)
    assert r.returncode == 1 and "quota" in r.stderr, r.stderr
    report = json.loads(r.stdout)
    assert report["imported"] == 4 and report["stopped"] == "over quota" and report["quota"] == quota, report
    assert [s["reason"] for s in report["skipped"]] == ["over quota"], report
    m = kurier_imap(kurier, user)
    assert m.status("INBOX", "(MESSAGES)")[1][0].endswith(b"(MESSAGES 4)")

    # Run again: nothing more fits, nothing is imported twice.
    r = run_import(kurier, "maildir", str(src), "--to", user[0], check=False)
    again = json.loads(r.stdout)
    assert r.returncode == 1 and again["imported"] == 0 and again["already_imported"] == 4, again

    # --ignore-quota: the rest goes in, past the quota, as asked.
    past = run_import(kurier, "maildir", str(src), "--to", user[0], "--ignore-quota")
    assert past["imported"] == 6 and past["stopped"] is None and past["quota_ignored"] is True, past
    assert not past["skipped"], past
    assert m.status("INBOX", "(MESSAGES)")[1][0].endswith(b"(MESSAGES 10)")

    # Text output says why it stopped, too.
    other = kurier.add_user(None, "password-1", "--quota", str(size))
    r = kurier.cli("import", "maildir", str(src), "--to", other[0], check=False)
    assert r.returncode == 1 and "over quota" in r.stdout and "stopped" in r.stdout, (r.stdout, r.stderr)
