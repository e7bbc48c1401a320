"""Real servers whose mail `kurier import` reads: a private Dovecot 2.3 (Debian's dovecot-imapd) and
a private Cyrus IMAP 3.6 (Debian's cyrus-imapd), each on free loopback ports in a temporary
directory, stopped at the end.

Debian's dovecot-imapd and cyrus-imapd conflict (both provide imap-server), so only
dovecot-imapd is installed (scripts/install-deps.sh); Cyrus' master, lmtpd and ctl_cyrusdb come
with cyrus-common, and its imapd binary is taken out of the cyrus-imapd package without
installing it (`apt-get download` + `dpkg-deb -x`, cached under /var/tmp/kurier-test-cache)."""
import glob
import imaplib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from conftest import free_port, port_answers, wait_for

DOVECOT_PASSWORD = "pass"
CYRUS_BIN = "/usr/lib/cyrus/bin"
# Where cyrus' imapd is unpacked: reachable by the cyrus user (a home directory is not).
CACHE = Path(os.environ.get("KURIER_TEST_CACHE", "/var/tmp/kurier-test-cache"))

DOVECOT_CONF = """\
base_dir = {dir}/run
state_dir = {dir}/state
log_path = {dir}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:~/Maildir
mail_uid = {uid}
mail_gid = {gid}
first_valid_uid = 1
namespace inbox {{
  inbox = yes
  separator = /
}}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {dir}/users
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {dir}/users
}}
service imap-login {{
  inet_listener imap {{
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
"""


class Dovecot:
    """A private Dovecot with users user1..userN@example.test (password "pass"), Maildir++."""

    def __init__(self, users=3):
        self.base = service_dir()
        base = self.base
        self.dir = base / "dovecot"
        self.dir.mkdir(parents=True)
        self.port = free_port()
        mail = pwd.getpwnam("mail")
        self.uid, self.gid = mail.pw_uid, mail.pw_gid
        (self.dir / "mail").mkdir()
        os.chown(self.dir / "mail", self.uid, self.gid)
        os.chmod(base, 0o755)
        os.chmod(self.dir, 0o755)
        with open(self.dir / "users", "w") as f:
            for i in range(1, users + 1):
                f.write(f"user{i}@example.test:{{PLAIN}}{DOVECOT_PASSWORD}:{self.uid}:{self.gid}::"
                        f"{self.dir}/mail/user{i}::\n")
        self.conf = self.dir / "dovecot.conf"
        self.conf.write_text(DOVECOT_CONF.format(dir=self.dir, uid=self.uid, gid=self.gid, port=self.port))
        # The daemon keeps its stdout: never a pipe the test would wait on.
        with open(self.dir / "start.log", "wb") as log:
            subprocess.run(["dovecot", "-c", str(self.conf)], check=True, stdin=subprocess.DEVNULL,
                           stdout=log, stderr=log)
        wait_for(lambda: port_answers("127.0.0.1", self.port), "Dovecot to answer", timeout=20)

    def maildir(self, user):
        return self.dir / "mail" / user.split("@")[0] / "Maildir"

    def doveadm(self, *args, input=None):
        r = subprocess.run(["doveadm", "-c", str(self.conf)] + list(args), input=input, capture_output=True)
        assert r.returncode == 0, f"doveadm {args}: {r.stderr.decode()}"
        return r.stdout.decode()

    def save(self, user, message: bytes, mailbox="INBOX"):
        self.doveadm("save", "-u", user, "-m", mailbox, input=message)

    def imap(self, user):
        m = imaplib.IMAP4("127.0.0.1", self.port)
        m.login(user, DOVECOT_PASSWORD)
        return m

    def stop(self):
        subprocess.run(["doveadm", "-c", str(self.conf), "stop"], capture_output=True)
        wait_for(lambda: not port_answers("127.0.0.1", self.port), "Dovecot to stop", timeout=20)
        shutil.rmtree(self.base, ignore_errors=True)


CYRUS_IMAPD_CONF = """\
configdirectory: {dir}/config
proc_path: {dir}/run/proc
mboxname_lockpath: {dir}/run/lock
defaultpartition: default
partition-default: {dir}/spool
altnamespace: no
unixhierarchysep: yes
allowplaintext: yes
sasl_pwcheck_method: alwaystrue
admins: cyrus
lmtpsocket: {dir}/run/socket/lmtp
idlesocket: {dir}/run/socket/idle
notifysocket: {dir}/run/socket/notify
sievedir: {dir}/sieve
hashimapspool: false
mailbox_legacy_dirs: yes
syslog_prefix: kurier-test-cyrus
"""

CYRUS_CONF = """\
START {{
  recover cmd="{bin}/ctl_cyrusdb -C {conf} -r"
}}
SERVICES {{
  imap cmd="{imapd} -C {conf}" listen="127.0.0.1:{port}" prefork=0
}}
EVENTS {{
}}
DAEMON {{
}}
"""


