"""Real IMAP clients nobody here wrote, against a real `kurier serve`: mbsync (isync) syncing
1,000 messages both ways, twice, with nothing to do the second time; curl fetching a message."""
import os
import re
import shutil
import subprocess

import pytest

from imap_support import login, message, ok

MBSYNC = shutil.which("mbsync")
CURL = shutil.which("curl")


def maildir_files(root):
    out = {}
    for dirpath, _, files in os.walk(root):
        for f in files:
            if "/cur" in dirpath or "/new" in dirpath:
                out[os.path.join(dirpath, f)] = os.path.getsize(os.path.join(dirpath, f))
    return out


def write_maildir_message(folder, n, data, flags=""):
    for sub in ("cur", "new", "tmp"):
        os.makedirs(os.path.join(folder, sub), exist_ok=True)
    name = f"1700000000.{n}_{os.getpid()}.localhost:2,{flags}"
    with open(os.path.join(folder, "cur", name), "wb") as f:
        f.write(data)


@pytest.mark.slow
@pytest.mark.skipif(not MBSYNC, reason="mbsync (isync) is not installed")
def test_mbsync_two_way_sync_of_1000_messages(kurier, tmp_path):
    addr, password = kurier.add_user()
    # 500 messages on the server, 500 in the local Maildir.
    m = login(kurier, (addr, password))
    for i in range(500):
        ok(m.append("INBOX", "\\Seen" if i % 3 == 0 else None, None, message(i, body=f"server side {i}")))
    ok(m.create("Projects"))
    for i in range(20):
        ok(m.append("Projects", None, None, message(1000 + i)))
    local = tmp_path / "mail"
    for i in range(480):
        write_maildir_message(str(local / "INBOX"), i, message(5000 + i, body=f"local side {i}"), "F" if i % 5 == 0 else "")
    for i in range(20):
        write_maildir_message(str(local / "Local-Only"), i, message(9000 + i))
    config = tmp_path / "mbsyncrc"
    config.write_text(f"""
IMAPAccount kurier
Host 127.0.0.1
Port {kurier.port("imap")}
User {addr}
Pass {password}
SSLType None
AuthMechs LOGIN
PipelineDepth 50

IMAPStore remote
Account kurier

MaildirStore local
Path {local}/
Inbox {local}/INBOX
SubFolders Verbatim

Channel everything
Far :remote:
Near :local:
Patterns *
Create Both
Expunge Both
SyncState *
""")

    def run():
        r = subprocess.run([MBSYNC, "-c", str(config), "-a"], capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, r.stdout + r.stderr + kurier.log_text()[-3000:]
        return r

    run()
    ok(m.select("INBOX"))
    assert ok(m.status("INBOX", "(MESSAGES)"))[0].endswith(b"(MESSAGES 980)")
    assert ok(m.status("Local-Only", "(MESSAGES)"))[0].endswith(b"(MESSAGES 20)")
    assert len([f for f in maildir_files(local / "INBOX")]) == 980
    assert len(maildir_files(local / "Projects")) == 20
    # Flags travelled both ways.
    seen = ok(m.search(None, "SEEN"))[0].split()
    flagged = ok(m.search(None, "FLAGGED"))[0].split()
    assert len(seen) == 167 and len(flagged) == 96
    # Bodies arrived intact.
    got = ok(m.search(None, "BODY", '"local side 77"'))[0].split()
    assert len(got) == 1
    fetched = ok(m.fetch(got[0], "(BODY.PEEK[])"))[0][1]
    # mbsync adds its own X-TUID header while uploading; everything else is byte-identical.
    fetched = re.sub(rb"X-TUID: [^\r\n]*\r\n", b"", fetched)
    assert fetched == message(5077, body="local side 77")

    before_files = maildir_files(local)
    before_status = {box: ok(m.status(box, "(MESSAGES UIDNEXT HIGHESTMODSEQ)"))[0]
                     for box in ("INBOX", "Projects", "Local-Only")}
    r = run()
    assert maildir_files(local) == before_files, "second run changed the Maildir"
    after_status = {box: ok(m.status(box, "(MESSAGES UIDNEXT HIGHESTMODSEQ)"))[0]
                    for box in ("INBOX", "Projects", "Local-Only")}
    assert after_status == before_status, "second run changed the server"
    m.logout()


@pytest.mark.skipif(not CURL, reason="curl is not installed")
def test_curl_fetches_a_message(kurier):
    addr, password = kurier.add_user()
    m = login(kurier, (addr, password))
    ok(m.append("INBOX", None, None, message(1, body="fetched by curl")))
    ok(m.append("INBOX", None, None, message(2)))
    m.logout()
    url = f"imap://127.0.0.1:{kurier.port('imap')}/INBOX;UID=1"
    r = subprocess.run([CURL, "-sS", "--max-time", "30", "-u", f"{addr}:{password}", url],
                       capture_output=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout == message(1, body="fetched by curl")
    # Listing the mailbox, and STARTTLS with the server's certificate.
    r = subprocess.run([CURL, "-sS", "--max-time", "30", "--ssl-reqd", "--cacert", str(kurier.cert), "-k",
                        "-u", f"{addr}:{password}", f"imap://127.0.0.1:{kurier.port('imap')}/"],
                       capture_output=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert re.search(rb'\* LIST \(.*\) "/" "?INBOX"?', r.stdout), r.stdout
    r = subprocess.run([CURL, "-sS", "--max-time", "30", "-k", "-u", f"{addr}:{password}",
                        f"imaps://127.0.0.1:{kurier.port('imaps')}/INBOX;UID=2"], capture_output=True, timeout=60)
    assert r.returncode == 0 and r.stdout == message(2), r.stderr
