"""Real MariaDB and PostgreSQL servers for tests: Debian's mariadb-server and postgresql, started on
loopback in a temporary data directory on a free port, with TLS (a self-signed certificate for
127.0.0.1/localhost), and stopped again.

    server = start("mariadb")            # or "postgresql"
    dsn = server.create_database()       # a fresh database and user: "mariadb://u:pw@127.0.0.1:PORT/db"
    server.sql("SELECT 1", database=...) # SQL through the server's own client, as its superuser
    server.restart()                     # stop and start on the same data and port
    server.stop()

PostgreSQL refuses to run as root: as root, its files belong to the `postgres` system user (made
by the postgresql package) and its commands run through runuser. MariaDB runs as the current user
(--user=root when root).

As a program it runs a command with servers up, their DSNs in the environment
(KURIER_TEST_MARIADB_DSN, KURIER_TEST_POSTGRESQL_DSN; KURIER_TEST_..._CA the server certificate, to
verify against), e.g. for the unit tests of the drivers:
    python3 tests/integration/db_support.py mariadb postgresql -- build-test/tests/unit/unit_directory
"""
import itertools
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PG_BIN = Path("/usr/lib/postgresql/15/bin")
_names = itertools.count(1)


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(pred, what, timeout=60, details=lambda: ""):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return
        time.sleep(0.1)
    raise RuntimeError(f"timed out waiting for {what}\n{details()}")


def _self_signed(dir: Path):
    """cert.pem + key.pem for CN=localhost with subjectAltName 127.0.0.1 and localhost."""
    cert, key = dir / "cert.pem", dir / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    return cert, key


class _Server:
    kind = ""
    scheme = ""

    def __init__(self):
        self.dir = Path(tempfile.mkdtemp(prefix=f"kurier-{self.kind}-"))
        self.port = _free_port()
        self.proc = None
        self.cert, self.key = _self_signed(self.dir)

    def dsn(self, user, password, database, **params):
        query = "&".join(f"{k}={v}" for k, v in params.items())
        return f"{self.scheme}://{user}:{password}@127.0.0.1:{self.port}/{database}" + (f"?{query}" if query else "")

    def create_database(self, **params):
        """A new database owned by a new user; returns its DSN."""
        n = f"k{os.getpid()}_{next(_names)}"
        password = "pw-" + secrets.token_hex(8)
        self._create(n, n, password)
        return self.dsn(n, password, n, **params)

    def log_text(self):
        try:
            return self.log.read_text(errors="replace")[-4000:]
        except FileNotFoundError:
            return ""

    def restart(self):
        self.stop(remove=False)
        self.start()

    def accepts(self):
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                return True
        except OSError:
            return False


