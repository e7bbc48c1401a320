"""A private Debian Postfix instance for integration tests: its own configuration, queue, data and
log folders under one temp folder, an smtpd on a free loopback port, started and stopped by the
test. Each test file adds what its Postfix must do (deliver over LMTP, be a remote MX, relay into
kurier) as main.cf/master.cf extras; nothing else differs between instances.

    with private_postfix(main_cf={"relayhost": "[127.0.0.1]:2525"}) as pf:
        smtplib.SMTP("127.0.0.1", pf.port) ...
        pf.wait_for_log("status=sent")

Needs root (Postfix's master runs as root and drops to the postfix user) and the postfix package;
`require_postfix()` skips the test otherwise. The instance is stopped and its folder removed even
when the test fails.
"""
import contextlib
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from conftest import free_port, port_answers, wait_for

# The services a private instance needs; {smtp} is the loopback port of its smtpd.
MASTER_CF = """\
127.0.0.1:{smtp} inet n - n - - smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
lmtp      unix  -       -       n       -       -       lmtp
virtual   unix  -       n       n       -       -       virtual
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
postlog   unix-dgram n  -       n       -       1       postlogd
"""

# Settings every instance shares: loopback only, no local delivery, its own log file. {dir} is the
# instance's folder.
BASE_MAIN_CF = {
    "compatibility_level": "3.6",
    "queue_directory": "{dir}/spool",
    "data_directory": "{dir}/data",
    "myhostname": "postfix.localhost",
    "mydestination": "",
    "inet_interfaces": "127.0.0.1",
    "inet_protocols": "ipv4",
    "mynetworks": "127.0.0.0/8",
    "alias_maps": "",
    "alias_database": "",
    "smtpd_recipient_restrictions": "permit_mynetworks, reject_unauth_destination",
    "maillog_file_prefixes": "{dir}",
    "maillog_file": "{dir}/postfix.log",
}

START_TIMEOUT = 30
STOP_TIMEOUT = 30


def require_postfix():
    if not shutil.which("postfix") or os.geteuid() != 0:
        pytest.skip("needs Debian's postfix and root to run a private instance")


class PrivatePostfix:
    """One instance's folders and settings; see private_postfix() for its lifetime."""

    def __init__(self, base: Path, main_cf: dict, master_cf: str, files: dict, owned_dirs=(), tls=False):
        self.dir = base
        self.conf = base / "conf"
        self.log = base / "postfix.log"
        self.port = free_port()
        for sub in ("conf", "spool"):
            (base / sub).mkdir(parents=True)
        for sub in ("data", *owned_dirs):
            (base / sub).mkdir(parents=True)
            shutil.chown(base / sub, "postfix", "postfix")
        for name, text in files.items():  # lookup tables (texthash:) and the like
            (self.conf / name).write_text(text.format(dir=base))
        settings = {**BASE_MAIN_CF, **(self._server_tls() if tls else {}), **main_cf}
        (self.conf / "main.cf").write_text(
            "".join(f"{key} = {str(value).format(dir=base)}\n" for key, value in settings.items()))
        (self.conf / "master.cf").write_text(MASTER_CF.format(smtp=self.port) + master_cf)

    def _server_tls(self):
        """A fresh self-signed certificate for smtpd's STARTTLS (RFC 3207); smtpd reads the key
        while it is still root."""
        cert, key = self.conf / "cert.pem", self.conf / "key.pem"
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                        "-nodes", "-days", "2", "-subj", "/CN=postfix.localhost", "-keyout", str(key),
                        "-out", str(cert)], check=True, capture_output=True, timeout=60)
        return {"smtpd_tls_security_level": "may", "smtpd_tls_chain_files": f"{key}, {cert}",
                "smtpd_tls_loglevel": "1"}

    def postfix(self, *args, timeout=60):
        return subprocess.run(["postfix", "-c", str(self.conf), *args], capture_output=True, text=True,
                              timeout=timeout)

    def log_text(self):
        try:
            return self.log.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def start(self):
        started = self.postfix("start")
        assert started.returncode == 0, started.stderr + self.log_text()
        wait_for(lambda: port_answers("127.0.0.1", self.port), "Postfix's smtpd to answer", timeout=START_TIMEOUT,
                 details=lambda: self.log_text()[-3000:])

    def stop(self):
        """`postfix stop` (waits for the master, kills it after 5 s), then waits until no process of
        this instance is left, so removing the folder races with nobody."""
        self.postfix("stop", timeout=STOP_TIMEOUT)
        deadline = time.monotonic() + STOP_TIMEOUT
        while self._processes() and time.monotonic() < deadline:
            time.sleep(0.1)

    def _processes(self):
        """Pids of this instance's daemons: master passes MAIL_CONFIG=<conf> to every child."""
        marker = f"MAIL_CONFIG={self.conf}".encode()
        pids = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    if marker in (entry / "environ").read_bytes().split(b"\0"):
                        pids.append(int(entry.name))
                except OSError:
                    pass  # gone, or not ours to read
        return pids

    def wait_for_log(self, pattern, timeout=60, count=1):
        """Waits until the log has `count` lines matching the regex `pattern`; returns them."""
        regex = re.compile(pattern)

        def matching():
            lines = [line for line in self.log_text().splitlines() if regex.search(line)]
            return lines if len(lines) >= count else None

        return wait_for(matching, f"{count} log line(s) /{pattern}/ from Postfix", timeout=timeout, interval=0.2,
                        details=lambda: self.log_text()[-3000:])

    def queue(self):
        """The messages in this instance's queue, as `postqueue -j` describes them."""
        r = subprocess.run(["postqueue", "-c", str(self.conf), "-j"], capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, r.stderr
        return [json.loads(line) for line in r.stdout.splitlines() if line.strip()]


@contextlib.contextmanager
def private_postfix(main_cf=None, master_cf="", files=None, owned_dirs=(), tls=False):
    """Runs a private Postfix for the duration of the `with` block. main_cf overrides or adds to
    BASE_MAIN_CF, master_cf is appended to MASTER_CF, files are written into the configuration
    folder, owned_dirs are folders (under the instance's) owned by the postfix user, e.g. for
    mailboxes; tls=True lets smtpd offer STARTTLS with a self-signed certificate. "{dir}" in
    main_cf values and files is the instance's folder."""
    require_postfix()
    # Not under pytest's tmp_path (0700): Postfix's unprivileged processes must be able to reach it.
    base = Path(tempfile.mkdtemp(prefix="kurier-postfix-"))
    try:
        base.chmod(0o755)
        instance = PrivatePostfix(base, main_cf or {}, master_cf, files or {}, owned_dirs, tls)
        try:
            instance.start()
            yield instance
        finally:
            instance.stop()
    finally:
        shutil.rmtree(base, ignore_errors=True)
