"""The administration CLI of docs/INTERFACE.md against a running server: round trips, --json, and every
bad-input case exits 1 with one clear line on stderr and changes nothing."""
import json
import subprocess

import pytest


def state(k):
    """Everything the directory holds, as the CLI shows it."""
    return {what: json.loads(k.cli(what, "list", "--json").stdout) for what in ("domain", "user", "alias", "admin")}


def fails(k, *args, input=None, expect=1):
    r = k.cli(*args, input=input, check=False)
    assert r.returncode == expect, f"{args}: exit {r.returncode}, stderr {r.stderr!r}"
    lines = [l for l in r.stderr.splitlines() if l.strip()]
    if expect == 1:
        assert len(lines) == 1, f"{args}: want one line on stderr, got {r.stderr!r}"
        assert lines[0].startswith("kurier: ")
    return r.stderr


def test_domain_round_trip(fresh_kurier):
    k = fresh_kurier
    out = k.cli("domain", "add", "Round.Trip.test", "--default-quota", "10M", "--max-accounts", "5").stdout
    # DKIM keys are made with the domain, and the records to publish are printed.
    assert 'kurier._domainkey.round.trip.test. IN TXT "v=DKIM1; k=rsa; p=' in out, out
    assert "kurier-ed25519._domainkey.round.trip.test. IN TXT" in out, out
    assert "_domainkey.round.trip.test" in k.cli("domain", "show", "round.trip.test").stdout
    d = json.loads(k.cli("domain", "show", "round.trip.test", "--json").stdout)
    assert d["name"] == "round.trip.test"
    assert d["default_quota"] == 10 * 1024 * 1024
    assert d["max_accounts"] == 5
    k.cli("domain", "set", "round.trip.test", "--default-quota", "20M")
    assert json.loads(k.cli("domain", "show", "round.trip.test", "--json").stdout)["default_quota"] == 20 << 20
    human = k.cli("domain", "list").stdout
    assert "round.trip.test" in human and "example.test" in human
    k.cli("domain", "remove", "round.trip.test")
    assert "round.trip.test" not in k.cli("domain", "list").stdout


def test_user_round_trip(fresh_kurier):
    k = fresh_kurier
    k.cli("user", "add", "Alice@Example.test", "--password-stdin", "--quota", "5M", "--name", "Alice A",
          input="password-1\n")
    u = json.loads(k.cli("user", "show", "alice@example.test", "--json").stdout)
    assert u["address"] == "alice@example.test" and u["login"] == "alice@example.test"
    assert u["quota"] == 5 << 20 and u["name"] == "Alice A" and u["enabled"] is True
    k.cli("user", "set", "alice@example.test", "--enabled", "no", "--disable", "pop3", "--quota", "1G")
    u = json.loads(k.cli("user", "show", "alice@example.test", "--json").stdout)
    assert u["enabled"] is False and "pop3" not in u["services"] and u["quota"] == 1 << 30
    assert [x["address"] for x in json.loads(k.cli("user", "list", "example.test", "--json").stdout)] == [
        "alice@example.test"]
    k.cli("user", "remove", "alice@example.test")
    assert json.loads(k.cli("user", "list", "--json").stdout) == []


def test_password_file_and_prefix_scheme(fresh_kurier, tmp_path):
    k = fresh_kurier
    k.cli("domain", "add", "seed.test", "--username-scheme", "prefix", "--prefix", "test")
    pw = tmp_path / "pw"
    pw.write_text("password-1\n")
    out = k.cli("user", "add", "first@seed.test", "--password-file", str(pw)).stdout
    assert "test0001" in out
    second = json.loads(k.cli("user", "add", "second@seed.test", "--password-file", str(pw), "--json").stdout)
    assert second["login"] == "test0002"


def test_alias_round_trip(fresh_kurier):
    k = fresh_kurier
    k.add_user("bob@example.test")
    k.cli("alias", "add", "info@example.test", "bob@example.test", "someone@elsewhere.test")
    k.cli("alias", "add", "@example.test", "bob@example.test")
    k.cli("domain", "add", "other.test")
    k.cli("alias", "add", "@other.test", "@example.test")
    aliases = {a["source"]: a["targets"] for a in json.loads(k.cli("alias", "list", "--json").stdout)}
    assert aliases["info@example.test"] == ["bob@example.test", "someone@elsewhere.test"]
    assert aliases["@example.test"] == ["bob@example.test"]
    assert aliases["@other.test"] == ["@example.test"]
    k.cli("alias", "remove", "info@example.test", "someone@elsewhere.test")
    aliases = {a["source"]: a["targets"] for a in json.loads(k.cli("alias", "list", "example.test", "--json").stdout)}
    assert aliases["info@example.test"] == ["bob@example.test"]
    k.cli("alias", "remove", "info@example.test")
    assert "info@example.test" not in k.cli("alias", "list").stdout


