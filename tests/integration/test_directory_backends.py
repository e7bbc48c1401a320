"""The directory on real MariaDB and PostgreSQL servers (db_support.py starts them): `kurier init
--directory-dsn`, TLS to the database, two kurier instances sharing one directory, and service
through a database restart under IMAP and SMTP load (issue 12: requests in flight may fail with a
temporary error, nothing else, and service resumes without restarting kurier)."""
import imaplib
import smtplib
import subprocess
import threading
import time

import pytest

import db_support
from conftest import KURIER_BIN, PASSWORD, Kurier, wait_for
from imap_support import message_count

KINDS = ["mariadb", "postgresql"]


@pytest.fixture(scope="module", params=KINDS)
def db(request):
    server = db_support.start(request.param)
    yield server
    server.stop()


def sub(tmp_path, name):
    path = tmp_path / name
    path.mkdir()
    return path


def database_of(dsn):
    return dsn.split("?")[0].rsplit("/", 1)[1]


def test_init_creates_the_schema_on_the_server_and_every_command_uses_it(db, tmp_path):
    k = Kurier(tmp_path, db_server=db)
    assert not (k.dir / "directory.db").exists()
    text = k.config.read_text()
    assert f'backend = "{db.kind}"' in text and k.directory_dsn in text
    tables = {row[0] for row in db.sql(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = "
        + ("DATABASE()" if db.kind == "mariadb" else "'public'"), database=database_of(k.directory_dsn))}
    assert {"domains", "accounts", "aliases", "admins", "sieve_scripts", "removed_accounts"} <= tables
    k.add_user("alice@example.test")
    k.cli("alias", "add", "info@example.test", "alice@example.test")
    rows = db.sql("SELECT address FROM accounts", database=database_of(k.directory_dsn))
    assert rows == [["alice@example.test"]]
    assert "info@example.test" in k.cli("alias", "list").stdout
    shown = k.cli("check-config").stdout
    assert f'backend = "{db.kind}"' in shown


def test_init_refuses_a_directory_that_already_has_an_admin(db, tmp_path):
    k = Kurier(sub(tmp_path, "one"), db_server=db)
    (tmp_path / "pw").write_text("admin-password-2\n")
    r = subprocess.run([KURIER_BIN, "init", "--data-dir", str(tmp_path / "two"), "--hostname", "localhost",
                        "--admin-password-file", str(tmp_path / "pw"), "--directory-dsn", k.directory_dsn],
                       capture_output=True, text=True)
    assert r.returncode != 0
    assert "already has an admin" in r.stderr
    password = k.directory_dsn.split(":")[2].split("@")[0]
    assert password not in r.stderr  # the DSN's password is never shown


def test_init_with_an_unreachable_or_bad_dsn_fails_clearly(tmp_path):
    (tmp_path / "pw").write_text("admin-password-2\n")
    base = [KURIER_BIN, "init", "--hostname", "localhost", "--admin-password-file", str(tmp_path / "pw")]
    r = subprocess.run(base + ["--data-dir", str(tmp_path / "a"), "--directory-dsn",
                               "postgresql://u:topsecret@127.0.0.1:1/db?connect_timeout=2"],
                       capture_output=True, text=True)
    assert r.returncode != 0 and "127.0.0.1" in r.stderr and "topsecret" not in r.stderr, r.stderr
    r = subprocess.run(base + ["--data-dir", str(tmp_path / "b"), "--directory-dsn", "mariadb://u@h/db?tls=yes"],
                       capture_output=True, text=True)
    assert r.returncode != 0 and "unknown parameter tls" in r.stderr, r.stderr


def test_tls_to_the_database_and_two_servers_sharing_one_directory(db, tmp_path):
    one = Kurier(sub(tmp_path, "one"), db_server=db)
    two = Kurier(sub(tmp_path, "two"), db_server=db)
    # The second node uses the first one's database, over TLS with the server's certificate checked.
    shared = one.directory_dsn + f"?sslmode=verify-full&sslrootcert={db.cert}"
    two.config.write_text(two.config.read_text().replace(two.directory_dsn, shared))
    one.start()
    two.start()
    try:
        address, password = one.add_user("shared@example.test")
        m = imaplib.IMAP4(two.host, two.port("imap"))
        m.login(address, password)  # created through the first node
        m.logout()
        two.cli("user", "remove", address)
        wait_for(lambda: login_refused(one, address, password), "the first node to see the removal")
    finally:
        one.stop()
        two.stop()


