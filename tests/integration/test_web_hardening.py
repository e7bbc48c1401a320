"""The second round of the web security review against a real `kurier serve` with http.client:
domain caps that hold under racing requests (M3), a reverse proxy's headers believed only from
[web] trusted_proxies (L3), the login's answers that tell nothing about names (L1), API keys and
second factors that die with their owner (L2), the sieve switch on the web (L4), the audit
entry's domain from the object really changed (L6) and fixed texts for internal errors (L8)."""
import json
import threading

import pytest

from conftest import PASSWORD
from web_support import Api, admin_api, q
from test_web_api import assert_problem, new_account, new_domain, unique


@pytest.fixture(scope="module")
def admin(kurier):
    return admin_api(kurier)


def domain_admin(kurier, admin, domain):
    name = unique("cap")
    status, body = admin.post("/api/v1/admins", {"name": name, "password": "domain-admin-pw", "domains": [domain]})
    assert status == 201, body
    return name


def in_parallel(kurier, login, requests):
    """Sends each (method, path, body) at once, one connection and session each; the statuses."""
    apis = []
    for _ in requests:
        api = Api(kurier)
        api.login(*login)
        apis.append(api)
    barrier = threading.Barrier(len(requests))
    statuses = [None] * len(requests)

    def run(i):
        method, path, body = requests[i]
        barrier.wait()
        statuses[i] = apis[i].call(method, path, body)[0]

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(requests))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return statuses


# ---- M3: caps under racing requests -------------------------------------------------------------

def test_racing_creations_cannot_exceed_the_total_quota(kurier, admin):
    domain = new_domain(admin, total_quota=10 << 20)
    name = domain_admin(kurier, admin, domain)
    requests = [("POST", "/api/v1/accounts", {"address": f"race{i}@{domain}", "password": PASSWORD, "quota": 10 << 20})
                for i in range(4)]
    statuses = in_parallel(kurier, (name, "domain-admin-pw"), requests)
    assert sorted(statuses) == [201, 409, 409, 409], statuses
    status, d = admin.get("/api/v1/domains/" + domain)
    assert d["accounts"] == 1 and d["allocated_quota"] == 10 << 20


def test_racing_creations_cannot_exceed_max_accounts(kurier, admin):
    domain = new_domain(admin, max_accounts=1)
    requests = [("POST", "/api/v1/accounts", {"address": f"race{i}@{domain}", "password": PASSWORD}) for i in range(4)]
    statuses = in_parallel(kurier, ("admin", kurier.admin_password), requests)
    assert sorted(statuses) == [201, 409, 409, 409], statuses
    assert admin.get("/api/v1/domains/" + domain)[1]["accounts"] == 1


def test_racing_quota_raises_cannot_exceed_the_total_quota(kurier, admin):
    domain = new_domain(admin, total_quota=10 << 20, default_quota=1 << 20)
    accounts = [new_account(admin, domain) for _ in range(4)]
    name = domain_admin(kurier, admin, domain)
    requests = [("PATCH", "/api/v1/accounts/" + q(a), {"quota": 7 << 20}) for a in accounts]
    statuses = in_parallel(kurier, (name, "domain-admin-pw"), requests)
    assert sorted(statuses) == [200, 409, 409, 409], statuses
    assert admin.get("/api/v1/domains/" + domain)[1]["allocated_quota"] == (7 << 20) + 3 * (1 << 20)


# ---- L1: the login says nothing about which names exist -----------------------------------------

def test_a_disabled_account_answers_like_a_wrong_password(kurier, admin):
    address = new_account(admin, new_domain(admin))
    assert admin.patch("/api/v1/accounts/" + q(address), {"enabled": False})[0] == 200
    right = Api(kurier).login(address, PASSWORD, expect=401)
    wrong = Api(kurier).login(address, "not-the-password", expect=401)
    assert right["code"] == wrong["code"] == "bad_credentials" and right["detail"] == wrong["detail"]


def test_unknown_names_count_as_failures_like_known_ones(kurier):
    # A name that is neither an admin nor a login earns a failure (and so a throttle delay) like
    # a known name does; before, only existing names were ever counted.
    name = unique("ghost")
    Api(kurier).login(name, "whatever-123", expect=401)
    assert f"auth.failed user={name} " in kurier.log_text()


# ---- L2: keys and second factors die with their owner ---------------------------------------------