def test_admin_round_trip(fresh_kurier):
    k = fresh_kurier
    k.cli("admin", "add", "delegate", "--password-stdin", "--domain", "example.test", input="password-1\n")
    admins = {a["name"]: a for a in json.loads(k.cli("admin", "list", "--json").stdout)}
    assert admins["admin"]["role"] == "super"
    assert admins["delegate"] == {"name": "delegate", "role": "domain", "domains": ["example.test"]}
    k.cli("admin", "remove", "delegate")
    assert "delegate" not in k.cli("admin", "list").stdout


BAD_INPUT = [
    ("malformed address", ("user", "add", "not-an-address", "--password-stdin"), "password-1\n"),
    ("malformed address 2", ("user", "add", "a..b@example.test", "--password-stdin"), "password-1\n"),
    ("unknown domain", ("user", "add", "x@unknown.test", "--password-stdin"), "password-1\n"),
    ("duplicate user", ("user", "add", "taken@example.test", "--password-stdin"), "password-1\n"),
    ("duplicate domain", ("domain", "add", "example.test"), None),
    ("bad domain name", ("domain", "add", "no_underscores.test"), None),
    ("quota syntax", ("user", "add", "q@example.test", "--password-stdin", "--quota", "12X"), "password-1\n"),
    ("quota syntax on set", ("user", "set", "taken@example.test", "--quota", "-5"), None),
    ("domain quota syntax", ("domain", "add", "q.test", "--default-quota", "lots"), None),
    ("alias loop to itself", ("alias", "add", "loop@example.test", "loop@example.test"), None),
    ("alias of unknown domain", ("alias", "add", "a@unknown.test", "taken@example.test"), None),
    ("alias bad target", ("alias", "add", "a@example.test", "not an address"), None),
    ("beyond max accounts", ("user", "add", "third@limited.test", "--password-stdin"), "password-1\n"),
    ("reserved postmaster", ("user", "add", "postmaster@example.test", "--password-stdin"), "password-1\n"),
    ("short password", ("user", "add", "short@example.test", "--password-stdin"), "pw\n"),
    ("remove unknown user", ("user", "remove", "ghost@example.test"), None),
    ("remove unknown alias", ("alias", "remove", "ghost@example.test"), None),
    ("remove unknown domain", ("domain", "remove", "ghost.test"), None),
    ("last super-admin", ("admin", "remove", "admin"), None),
    ("admin of unknown domain", ("admin", "add", "x", "--password-stdin", "--domain", "ghost.test"), "password-1\n"),
    ("unknown service", ("user", "set", "taken@example.test", "--disable", "gopher"), None),
]


@pytest.fixture(scope="module")
def populated(tmp_path_factory):
    from conftest import Kurier
    k = Kurier(tmp_path_factory.mktemp("bad-input"))
    k.add_user("taken@example.test")
    k.cli("domain", "add", "limited.test", "--max-accounts", "2")
    k.add_user("one@limited.test")
    k.add_user("two@limited.test")
    return k


@pytest.mark.parametrize("name,args,stdin", BAD_INPUT, ids=[b[0] for b in BAD_INPUT])
def test_bad_input_exits_1_and_changes_nothing(populated, name, args, stdin):
    before = state(populated)
    fails(populated, *args, input=stdin)
    assert state(populated) == before


def test_usage_errors_exit_2(fresh_kurier):
    fails(fresh_kurier, "frobnicate", expect=2)
    fails(fresh_kurier, "user", "add", expect=2)
    fails(fresh_kurier, "domain", expect=2)


def test_init_refuses_to_overwrite(fresh_kurier):
    k = fresh_kurier
    before = k.config.read_text()
    r = k.run_cli("init", "--data-dir", str(k.dir), "--hostname", "localhost", config=False, check=False)
    assert r.returncode == 1 and "refusing to overwrite" in r.stderr
    assert k.config.read_text() == before


def test_check_config_prints_effective_settings_and_rejects_unknown_keys(fresh_kurier):
    k = fresh_kurier
    out = k.cli("check-config").stdout
    assert f"port_offset = {k.offset}" in out and 'hostname = "localhost"' in out
    k.set_config("limits", "no_such_key", "1")
    r = k.cli("check-config", check=False)
    assert r.returncode == 1
    line = k.config.read_text().splitlines().index("no_such_key = 1") + 1
    assert f"kurier.toml:{line}:" in r.stderr and "no_such_key" in r.stderr, r.stderr
