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
    assert u["quota"] == 5 << 20 and u["display_name"] == "Alice A" and u["enabled"] is True
    k.cli("user", "set", "alice@example.test", "--enabled", "no", "--disable", "pop3", "--quota", "1G")
    u = json.loads(k.cli("user", "show", "alice@example.test", "--json").stdout)
    assert u["enabled"] is False and u["services"]["pop3"] is False and u["quota"] == 1 << 30
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
    assert admins["admin"]["super"] is True
    assert admins["delegate"] == {"name": "delegate", "super": False, "domains": ["example.test"]}
    k.cli("admin", "remove", "delegate")
    assert "delegate" not in k.cli("admin", "list").stdout


def test_json_is_the_apis_resource_json(fresh_kurier):
    """`--json` prints each resource exactly as the API answers it (one shape, the API's)."""
    from web_support import admin_api, q
    k = fresh_kurier
    k.cli("domain", "add", "shape.test", "--default-quota", "1M")
    k.add_user("bob@shape.test")
    k.cli("alias", "add", "info@shape.test", "bob@shape.test")
    k.cli("admin", "add", "shaper", "--password-stdin", "--domain", "shape.test", input="password-1\n")
    k.start()
    api = admin_api(k)
    cli = lambda *args: json.loads(k.cli(*args, "--json").stdout)
    resource = lambda: api.get("/api/v1/accounts/" + q("bob@shape.test"))[1]
    without = lambda j, *keys: {key: v for key, v in j.items() if key not in keys}
    assert cli("user", "show", "bob@shape.test") == resource()
    # List items as the API pages them (the API adds the mail store's usage_bytes, which the CLI
    # does not open).
    listed = [without(a, "usage_bytes") for a in api.get("/api/v1/accounts?domain=shape.test")[1]["items"]]
    assert cli("user", "list", "shape.test") == listed == [without(resource(), "forwarding")]
    assert cli("alias", "list", "shape.test") == api.get("/api/v1/aliases?domain=shape.test")[1]["items"]
    assert cli("admin", "list") == api.get("/api/v1/admins")[1]["items"]
    # A change prints what the API's PATCH answers: the resource.
    assert cli("user", "set", "bob@shape.test", "--quota", "2M") == without(resource(), "forwarding")


def test_cli_changes_are_audited(fresh_kurier):
    """Every change the CLI makes is in the audit log, by cli:<unix user>, with no address."""
    import pwd
    import os
    k = fresh_kurier
    me = "cli:" + pwd.getpwuid(os.getuid()).pw_name
    k.cli("domain", "add", "audit.test", "--max-accounts", "5")
    k.cli("domain", "set", "audit.test", "--max-accounts", "6")
    k.add_user("dora@audit.test")
    k.cli("user", "set", "dora@audit.test", "--password-stdin", "--quota", "3M", input="secret-new-pw-9\n")
    k.cli("alias", "add", "info@audit.test", "dora@audit.test")
    k.cli("alias", "remove", "info@audit.test")
    k.cli("admin", "add", "auditor", "--password-stdin", "--domain", "audit.test", input="secret-admin-pw\n")
    k.cli("admin", "remove", "auditor")
    k.cli("user", "remove", "dora@audit.test")
    k.cli("domain", "remove", "audit.test")
    # A refused change leaves no entry.
    k.cli("user", "add", "x@nowhere.test", "--password-stdin", input="password-1\n", check=False)
    text = k.cli("audit", "export").stdout
    entries = [json.loads(line) for line in text.splitlines()]
    mine = [e for e in entries if e["actor"] == me]
    assert [e["action"] for e in reversed(mine)][-10:] == [
        "POST /api/v1/domains", "PATCH /api/v1/domains/{domain}", "POST /api/v1/accounts",
        "PATCH /api/v1/accounts/{address}", "POST /api/v1/aliases", "DELETE /api/v1/aliases/{source}",
        "POST /api/v1/admins", "DELETE /api/v1/admins/{name}", "DELETE /api/v1/accounts/{address}",
        "DELETE /api/v1/domains/{domain}"]
    assert all(e["ip"] == "" and e["role"] == "system" for e in mine)
    by_action = {e["action"]: e for e in mine}
    patch = by_action["PATCH /api/v1/accounts/{address}"]
    assert patch["object"] == "dora@audit.test" and patch["domain"] == "audit.test"
    assert patch["before"]["quota"] != 3 << 20 and patch["after"]["quota"] == 3 << 20
    assert by_action["PATCH /api/v1/domains/{domain}"]["after"]["max_accounts"] == 6
    assert by_action["DELETE /api/v1/domains/{domain}"]["after"] is None
    assert by_action["POST /api/v1/admins"]["domain"] == ""
    assert "secret-new-pw-9" not in text and "secret-admin-pw" not in text and "password_hash" not in text
    assert "x@nowhere.test" not in text
    # The domain filter of the export and the API's view show the same entries.
    assert [json.loads(l)["id"] for l in k.cli("audit", "export", "--domain", "audit.test").stdout.splitlines()] == \
        [e["id"] for e in entries if e["domain"] == "audit.test"]


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