def test_an_admins_api_keys_do_not_come_back_with_its_name(kurier, admin):
    domain = new_domain(admin)
    name = domain_admin(kurier, admin, domain)
    da = Api(kurier)
    da.login(name, "domain-admin-pw")
    status, key = da.post("/api/v1/api-keys", {"name": "ci", "domains": [domain]})
    assert status == 201
    bot = Api(kurier)
    bot.bearer = key["key"]
    assert bot.get("/api/v1/domains")[0] == 200
    assert admin.delete("/api/v1/admins/" + q(name))[0] == 204
    assert admin.post("/api/v1/admins", {"name": name, "password": "domain-admin-pw", "domains": [domain]})[0] == 201
    assert_problem(*bot.get("/api/v1/domains"), 401, "invalid_api_key")
    listed = {k["id"]: k for k in admin.get("/api/v1/api-keys")[1]["items"]}
    assert listed[key["id"]]["revoked_at"] > 0


def test_a_recreated_account_does_not_inherit_the_second_factor(kurier, admin):
    from test_web_api import _enable_totp
    domain = new_domain(admin)
    address = new_account(admin, domain)
    user = Api(kurier)
    user.login(address, PASSWORD)
    _enable_totp(user)
    assert Api(kurier).login(address, PASSWORD, expect=401)["code"] == "totp_required"
    assert admin.delete("/api/v1/accounts/" + q(address))[0] == 204
    assert admin.post("/api/v1/accounts", {"address": address, "password": PASSWORD})[0] == 201
    assert Api(kurier).login(address, PASSWORD)["username"] == address


# ---- L3: trusted reverse proxies ------------------------------------------------------------------

def proxied(k, method, path, client, proto="https", body=None, extra=None, cookie=None):
    headers = {"X-Forwarded-For": client, "X-Forwarded-Proto": proto, **(extra or {})}
    api = Api(k)
    if cookie:
        api.cookie = cookie
    return api.raw(method, path, body, headers)


def test_a_trusted_proxy_names_the_client_and_its_scheme(fresh_kurier):
    k = fresh_kurier
    k.set_config("web", "trusted_proxies", '["127.0.0.1"]')
    k.start()
    # /metrics stays closed to clients the proxy passes on from outside.
    status, _, data = proxied(k, "GET", "/metrics", "203.0.113.7")
    assert status == 403 and b"203.0.113.7" in data
    assert Api(k).raw("GET", "/metrics")[0] == 200  # the proxy host itself (no header) may
    # https at the proxy: a Secure, __Host- cookie and HSTS.
    status, hdrs, data = proxied(k, "POST", "/api/v1/session", "198.51.100.9",
                                 body={"username": "admin", "password": k.admin_password})
    assert status == 200, data
    assert hdrs["set-cookie"].startswith("__Host-kurier_session=") and "; Secure" in hdrs["set-cookie"]
    assert "max-age=" in hdrs["strict-transport-security"]
    cookie = hdrs["set-cookie"].split(";")[0]
    csrf = json.loads(data)["csrf_token"]
    # The audit log records the client, the right-most address the proxy did not add itself;
    # what the client put left of it is its own invention.
    name = unique("px") + ".test"
    status, _, _ = proxied(k, "POST", "/api/v1/domains", "10.9.9.9, 198.51.100.9", body={"name": name},
                           extra={"X-CSRF-Token": csrf}, cookie=cookie)
    assert status == 201
    admin = admin_api(k)
    entry = [e for e in admin.get("/api/v1/audit")[1]["items"] if e["object"] == name][0]
    assert entry["ip"] == "198.51.100.9"
    # Plain http at the proxy from outside goes to https; a broken header is refused.
    status, hdrs, _ = proxied(k, "GET", "/api/v1/domains", "198.51.100.9", proto="http")
    assert status == 308 and hdrs["location"].startswith("https://localhost:")
    assert proxied(k, "GET", "/api/v1/domains", "not-an-address")[0] == 400


def test_forwarded_headers_are_ignored_without_trusted_proxies(kurier, admin):
    status, _, _ = proxied(kurier, "GET", "/metrics", "203.0.113.7")
    assert status == 200  # loopback, as the socket says
    status, hdrs, _ = proxied(kurier, "POST", "/api/v1/session", "203.0.113.7",
                              body={"username": "admin", "password": kurier.admin_password})
    assert status == 200 and hdrs["set-cookie"].startswith("kurier_session=") and "Secure" not in hdrs["set-cookie"]


# ---- L4: the sieve switch holds on the web --------------------------------------------------------