class MariaDB(_Server):
    kind = "mariadb"
    scheme = "mariadb"

    def __init__(self):
        super().__init__()
        self.data = self.dir / "data"
        self.socket = self.dir / "mysqld.sock"
        self.log = self.dir / "error.log"
        self.user = "root" if os.geteuid() == 0 else os.environ.get("USER", "nobody")
        subprocess.run(["mariadb-install-db", "--no-defaults", f"--datadir={self.data}", f"--user={self.user}",
                        "--auth-root-authentication-method=socket", "--skip-test-db"],
                       check=True, capture_output=True)

    def start(self):
        self.proc = subprocess.Popen(
            ["mariadbd", "--no-defaults", f"--datadir={self.data}", f"--socket={self.socket}",
             f"--port={self.port}", "--bind-address=127.0.0.1", f"--user={self.user}",
             f"--pid-file={self.dir / 'mysqld.pid'}", f"--log-error={self.log}", "--skip-name-resolve",
             "--innodb-buffer-pool-size=64M", "--innodb-flush-log-at-trx-commit=2", "--max-connections=500",
             f"--ssl-cert={self.cert}", f"--ssl-key={self.key}"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _wait(lambda: self.proc.poll() is None and self.socket.exists() and self._ping(), "mariadbd to start",
              details=self.log_text)
        return self

    def _ping(self):
        return subprocess.run(["mariadb", "--no-defaults", "-S", str(self.socket), "-u", "root", "-e", "SELECT 1"],
                              capture_output=True).returncode == 0

    def sql(self, text, database=None):
        """Runs SQL as root over the socket; returns the output rows as lists of strings."""
        cmd = ["mariadb", "--no-defaults", "-S", str(self.socket), "-u", "root", "-N", "-B"]
        if database:
            cmd.append(database)
        r = subprocess.run(cmd, input=text, capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError(f"mariadb: {r.stderr.strip()}")
        return [line.split("\t") for line in r.stdout.splitlines()]

    def _create(self, user, database, password):
        self.sql(f"CREATE DATABASE `{database}` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;"
                 f"CREATE USER '{user}'@'127.0.0.1' IDENTIFIED BY '{password}';"
                 f"GRANT ALL ON `{database}`.* TO '{user}'@'127.0.0.1';")

    def stop(self, remove=True):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
        if remove:
            shutil.rmtree(self.dir, ignore_errors=True)


class PostgreSQL(_Server):
    kind = "postgresql"
    scheme = "postgresql"

    def __init__(self):
        super().__init__()
        self.data = self.dir / "data"
        self.log = self.dir / "postgres.log"
        self.as_root = os.geteuid() == 0
        if self.as_root:  # the server refuses root: its files belong to the postgres user
            shutil.chown(self.dir, "postgres", "postgres")
            for f in (self.cert, self.key):
                shutil.chown(f, "postgres", "postgres")
        os.chmod(self.dir, 0o700)
        os.chmod(self.key, 0o600)
        self._run([str(PG_BIN / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth-local=trust",
                   "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8"])

    def _run(self, cmd, **kw):
        if self.as_root:
            cmd = ["runuser", "-u", "postgres", "--"] + cmd
        r = subprocess.run(cmd, capture_output=True, text=True, **kw)
        if r.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)}: {r.stderr.strip()}\n{self.log_text()}")
        return r

    def start(self):
        opts = (f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c ssl=on "
                f"-c ssl_cert_file={self.cert} -c ssl_key_file={self.key} -c fsync=off "
                "-c max_connections=300 -c shared_buffers=32MB")
        self._run([str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-o", opts, "-w", "start"])
        self.proc = True
        return self

    def sql(self, text, database="postgres"):
        r = self._run(["psql", "-X", "-q", "-A", "-t", "-F", "\t", "-v", "ON_ERROR_STOP=1", "-h", str(self.dir),
                       "-p", str(self.port), "-U", "postgres", "-d", database], input=text)
        return [line.split("\t") for line in r.stdout.splitlines()]

    def _create(self, user, database, password):
        self.sql(f"CREATE USER {user} PASSWORD '{password}'")
        self.sql(f"CREATE DATABASE {database} OWNER {user} ENCODING 'UTF8'")

    def stop(self, remove=True):
        if self.proc:
            self._run([str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop"])
        self.proc = None
        if remove:
            shutil.rmtree(self.dir, ignore_errors=True)


KINDS = {"mariadb": MariaDB, "postgresql": PostgreSQL}


def start(kind):
    return KINDS[kind]().start()


def main(argv):
    if "--" not in argv:
        print(__doc__)
        return 2
    split = argv.index("--")
    kinds, command = argv[:split], argv[split + 1:]
    servers = []
    env = dict(os.environ)
    try:
        for kind in kinds:
            s = start(kind)
            servers.append(s)
            env[f"KURIER_TEST_{kind.upper()}_DSN"] = s.create_database()
            env[f"KURIER_TEST_{kind.upper()}_CA"] = str(s.cert)
        return subprocess.run(command, env=env).returncode
    finally:
        for s in servers:
            s.stop()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