def service_dir():
    """A directory the servers' own users (dovecot, mail, cyrus) can reach: pytest's are 0700."""
    d = Path(tempfile.mkdtemp(prefix="kurier-import-"))
    os.chmod(d, 0o755)
    return d


def cyrus_imapd():
    """Debian's imapd binary of cyrus-imapd, installed or taken out of the package."""
    installed = Path(CYRUS_BIN) / "imapd"
    if installed.exists():
        return installed
    target = CACHE / "cyrus-imapd"
    binary = target / "usr/lib/cyrus/bin/imapd"
    if not binary.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        os.chmod(CACHE, 0o755)
        subprocess.run(["apt-get", "download", "cyrus-imapd"], cwd=CACHE, check=True, capture_output=True)
        deb = sorted(glob.glob(str(CACHE / "cyrus-imapd_*.deb")))[-1]
        subprocess.run(["dpkg-deb", "-x", deb, str(target)], check=True)
    return binary


class Cyrus:
    """A private Cyrus IMAP 3.6 (legacy directory layout, '/' as hierarchy separator); any
    password logs in (sasl_pwcheck_method alwaystrue), `cyrus` is the admin."""

    def __init__(self):
        self.base = service_dir()
        base = self.base
        self.dir = base / "cyrus"
        cyrus = pwd.getpwnam("cyrus")
        for sub in ("config", "spool", "run/proc", "run/lock", "run/socket", "sieve"):
            (self.dir / sub).mkdir(parents=True)
        os.chmod(base, 0o755)
        self.port = free_port()
        self.conf = self.dir / "imapd.conf"
        self.conf.write_text(CYRUS_IMAPD_CONF.format(dir=self.dir))
        imapd = cyrus_imapd()
        (self.dir / "cyrus.conf").write_text(CYRUS_CONF.format(bin=CYRUS_BIN, conf=self.conf, imapd=imapd, port=self.port))
        for root, dirs, files in os.walk(self.dir):
            for n in dirs + files:
                os.chown(os.path.join(root, n), cyrus.pw_uid, cyrus.pw_gid)
        os.chown(self.dir, cyrus.pw_uid, cyrus.pw_gid)
        self.pidfile = self.dir / "run" / "master.pid"
        with open(base / "cyrus-start.log", "wb") as log:
            subprocess.run(["su", "cyrus", "-s", "/bin/sh", "-c",
                            f"{CYRUS_BIN}/master -C {self.conf} -M {self.dir}/cyrus.conf -p {self.pidfile} -d"],
                           check=True, stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        wait_for(lambda: port_answers("127.0.0.1", self.port), "Cyrus to answer", timeout=20)

    def imap(self, user):
        m = imaplib.IMAP4("127.0.0.1", self.port)
        m.login(user, "any")
        return m

    def create_user(self, user, folders=()):
        m = self.imap("cyrus")
        for name in [f"user/{user}"] + [f"user/{user}/{f}" for f in folders]:
            typ, data = m.create(name)
            assert typ == "OK", data
        m.logout()

    def spool(self, user):
        return self.dir / "spool" / "user" / user

    def subscriptions_file(self, user):
        """Where Cyrus 3.6 keeps the user's subscriptions: CONFIGDIR/user/FIRST-LETTER/USER.sub."""
        return self.dir / "config" / "user" / user[0] / f"{user}.sub"

    def stop(self):
        try:
            pid = int(self.pidfile.read_text())
        except (FileNotFoundError, ValueError):
            return
        try:
            os.kill(pid, 15)
        except ProcessLookupError:
            return
        wait_for(lambda: not _alive(pid), "Cyrus to stop", timeout=20)

    def remove(self):
        shutil.rmtree(self.base, ignore_errors=True)


def _alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False


def message(n, subject=None, extra=b""):
    subject = subject or f"message {n}"
    return (f"From: sender{n}@example.org\r\nTo: bob@example.test\r\nSubject: {subject}\r\n"
            f"Message-ID: <m{n}-{os.getpid()}@import.test>\r\nDate: Thu, 04 Jan 2024 10:00:00 +0000\r\n\r\n"
            f"body of message {n}\r\nFrom the start of a line\r\n").encode() + extra


def fetch_all(m, mailbox):
    """{uid: (flags set, internaldate tuple, message-id)} over imaplib."""
    typ, data = m.select(mailbox, readonly=True)
    assert typ == "OK", data
    uidvalidity = int(m.untagged_responses.get("UIDVALIDITY", [b"0"])[-1])
    typ, data = m.uid("FETCH", "1:*", "(UID FLAGS INTERNALDATE BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])")
    out = {}
    for item in data:
        if not isinstance(item, tuple):
            continue
        meta, body = item
        uid = int(meta.split(b"UID ")[1].split()[0].rstrip(b")"))
        flags = set(f.decode() for f in imaplib.ParseFlags(meta)) - {"\\Recent"}
        date = time.mktime(imaplib.Internaldate2tuple(meta)) if b"INTERNALDATE" in meta else None
        out[uid] = (flags, date, body.strip().decode())
    return uidvalidity, out
