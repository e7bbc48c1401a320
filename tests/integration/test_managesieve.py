"""ManageSieve (RFC 5804) against a real `kurier serve`: sieve-connect (an independent client) over
STARTTLS, a raw line client for every command, response code and bad input, and `kurier sieve`,
which applies the same rules from the command line."""
import base64
import os
import socket
import ssl
import subprocess

import pytest

from conftest import PASSWORD, LineSocket, wait_for

VALID = 'require ["fileinto"];\r\nif header :contains "subject" "[list]" {\r\n  fileinto "Lists";\r\n}\r\n'
INVALID = 'require ["fileinto"];\r\nif header :contains "subject" "x" {\r\n  filein "Lists";\r\n}\r\n'


class RawSieve(LineSocket):
    """A line-level ManageSieve client: sends commands, reads responses up to OK/NO/BYE."""

    def __init__(self, k, port=None):
        super().__init__(socket.create_connection((k.host, port or k.port("managesieve")), timeout=30))
        self.greeting = self.response()

    def send(self, data):
        self.sock.sendall(data)

    def close(self):
        self.sock.close()

    def string(self, line):
        """A response line that is a literal announcement: the literal's bytes, else the line."""
        if line.endswith(b"}") and b"{" in line:
            n = int(line[line.rindex(b"{") + 1:-1].rstrip(b"+"))
            data = self.read_exact(n)
            assert self.line() == b""  # the CRLF after the string
            return data
        return line

    def response(self):
        """(data lines, final line) of one response; a literal is returned as its bytes."""
        lines = []
        while True:
            line = self.line()
            if line.split(b" ", 1)[0] in (b"OK", b"NO", b"BYE"):
                return lines, line
            lines.append(self.string(line))

    def command(self, text):
        """Sends one command (CRLF added) and reads its response."""
        self.send((text if isinstance(text, bytes) else text.encode()) + b"\r\n")
        return self.response()

    def login(self, address, password=PASSWORD):
        ir = base64.b64encode(f"\0{address}\0{password}".encode()).decode()
        _, final = self.command(f'AUTHENTICATE "PLAIN" "{ir}"')
        assert final.startswith(b"OK"), final


def literal(script):
    data = script.encode() if isinstance(script, str) else script
    return b"{%d+}\r\n" % len(data) + data


def put(raw, name, script):
    return raw.command(b'PUTSCRIPT "' + name.encode() + b'" ' + literal(script))


@pytest.fixture
def sieve_user(kurier):
    return kurier.add_user()


def test_greeting_capabilities(kurier):
    raw = RawSieve(kurier)
    lines, final = raw.greeting
    caps = {l.split(b" ", 1)[0]: l for l in lines}
    assert final.startswith(b"OK")
    assert caps[b'"IMPLEMENTATION"'] == b'"IMPLEMENTATION" "kurier"'
    assert b'"STARTTLS"' in caps and b'"VERSION"' in caps and b'"UNAUTHENTICATE"' in caps
    extensions = caps[b'"SIEVE"'].split(b'"')[3].split()
    for ext in (b"fileinto", b"vacation", b"envelope", b"imap4flags", b"variables", b"body"):
        assert ext in extensions, extensions
    assert b"PLAIN" in caps[b'"SASL"']  # loopback without TLS is allowed by default
    raw.close()


