"""pytest fixtures that run a real `kurier serve` for integration tests.

Every protocol test talks to the server the way a user does: through the CLI of docs/INTERFACE.md and
real clients (imaplib, smtplib, poplib, curl, swaks, mbsync, ...).

Fixtures:
  kurier       one server for the whole test session (fast); tests create their own users
  fresh_kurier a server of its own for one test (for restarts, kill -9, config changes)
  user         a new account on `kurier`: (address, password)
  imap         an imaplib session logged in as `user`
  sink, rejecting_sink, sink_without_dsn
               Postfix's smtp-sink as a remote MX (queue_support.Sink)

KURIER_DIRECTORY_BACKEND=mariadb|postgresql runs every server's directory on that database server
(db_support.py starts one for the session; each Kurier gets a database of its own through
`kurier init --directory-dsn`). Unset or "sqlite": the embedded directory.db.

Helpers every test module and support module may use: wait_for (polling with a deadline),
free_port, port_answers, and LineSocket (the buffered line reader of the raw protocol clients).
"""
import itertools
import os
import random
import signal
import socket
import ssl
import subprocess
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
KURIER_BIN = os.environ.get("KURIER_BIN", str(ROOT / "build" / "kurier"))
SERVICES = {"smtp": 25, "submissions": 465, "submission": 587, "lmtp": 24, "imap": 143, "imaps": 993,
            "pop3": 110, "pop3s": 995, "managesieve": 4190, "http": 80, "https": 443}
IMPLICIT_TLS = {"submissions", "imaps", "pop3s", "https"}
PASSWORD = "password-1"
_counter = itertools.count(1)


def wait_for(pred, what="condition", timeout=60, details=lambda: "", interval=0.1):
    """Polls pred() until it returns something true and returns that; fails after `timeout`
    seconds with `what` and details() in the message. Tests never wait a fixed time."""
    deadline = time.monotonic() + timeout
    while True:
        value = pred()
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out waiting for {what}\n{details()}"
        time.sleep(interval)


_wait = wait_for  # for Kurier.start, whose parameter has the same name


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_answers(host, port):
    """True when something accepts TCP connections on host:port."""
    try:
        socket.create_connection((host, port), timeout=1).close()
        return True
    except OSError:
        return False


class LineSocket:
    """A socket with a receive buffer, for the line-level protocol clients (RawImap, RawSmtp)."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = b""

    def _fill(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise EOFError(self.buf)
        self.buf += chunk

    def line(self):
        """The next CRLF-terminated line, without the CRLF."""
        while b"\r\n" not in self.buf:
            self._fill()
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def read_exact(self, n):
        while len(self.buf) < n:
            self._fill()
        data, self.buf = self.buf[:n], self.buf[n:]
        return data


def _ports_free(offset):
    for std in SERVICES.values():
        with socket.socket() as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                s.bind(("127.0.0.1", offset + std))
            except OSError:
                return False
    return True


def _ephemeral_port_start():
    try:
        return int(open("/proc/sys/net/ipv4/ip_local_port_range").read().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def _free_offset():
    """A port offset whose every port lies below the kernel's ephemeral range: a port in that
    range may be taken at any moment by some client's outgoing connection (between the check here
    and the server's bind), and a client connecting to a port that is not listening yet can get
    a TCP self-connect, which looks like a server answering."""
    rng = random.Random(os.getpid() ^ time.time_ns())
    highest = _ephemeral_port_start() - max(SERVICES.values()) - 1
    for _ in range(200):
        offset = rng.randrange(2000, highest, 100)
        if _ports_free(offset):
            return offset
    raise RuntimeError("no free port offset found")


DIRECTORY_BACKEND = os.environ.get("KURIER_DIRECTORY_BACKEND", "sqlite")
_db_server = None


def directory_server():
    """The session's database server for KURIER_DIRECTORY_BACKEND (started on first use), or None."""
    global _db_server
    if DIRECTORY_BACKEND == "sqlite":
        return None
    if _db_server is None:
        import atexit
        import db_support
        _db_server = db_support.start(DIRECTORY_BACKEND)
        atexit.register(_db_server.stop)
    return _db_server


