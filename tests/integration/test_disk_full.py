"""A full disk (a small tmpfs made by the test) answers 4xx to SMTP and LMTP and a tagged NO to
IMAP APPEND, stores nothing half, and service resumes when space returns."""
import imaplib
import os
import smtplib
import subprocess

import pytest

from conftest import PASSWORD, Kurier
from test_faults import integrity_ok, msg, subjects


@pytest.fixture
def small_disk(tmp_path):
    """A 48 MiB tmpfs at tmp_path/data, so kurier's data dir can run out of space."""
    mnt = tmp_path / "data"
    mnt.mkdir()
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=48m", "tmpfs", str(mnt)], capture_output=True, text=True)
    if r.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {r.stderr.strip()}")
    yield mnt
    subprocess.run(["umount", "-l", str(mnt)])


def fill_disk(mnt, leave_bytes):
    filler = mnt / "filler"
    st = os.statvfs(mnt)
    free = st.f_bavail * st.f_frsize
    with open(filler, "wb") as f:
        remaining = max(0, free - leave_bytes)
        chunk = b"\0" * (1 << 20)
        while remaining > 0:
            n = min(remaining, len(chunk))
            try:
                f.write(chunk[:n])
            except OSError:
                break
            remaining -= n
    return filler


def test_disk_full_answers_temporary_errors_and_resumes(tmp_path, small_disk):
    k = Kurier(tmp_path)
    try:
        k.start()
        addr, _ = k.add_user()
        with smtplib.SMTP(k.host, k.port("smtp"), timeout=30) as s:
            s.sendmail("a@example.test", [addr], msg("before-full"))
        filler = fill_disk(small_disk, 64 * 1024)
        big = msg("while-full") + ("y" * 998 + "\r\n") * 1024  # ~1 MiB: cannot fit
        with smtplib.SMTP(k.host, k.port("smtp"), timeout=30) as s:
            with pytest.raises(smtplib.SMTPDataError) as e:
                s.sendmail("a@example.test", [addr], big)
            assert 400 <= e.value.smtp_code < 500, e.value
        with smtplib.LMTP(k.host, k.port("lmtp"), timeout=30) as s:
            with pytest.raises((smtplib.SMTPDataError, smtplib.SMTPRecipientsRefused)) as e:
                s.sendmail("a@example.test", [addr], big)
            code = e.value.smtp_code if isinstance(e.value, smtplib.SMTPDataError) else \
                list(e.value.recipients.values())[0][0]
            assert 400 <= code < 500, e.value
        m = imaplib.IMAP4(k.host, k.port("imap"), timeout=30)
        m.login(addr, PASSWORD)
        typ, data = m.append("INBOX", None, None, big.encode())
        assert typ == "NO", (typ, data)
        m.logout()
        assert subjects(k, addr, "INBOX") == {"before-full"}  # nothing half-stored
        filler.unlink()
        with smtplib.SMTP(k.host, k.port("smtp"), timeout=30) as s:
            s.sendmail("a@example.test", [addr], big.replace("while-full", "after-space"))
        assert subjects(k, addr, "INBOX") == {"before-full", "after-space"}
        assert k.stop() == 0
        assert integrity_ok(k.dir / "store.db")
    finally:
        if k.proc:
            k.kill9()