def test_commands_and_response_codes(kurier, sieve_user):
    address, _ = sieve_user
    raw = RawSieve(kurier)
    _, final = raw.command('LISTSCRIPTS')
    assert final.startswith(b"NO"), "needs login first"
    raw.login(address)
    assert raw.command('HAVESPACE "main" 1000')[1].startswith(b"OK")
    assert raw.command('HAVESPACE "main" 40000')[1].startswith(b"NO (QUOTA/MAXSIZE)")
    assert put(raw, "main", VALID)[1].startswith(b"OK")
    _, final = put(raw, "broken", INVALID)
    assert final.startswith(b"NO"), final
    assert b"line 3" in final, "the parser's line number reaches the client"
    assert raw.command(b"CHECKSCRIPT " + literal(INVALID))[1].startswith(b"NO")
    assert raw.command(b"CHECKSCRIPT " + literal(VALID))[1].startswith(b"OK")
    assert raw.command('SETACTIVE "nope"')[1].startswith(b"NO (NONEXISTENT)")
    assert raw.command('SETACTIVE "main"')[1].startswith(b"OK")
    lines, final = raw.command("LISTSCRIPTS")
    assert lines == [b'"main" ACTIVE'] and final.startswith(b"OK")
    lines, final = raw.command('GETSCRIPT "main"')
    assert lines == [VALID.encode()] and final.startswith(b"OK")
    assert raw.command('DELETESCRIPT "main"')[1].startswith(b"NO (ACTIVE)")
    assert put(raw, "other", "keep;\r\n")[1].startswith(b"OK")
    assert raw.command('RENAMESCRIPT "other" "main"')[1].startswith(b"NO (ALREADYEXISTS)")
    assert raw.command('RENAMESCRIPT "main" "renamed"')[1].startswith(b"OK")
    lines, _ = raw.command("LISTSCRIPTS")
    assert sorted(lines) == [b'"other"', b'"renamed" ACTIVE']
    assert raw.command('SETACTIVE ""')[1].startswith(b"OK")
    assert raw.command('DELETESCRIPT "renamed"')[1].startswith(b"OK")
    assert raw.command('GETSCRIPT "renamed"')[1].startswith(b"NO (NONEXISTENT)")
    assert raw.command('NOOP "tag-1"')[1] == b'OK (TAG "tag-1") "Done"'
    assert raw.command("UNAUTHENTICATE")[1].startswith(b"OK")
    assert raw.command("LISTSCRIPTS")[1].startswith(b"NO")
    assert raw.command("LOGOUT")[1].startswith(b"OK")
    raw.close()


def test_script_limits_are_the_seeds(kurier, sieve_user):
    address, _ = sieve_user
    raw = RawSieve(kurier)
    raw.login(address)
    for i in range(5):
        assert put(raw, f"s{i}", "keep;\r\n")[1].startswith(b"OK")
    assert put(raw, "s5", "keep;\r\n")[1].startswith(b"NO (QUOTA/MAXSCRIPTS)")
    assert put(raw, "s4", "discard;\r\n")[1].startswith(b"OK"), "replacing a script does not count"
    big = "# " + "x" * (33 * 1024) + "\r\nkeep;\r\n"
    assert put(raw, "s0", big)[1].startswith(b"NO (QUOTA/MAXSIZE)")
    assert raw.command('GETSCRIPT "s0"')[0] == [b"keep;\r\n"], "nothing refused was stored"
    assert raw.command("NOOP")[1].startswith(b"OK"), "the connection is still in step"
    raw.close()


def test_bad_input_gets_no_and_too_much_ends_in_bye(kurier, sieve_user):
    address, _ = sieve_user
    raw = RawSieve(kurier)
    for bad in ['FROB', 'PUTSCRIPT "unterminated', 'AUTHENTICATE', 'NOOP "a" "b"', '"no name"', 'HAVESPACE "x" "y"']:
        _, final = raw.command(bad)
        assert final.startswith(b"NO "), (bad, final)
    raw.send(b'AUTHENTICATE "PLAIN" {99999+}\r\n')  # too big before login: refused, skipped, in step
    raw.send(b"x" * 99999 + b"\r\n")
    assert raw.response()[1].startswith(b"NO")
    raw.login(address)
    assert raw.command("LISTSCRIPTS")[1].startswith(b"OK")
    raw.close()
    raw = RawSieve(kurier)
    final = b""
    for _ in range(30):
        _, final = raw.command("FROB")
        if final.startswith(b"BYE"):
            break
    assert final.startswith(b"BYE"), final
    raw.close()


def test_disabled_sieve_service_refuses_login(kurier):
    address, _ = kurier.add_user()
    kurier.cli("user", "set", address, "--disable", "sieve")
    raw = RawSieve(kurier)
    ir = base64.b64encode(f"\0{address}\0{PASSWORD}".encode()).decode()
    _, final = raw.command(f'AUTHENTICATE "PLAIN" "{ir}"')
    assert final.startswith(b"NO"), final
    raw.close()