def test_sieve_switched_off_refuses_web_filters_and_vacation(kurier, admin):
    address = new_account(admin, new_domain(admin))
    user = Api(kurier)
    user.login(address, PASSWORD)
    assert user.get("/api/v1/me/sieve")[0] == 200
    assert admin.patch("/api/v1/accounts/" + q(address), {"services": {"sieve": False}})[0] == 200
    for method, path, body in [("GET", "/api/v1/me/sieve", None),
                               ("PUT", "/api/v1/me/sieve/f", {"content": 'redirect "x@evil.test";'}),
                               ("PUT", "/api/v1/me/vacation", {"enabled": True, "subject": "away", "text": "gone"}),
                               ("GET", "/api/v1/me/vacation", None)]:
        assert_problem(*user.call(method, path, body), 403, "service_disabled")
    with __import__("imaplib").IMAP4(kurier.host, kurier.port("imap")) as m:
        m.login(address, PASSWORD)  # other services are untouched


# ---- L6: the audit entry's domain is the changed object's ----------------------------------------

def test_the_audit_domain_is_the_resolved_objects(kurier, admin):
    domain = new_domain(admin, username_scheme="prefix", prefix="aud")
    address = new_account(admin, domain)
    login = admin.get("/api/v1/accounts/" + q(address))[1]["login"]
    name = domain_admin(kurier, admin, domain)
    da = Api(kurier)
    da.login(name, "domain-admin-pw")
    assert admin.patch("/api/v1/accounts/" + q(login), {"display_name": "by login"})[0] == 200
    assert admin.patch("/api/v1/accounts/" + q(address.upper() + "."), {"display_name": "odd spelling"})[0] == 200
    entries = [e for e in da.get("/api/v1/audit?limit=100")[1]["items"] if e["action"].startswith("PATCH /api/v1/accounts")]
    # Both changes are visible to the domain's co-admin, filed under the account's address.
    assert [e["object"] for e in entries[:2]] == [address, address]
    assert all(e["domain"] == domain for e in entries[:2])


def test_alias_loop_check_does_not_walk_other_tenants(kurier, admin):
    mine, theirs = new_domain(admin), new_domain(admin)
    name = domain_admin(kurier, admin, mine)
    da = Api(kurier)
    da.login(name, "domain-admin-pw")
    # Another tenant's alias pointing into this domain: refusing a@mine -> t@theirs as a loop
    # would tell the domain admin what t@theirs forwards to.
    assert admin.post("/api/v1/aliases", {"source": f"t@{theirs}", "targets": [f"a@{mine}"]})[0] == 201
    status, body = da.post("/api/v1/aliases", {"source": f"a@{mine}", "targets": [f"t@{theirs}"]})
    assert status == 201, body
    # Within its own domains a loop is still refused.
    assert da.post("/api/v1/aliases", {"source": f"b@{mine}", "targets": [f"c@{mine}"]})[0] == 201
    assert_problem(*da.post("/api/v1/aliases", {"source": f"c@{mine}", "targets": [f"b@{mine}"]}), 400, "invalid_input")


# ---- info items: narrow keys, server-wide traffic --------------------------------------------------

def test_a_narrow_api_key_cannot_see_or_revoke_wider_keys(kurier, admin):
    a, b = new_domain(admin), new_domain(admin)
    name = unique("keys")
    assert admin.post("/api/v1/admins", {"name": name, "password": "domain-admin-pw", "domains": [a, b]})[0] == 201
    da = Api(kurier)
    da.login(name, "domain-admin-pw")
    wide = da.post("/api/v1/api-keys", {"name": "wide", "domains": [a, b]})[1]
    narrow = da.post("/api/v1/api-keys", {"name": "narrow", "domains": [a]})[1]
    bot = Api(kurier)
    bot.bearer = narrow["key"]
    assert [k["id"] for k in bot.get("/api/v1/api-keys")[1]["items"]] == [narrow["id"]]
    assert_problem(*bot.delete(f"/api/v1/api-keys/{wide['id']}"), 404, "not_found")
    user = Api(kurier)
    user.bearer = wide["key"]
    assert user.get("/api/v1/domains")[0] == 200  # still live
    # The admin's own login sees both.
    assert {k["id"] for k in da.get("/api/v1/api-keys")[1]["items"]} == {wide["id"], narrow["id"]}


def test_server_wide_traffic_is_for_super_admins_only(kurier, admin):
    domain = new_domain(admin)
    name = domain_admin(kurier, admin, domain)
    da = Api(kurier)
    da.login(name, "domain-admin-pw")
    status, s = da.get("/api/v1/stats")
    assert status == 200 and "hourly" not in s and [d["domain"] for d in s["storage"]] == [domain]
    assert len(admin.get("/api/v1/stats")[1]["hourly"]) == 48