class Kurier:
    """A kurier data directory plus, while started, its `serve` process."""

    def __init__(self, base: Path, extra_config: str = "", db_server=None, cache_check_interval_ms=0):
        """db_server: a db_support server to keep the directory on (default: KURIER_DIRECTORY_BACKEND's).
        cache_check_interval_ms: [directory] cache_check_interval_ms. Tests make changes with the CLI
        (another process) and expect them at once, so the server reads the directory's change
        counter before every lookup; None keeps the default (250 ms), whose bound
        test_directory_cache.py tests."""
        self.dir = base / "data"
        self.offset = _free_offset()
        self.host = "127.0.0.1"
        self.admin_password = "admin-password-1"
        pwfile = base / "admin-password"
        pwfile.write_text(self.admin_password + "\n")
        self.db_server = db_server or directory_server()
        self.directory_dsn = self.db_server.create_database() if self.db_server else None
        self.run_cli("init", "--data-dir", str(self.dir), "--hostname", "localhost", "--bind", "127.0.0.1",
                     "--port-offset", str(self.offset), "--admin-password-file", str(pwfile),
                     *(["--directory-dsn", self.directory_dsn] if self.directory_dsn else []), config=False)
        self.config = self.dir / "kurier.toml"
        if cache_check_interval_ms is not None:
            self.set_config("directory", "cache_check_interval_ms", str(cache_check_interval_ms))
        if extra_config:
            with open(self.config, "a") as f:
                f.write("\n" + extra_config + "\n")
        self.cert = self.dir / "tls" / "cert.pem"
        self.log_path = base / "serve.log"
        self.proc = None
        self.domain = "example.test"
        self.cli("domain", "add", self.domain)

    def set_config(self, section, key, value):
        """Sets `key = value` (value as TOML text) in [section] of kurier.toml."""
        lines = self.config.read_text().splitlines()
        header = f"[{section}]"
        if header in lines:
            lines.insert(lines.index(header) + 1, f"{key} = {value}")
        else:
            lines += ["", header, f"{key} = {value}"]
        self.config.write_text("\n".join(lines) + "\n")

    def account_id(self, address):
        """The directory's id of an account (what the store keys its mail by), or None."""
        if not self.directory_dsn:
            import sqlite3
            db = sqlite3.connect(f"file:{self.dir / 'directory.db'}?mode=ro", uri=True)
            try:
                row = db.execute("SELECT id FROM accounts WHERE address = ?", (address,)).fetchone()
            finally:
                db.close()
            return row[0] if row else None
        assert "'" not in address
        database = self.directory_dsn.split("?")[0].rsplit("/", 1)[1]
        rows = self.db_server.sql(f"SELECT id FROM accounts WHERE address = '{address}'", database=database)
        return int(rows[0][0]) if rows else None

    # -- CLI --------------------------------------------------------------------------------------
    def run_cli(self, *args, input=None, config=True, check=True, timeout=60):
        cmd = [KURIER_BIN] + (["-c", str(self.config)] if config else []) + list(args)
        r = subprocess.run(cmd, input=input, capture_output=True, text=True, timeout=timeout)
        if check and r.returncode != 0:
            raise AssertionError(f"{' '.join(cmd)} exited {r.returncode}: {r.stderr.strip()}")
        return r

    def cli(self, *args, **kw):
        return self.run_cli(*args, **kw)

    def add_user(self, address=None, password=PASSWORD, *extra):
        address = address or f"user{next(_counter)}-{os.getpid()}@{self.domain}"
        self.cli("user", "add", address, "--password-stdin", *extra, input=password + "\n")
        return address, password

    # -- process ----------------------------------------------------------------------------------
    def port(self, name):
        return self.offset + SERVICES[name]

    def start(self, wait_for=("smtp", "imap", "lmtp", "http")):
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen([KURIER_BIN, "-c", str(self.config), "serve"], stdout=log, stderr=log,
                                     stdin=subprocess.DEVNULL)
        for name in wait_for:
            _wait(lambda: self._answers(name), f"{name} to answer", timeout=30, interval=0.05,
                  details=lambda: self.log_text()[-3000:])
        return self

    def _answers(self, name):
        if self.proc.poll() is not None:
            raise RuntimeError(f"kurier serve exited {self.proc.returncode}:\n{self.log_text()[-3000:]}")
        return port_answers(self.host, self.port(name))

    def stop(self, timeout=20):
        """SIGTERM and wait; returns the exit status."""
        if not self.proc:
            return None
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise
        self.proc = None
        return rc

    def kill9(self):
        self.proc.kill()
        self.proc.wait()
        self.proc = None

    def log_text(self):
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def ssl_context(self):
        """A client TLS context that trusts this server's self-signed certificate."""
        ctx = ssl.create_default_context(cafile=str(self.cert))
        ctx.check_hostname = False
        return ctx


@pytest.fixture(scope="session")
def kurier(tmp_path_factory):
    k = Kurier(tmp_path_factory.mktemp("kurier"))
    # Every test of the session connects from 127.0.0.1, and many fail a login on purpose: the
    # throttle would make later tests' logins wait their turn (up to 15 s). Throttling itself is
    # tested on servers of their own (fresh_kurier, test_auth.py).
    k.set_config("auth", "free_failures", "1000")
    k.start()
    yield k
    rc = k.stop()
    assert rc == 0, f"kurier serve exited {rc} after SIGTERM:\n{k.log_text()[-3000:]}"
    # No sanitizer report or crash may hide in the log of a run whose tests passed.
    text = k.log_text()
    assert "ERROR: AddressSanitizer" not in text and "runtime error:" not in text, text[-5000:]


@pytest.fixture
def fresh_kurier(tmp_path):
    k = Kurier(tmp_path)
    yield k
    if k.proc:
        k.stop()


@pytest.fixture
def user(kurier):
    return kurier.add_user()


@pytest.fixture
def imap(kurier, user):
    """An imaplib session logged in as `user`."""
    from imap_support import login
    m = login(kurier, user)
    yield m
    try:
        m.logout()
    except Exception:
        pass


def _sink(**kw):
    from queue_support import make_sink
    s = make_sink(**kw)
    yield s
    s.stop()


@pytest.fixture
def sink():
    """smtp-sink accepting every message."""
    yield from _sink()


@pytest.fixture
def rejecting_sink():
    """smtp-sink answering RCPT with 5xx."""
    yield from _sink(reject_rcpt=True)


@pytest.fixture
def sink_without_dsn():
    """smtp-sink that does not announce DSN (RFC 3461) in its EHLO reply."""
    yield from _sink(dsn=False)