def login_refused(k, address, password):
    m = imaplib.IMAP4(k.host, k.port("imap"))
    try:
        m.login(address, password)
        return False
    except imaplib.IMAP4.error:
        return True
    finally:
        try:
            m.logout()
        except Exception:
            pass


class Load:
    """IMAP logins and SMTP deliveries in a loop, each outcome classified."""

    def __init__(self, k, users):
        self.k, self.users = k, users
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.ok = 0
        self.temporary = []   # what the protocol allows while the database is away
        self.wrong = []       # anything else
        self.delivered = {}   # address -> messages accepted with 250

    def record(self, outcome, detail=""):
        with self.lock:
            if outcome == "ok":
                self.ok += 1
            else:
                getattr(self, outcome).append(detail)

    def imap(self, address):
        while not self.stop.is_set():
            try:
                m = imaplib.IMAP4(self.k.host, self.k.port("imap"))
            except OSError as e:
                self.record("wrong", f"IMAP connect: {e}")
                continue
            try:
                m.login(address, PASSWORD)
                typ, data = m.select("INBOX")
                if typ == "OK":
                    self.record("ok")
                else:
                    text = b" ".join(d for d in data if isinstance(d, bytes)).decode(errors="replace")
                    self.record("temporary" if "[UNAVAILABLE]" in text else "wrong", f"SELECT {typ} {text}")
                m.logout()
            except imaplib.IMAP4.error as e:
                text = str(e)
                self.record("temporary" if "[UNAVAILABLE]" in text else "wrong", f"IMAP: {text}")
            except (OSError, imaplib.IMAP4.abort) as e:
                self.record("wrong", f"IMAP connection: {e}")

    def smtp(self, address):
        n = 0
        while not self.stop.is_set():
            n += 1
            try:
                with smtplib.SMTP(self.k.host, self.k.port("smtp"), timeout=30) as s:
                    s.ehlo("load.example.net")
                    s.mail("sender@example.net")
                    code, text = s.rcpt(address)
                    if code == 250:
                        code, text = s.data(f"Subject: load {n}\r\n\r\nbody\r\n".encode())
                        if code == 250:
                            with self.lock:
                                self.delivered[address] = self.delivered.get(address, 0) + 1
                            self.record("ok")
                        else:
                            temporary = code == 451 and text.startswith(b"4.3.0")
                            self.record("temporary" if temporary else "wrong", f"DATA {code} {text!r}")
                    elif code == 451 and text.startswith(b"4.3.0"):
                        self.record("temporary", f"RCPT {code} {text!r}")
                        s.rset()
                    else:
                        self.record("wrong", f"RCPT {code} {text!r}")
            except smtplib.SMTPResponseException as e:
                kind = "temporary" if e.smtp_code == 451 else "wrong"
                self.record(kind, f"SMTP {e.smtp_code} {e.smtp_error!r}")
            except (OSError, smtplib.SMTPException) as e:
                self.record("wrong", f"SMTP: {e!r}")


@pytest.mark.slow
def test_service_survives_a_database_restart_under_imap_and_smtp_load(db, tmp_path):
    k = Kurier(tmp_path, db_server=db)
    k.set_config("auth", "free_failures", "1000")
    k.start()
    try:
        users = [k.add_user(f"load{i}@example.test")[0] for i in range(3)]
        load = Load(k, users)
        threads = [threading.Thread(target=load.imap, args=(u,)) for u in users]
        threads += [threading.Thread(target=load.smtp, args=(u,)) for u in users]
        for t in threads:
            t.start()
        try:
            wait_for(lambda: load.ok >= 20, "load before the restart")
            for _ in range(2):
                before = load.ok
                db.restart()
                wait_for(lambda: load.ok >= before + 20, "service to resume after the database restarted",
                         details=lambda: f"{load.wrong[-5:]} {load.temporary[-5:]}\n{k.log_text()[-3000:]}")
        finally:
            load.stop.set()
            for t in threads:
                t.join(timeout=60)
        assert not load.wrong, load.wrong[:10]
        assert k.proc.poll() is None  # never restarted, never crashed
        # Every message accepted with 250 is in its mailbox.
        for address in users:
            assert message_count(k, address) == load.delivered.get(address, 0), (address, load.delivered)
    finally:
        assert k.stop() == 0
    assert "ERROR: AddressSanitizer" not in k.log_text()
