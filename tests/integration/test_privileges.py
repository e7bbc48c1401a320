"""`kurier serve` started as root binds its ports, hands data_dir to [server] user, and runs as
that user with no capability left; mail still flows, SIGHUP still reloads the TLS key, and the
systemd unit in dist/ sandboxes it."""
import imaplib
import os
import pwd
import shutil
import signal
import smtplib
import subprocess
import tempfile
from pathlib import Path

import pytest

from conftest import PASSWORD, ROOT, Kurier, wait_for

USER = "kurier-test"

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root, as a real start does")


@pytest.fixture
def system_user():
    try:
        return pwd.getpwnam(USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--user-group", "--no-create-home", "--shell", "/usr/sbin/nologin",
                        USER], check=True)
        return pwd.getpwnam(USER)


@pytest.fixture
def open_base():
    """A base folder the unprivileged user can reach (pytest's own tmp folders are root's, 0700)."""
    base = Path(tempfile.mkdtemp(prefix="kurier-priv-"))
    os.chmod(base, 0o755)
    yield base
    shutil.rmtree(base, ignore_errors=True)


def status_fields(pid):
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        fields[key] = value.split()
    return fields


def test_serve_drops_root_for_the_configured_user(system_user, open_base):
    k = Kurier(open_base)
    try:
        k.set_config("server", "user", f'"{USER}"')
        k.start()
        wait_for(lambda: "privileges.dropped" in k.log_text(), "the switch to the user", details=k.log_text)
        st = status_fields(k.proc.pid)
        uid, gid = str(system_user.pw_uid), str(system_user.pw_gid)
        assert st["Uid"] == [uid] * 4, st["Uid"]  # real, effective, saved, filesystem
        assert st["Gid"] == [gid] * 4, st["Gid"]
        assert st["Groups"] == [gid] or st["Groups"] == [], st["Groups"]
        assert st["CapEff"] == ["0000000000000000"] and st["CapPrm"] == ["0000000000000000"], st
        assert st["NoNewPrivs"] == ["1"]
        # Every thread switched, not only the main one (glibc's setxid is process-wide).
        for task in Path(f"/proc/{k.proc.pid}/task").iterdir():
            assert status_fields(f"{k.proc.pid}/task/{task.name}")["Uid"] == [uid] * 4
        # data_dir is the user's, and mail flows through it.
        for p in [k.dir, *k.dir.rglob("*")]:
            assert p.lstat().st_uid == system_user.pw_uid, p
        addr, _ = k.add_user()
        with smtplib.SMTP(k.host, k.port("smtp"), timeout=30) as s:
            s.sendmail("a@example.test", [addr], "Subject: as an unprivileged user\r\n\r\nhi\r\n")
        m = imaplib.IMAP4(k.host, k.port("imap"), timeout=30)
        m.login(addr, PASSWORD)
        assert m.select("INBOX")[1] == [b"1"]
        m.logout()
        # The TLS key stays readable for SIGHUP.
        k.proc.send_signal(signal.SIGHUP)
        wait_for(lambda: "reload.tls" in k.log_text() or "reload.failed" in k.log_text(), "the reload")
        assert "reload.failed" not in k.log_text()
        assert k.stop() == 0
    finally:
        if k.proc:
            k.kill9()


def test_a_missing_user_is_a_clear_error(open_base):
    k = Kurier(open_base)
    k.set_config("server", "user", '"no-such-kurier-user"')
    from conftest import KURIER_BIN
    r = subprocess.run([KURIER_BIN, "-c", str(k.config), "serve"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 1
    assert "no-such-kurier-user does not exist" in r.stdout + r.stderr


def test_systemd_unit_is_sandboxed():
    unit = (ROOT / "dist" / "kurier.service").read_text()
    settings = dict(line.split("=", 1) for line in unit.splitlines() if "=" in line and not line.startswith("#"))
    for key, value in {"NoNewPrivileges": "yes", "ProtectSystem": "strict", "ProtectHome": "yes",
                       "PrivateTmp": "yes", "PrivateDevices": "yes", "RestrictSUIDSGID": "yes"}.items():
        assert settings.get(key) == value, key
    assert "/var/lib/kurier" in settings["ReadWritePaths"]
    assert "serve" in settings["ExecStart"]
    if shutil.which("systemd-analyze"):
        r = subprocess.run(["systemd-analyze", "verify", str(ROOT / "dist" / "kurier.service")],
                           capture_output=True, text=True)
        assert "Unknown" not in r.stderr and "Invalid" not in r.stderr, r.stderr