def test_sieve_connect_over_starttls(kurier, sieve_user, tmp_path):
    address, password = sieve_user
    script = tmp_path / "vacation.sieve"
    script.write_text(VALID)
    pwfile = tmp_path / "pw"
    pwfile.write_text(password + "\n")

    def sieve_connect(*args, check=True):
        with open(pwfile) as pw:
            r = subprocess.run(["sieve-connect", "--server", kurier.host, "--port", str(kurier.port("managesieve")),
                                "--user", address, "--passwordfd", str(pw.fileno()), "--tlscafile", str(kurier.cert),
                                "--tlshostname", "localhost", *args], pass_fds=(pw.fileno(),),
                               capture_output=True, text=True, timeout=60)
        if check:
            assert r.returncode == 0, r.stderr
        return r

    sieve_connect("--upload", "--localsieve", str(script), "--remotesieve", "vacation")
    sieve_connect("--activate", "--remotesieve", "vacation")
    listed = sieve_connect("--list").stdout
    assert "vacation" in listed and "ACTIVE" in listed.upper(), listed
    out = tmp_path / "back.sieve"
    sieve_connect("--download", "--remotesieve", "vacation", "--localsieve", str(out))
    assert out.read_text().replace("\r\n", "\n") == VALID.replace("\r\n", "\n")
    assert sieve_connect("--delete", "--remotesieve", "vacation", check=False).returncode != 0, "active"
    sieve_connect("--deactivate")
    sieve_connect("--delete", "--remotesieve", "vacation")
    assert "vacation" not in sieve_connect("--list").stdout
    bad = tmp_path / "bad.sieve"
    bad.write_text(INVALID)
    r = sieve_connect("--upload", "--localsieve", str(bad), "--remotesieve", "bad", check=False)
    assert r.returncode != 0 and "line 3" in (r.stdout + r.stderr), r.stdout + r.stderr


def test_cli_applies_the_same_rules(kurier, sieve_user, tmp_path):
    address, _ = sieve_user
    good = tmp_path / "good.sieve"
    good.write_text(VALID)
    bad = tmp_path / "bad.sieve"
    bad.write_text(INVALID)
    kurier.cli("sieve", "put", address, "filter", str(good), "--activate")
    r = kurier.cli("sieve", "put", address, "broken", str(bad), check=False)
    assert r.returncode == 1 and "line 3" in r.stderr, r.stderr
    assert kurier.cli("sieve", "check", address, str(bad), check=False).returncode == 1
    kurier.cli("sieve", "check", address, str(good))
    listed = kurier.cli("--json", "sieve", "list", address).stdout
    assert '"name": "filter"' in listed and '"active": true' in listed, listed
    assert kurier.cli("sieve", "get", address, "filter").stdout == VALID.replace("\r\n", "\n")
    assert kurier.cli("sieve", "remove", address, "filter", check=False).returncode == 1  # active
    kurier.cli("sieve", "deactivate", address)
    kurier.cli("sieve", "remove", address, "filter")
    # What the CLI stored, ManageSieve shows: one store, one set of rules.
    kurier.cli("sieve", "put", address, "from-cli", "-", input="keep;\r\n")
    raw = RawSieve(kurier)
    raw.login(address)
    assert raw.command("LISTSCRIPTS")[0] == [b'"from-cli"']
    raw.close()


def test_legacy_port_serves_managesieve(fresh_kurier):
    from conftest import free_port
    k = fresh_kurier
    port = free_port()
    k.set_config("sieve", "legacy_port", str(port))
    k.start()
    raw = RawSieve(k, port=port)
    assert raw.greeting[1].startswith(b"OK")
    raw.close()


def test_an_admin_acts_for_users_of_its_domains_only(kurier, sieve_user):
    address, _ = sieve_user
    kurier.cli("sieve", "put", address, "users-own", "-", input="keep;\r\n")
    kurier.cli("domain", "add", "other-ms.test")
    kurier.cli("admin", "add", "ms-domain-admin", "--password-stdin", "--domain", kurier.domain, input="admin-pass-1\n")
    kurier.cli("admin", "add", "ms-other-admin", "--password-stdin", "--domain", "other-ms.test", input="admin-pass-2\n")

    def as_admin(admin, password):
        raw = RawSieve(kurier)
        ir = base64.b64encode(f"{address}\0{admin}\0{password}".encode()).decode()
        _, final = raw.command(f'AUTHENTICATE "PLAIN" "{ir}"')
        return raw, final

    raw, final = as_admin("ms-domain-admin", "admin-pass-1")
    assert final.startswith(b"OK"), final
    assert raw.command("LISTSCRIPTS")[0] == [b'"users-own"'], "the user's scripts, not the admin's"
    raw.close()
    raw, final = as_admin("ms-other-admin", "admin-pass-2")
    assert final.startswith(b"NO"), "not delegated the user's domain"
    raw.close()
    raw, final = as_admin("ms-domain-admin", "wrong")
    assert final.startswith(b"NO")
    raw.close()