# ---- L8: no internals in answers ------------------------------------------------------------------

def test_a_directory_failure_answers_a_fixed_text(fresh_kurier):
    k = fresh_kurier
    if k.directory_dsn:
        pytest.skip("breaks the SQLite file only")
    k.start()
    api = admin_api(k)
    # The audit log's table goes from under the running server: reading it fails in SQL.
    import sqlite3
    db = sqlite3.connect(str(k.dir / "directory.db"))
    db.execute("ALTER TABLE audit_log RENAME TO audit_log_gone")
    db.commit()
    db.close()
    status, problem = api.get("/api/v1/audit")
    assert_problem(status, problem, 503, "unavailable")
    assert "audit_log" not in problem["detail"] and "table" not in problem["detail"]
    assert "api.unavailable" in k.log_text()


# ---- per-login preferences on the server -----------------------------------------------------------

def test_preferences_are_kept_per_login_and_validated(kurier, admin):
    address = new_account(admin, new_domain(admin))
    user = Api(kurier)
    user.login(address, PASSWORD)
    assert user.get("/api/v1/me/preferences") == (200, {})
    status, prefs = user.put("/api/v1/me/preferences", {"language": "de", "page_size": 25, "quota_warning_percent": 70})
    assert status == 200 and prefs == {"language": "de", "page_size": 25, "quota_warning_percent": 70}
    # Another browser of the same login gets them, with the session.
    other = Api(kurier)
    who = other.login(address, PASSWORD)
    assert who["language"] == "de" and who["quota_warning_percent"] == 70 and who["preferences"]["page_size"] == 25
    assert other.get("/api/v1/me/preferences")[1] == prefs
    # Somebody else's are their own.
    assert admin.get("/api/v1/me/preferences") == (200, {})
    for bad in ({"language": "deutsch"}, {"page_size": 5}, {"page_size": "20"}, {"quota_warning_percent": 101},
                {"colour": "red"}, {"language": "de", "x": "y" * 3000}):
        status, problem = user.put("/api/v1/me/preferences", bad)
        assert status in (400, 413), (bad, status, problem)
    assert user.get("/api/v1/me/preferences")[1] == prefs  # nothing changed
    # PUT replaces: unset fields go.
    assert user.put("/api/v1/me/preferences", {"page_size": 100})[1] == {"page_size": 100}
    # Preferences belong to logins: a key, or no session, gets none.
    assert_problem(*Api(kurier).get("/api/v1/me/preferences"), 401, "unauthenticated")
    status, key = admin.post("/api/v1/api-keys", {"name": "prefs", "role": "super-admin"})
    bot = Api(kurier)
    bot.bearer = key["key"]
    assert_problem(*bot.get("/api/v1/me/preferences"), 403, "forbidden")
    # A CSRF token is needed like for every cookie write.
    assert_problem(*user.put("/api/v1/me/preferences", {"page_size": 20}, csrf=False), 403, "csrf_token_invalid")


# ---- info: sensitive writes need the password again -------------------------------------------------

def test_a_session_alone_cannot_switch_on_totp_or_mint_credentials(kurier, admin):
    address = new_account(admin, new_domain(admin))
    user = Api(kurier)
    user.login(address, PASSWORD)
    for path, body in [("/api/v1/totp", {}), ("/api/v1/me/app-passwords", {"name": "phone"})]:
        assert_problem(*user.call("POST", path, body, reauth=False), 400, "invalid_input")
        assert_problem(*user.post(path, {**body, "password": "not-the-password"}), 403, "forbidden")
    assert user.get("/api/v1/totp")[1] == {"enabled": False, "pending": False}
    assert user.get("/api/v1/me/app-passwords")[1]["items"] == []
    assert user.post("/api/v1/me/app-passwords", {"name": "phone", "password": PASSWORD})[0] == 201
    # An admin's API keys likewise; the wrong guesses were counted like login failures.
    assert_problem(*admin.post("/api/v1/api-keys", {"name": "x", "role": "super-admin", "password": "nope-nope"}), 403, "forbidden")
    assert admin.post("/api/v1/api-keys", {"name": "x", "role": "super-admin"})[0] == 201
    assert f"auth.failed user={address} " in kurier.log_text() and "auth.failed user=admin " in kurier.log_text()
    assert "not-the-password" not in kurier.log_text() and "nope-nope" not in kurier.log_text()
