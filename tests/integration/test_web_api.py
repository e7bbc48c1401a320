"""The JSON API /api/v1 against a real `kurier serve` with http.client: every resource, the
role boundaries (super-admin, domain admin, user), CSRF, sessions, problem+json errors that
change nothing, and the HTTP server's limits and headers."""
import gzip
import imaplib
import itertools
import json
import os
import socket
import ssl
import http.client
from pathlib import Path

import pytest

from conftest import PASSWORD, wait_for
from web_support import Api, admin_api, q

ROOT = Path(__file__).resolve().parents[2]
_n = itertools.count()


def unique(prefix="d"):
    return f"{prefix}{next(_n)}-{os.getpid()}"


def new_domain(api, **settings):
    name = unique("web") + ".test"
    status, body = api.post("/api/v1/domains", {"name": name, **settings})
    assert status == 201, body
    return name


def new_account(api, domain, password=PASSWORD, **extra):
    address = f"{unique('u')}@{domain}"
    status, body = api.post("/api/v1/accounts", {"address": address, "password": password, **extra})
    assert status == 201, body
    return address


def assert_problem(status, body, expected_status, code=None):
    assert status == expected_status, (status, body)
    assert body["status"] == expected_status and "detail" in body and "title" in body, body
    if code:
        assert body["code"] == code, body


@pytest.fixture(scope="module")
def admin(kurier):
    return admin_api(kurier)


# ---- the HTTP layer ----------------------------------------------------------------------------

def test_anonymous_requests_get_401_json_on_every_route(kurier):
    doc = json.loads((ROOT / "docs/openapi.json").read_text())
    api = Api(kurier)
    for path, ops in doc["paths"].items():
        concrete = path.replace("{domain}", "example.test").replace("{address}", "a@example.test") \
            .replace("{source}", "a@example.test").replace("{name}", "x").replace("{id}", "ABC")
        for method, op in ops.items():
            if op.get("security") == []:
                continue
            status, body = api.call(method.upper(), concrete, {} if method != "get" else None)
            assert_problem(status, body, 401, "unauthenticated")


def test_security_headers_on_every_answer(kurier, admin):
    for method, path in [("GET", "/api/v1/domains"), ("GET", "/api/v1/nothing"), ("GET", "/"), ("GET", "/metrics")]:
        status, hdrs, _ = admin.raw(method, path)
        csp = hdrs["content-security-policy"]
        assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert hdrs["x-content-type-options"] == "nosniff"
        assert hdrs["referrer-policy"] == "no-referrer"


def test_https_serves_the_api_with_hsts_and_a_secure_cookie(kurier):
    api = Api(kurier, tls=True)
    status, hdrs, data = api.raw("POST", "/api/v1/session", {"username": "admin", "password": kurier.admin_password})
    assert status == 200, data
    cookie = hdrs["set-cookie"]
    for attribute in ("HttpOnly", "SameSite=Strict", "Secure", "Max-Age="):
        assert attribute in cookie, cookie
    assert "max-age=" in hdrs["strict-transport-security"]


def test_plain_http_cookie_is_not_secure_on_loopback(kurier):
    status, hdrs, _ = Api(kurier).raw("POST", "/api/v1/session", {"username": "admin", "password": kurier.admin_password})
    assert status == 200 and "HttpOnly" in hdrs["set-cookie"] and "Secure" not in hdrs["set-cookie"]


def test_unknown_route_and_wrong_method(admin):
    status, body = admin.get("/api/v1/nothing")
    assert_problem(status, body, 404, "not_found")
    status, hdrs, data = admin.raw("PUT", "/api/v1/domains", {})
    assert status == 405 and set(hdrs["allow"].split(", ")) == {"GET", "POST"}
    assert json.loads(data)["code"] == "method_not_allowed"


def test_keep_alive_serves_several_requests_on_one_connection(kurier, admin):
    conn = http.client.HTTPConnection(kurier.host, kurier.port("http"), timeout=10)
    for _ in range(3):
        conn.request("GET", "/api/v1/domains", headers={"Cookie": admin.cookie})
        r = conn.getresponse()
        r.read()
        assert r.status == 200
    sock = conn.sock
    assert sock is not None  # the same socket served all three
    conn.close()


def test_gzip_when_accepted(kurier):
    conn = http.client.HTTPConnection(kurier.host, kurier.port("http"), timeout=10)
    conn.request("GET", "/api/v1/openapi.json", headers={"Accept-Encoding": "gzip"})
    r = conn.getresponse()
    data = r.read()
    assert r.status == 200 and r.getheader("Content-Encoding") == "gzip"
    assert json.loads(gzip.decompress(data)) == json.loads((ROOT / "docs/openapi.json").read_text())
    conn.request("GET", "/api/v1/openapi.json")
    r = conn.getresponse()
    assert r.getheader("Content-Encoding") is None and json.loads(r.read())["openapi"] == "3.1.0"


def raw_exchange(kurier, data):
    with socket.create_connection((kurier.host, kurier.port("http")), timeout=15) as s:
        s.sendall(data)
        chunks = b""
        while True:
            try:
                c = s.recv(65536)
            except ConnectionResetError:
                break
            if not c:
                break
            chunks += c
        return chunks


def test_oversized_header_and_body_and_garbage(kurier, admin):
    big_header = b"GET /api/v1/domains HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 20000 + b"\r\n\r\n"
    assert raw_exchange(kurier, big_header).startswith(b"HTTP/1.1 431 ")
    body = b"{" + b" " * (1024 * 1024 + 10) + b"}"
    head = (f"POST /api/v1/domains HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            f"Cookie: {admin.cookie}\r\nX-CSRF-Token: {admin.csrf}\r\nContent-Length: {len(body)}\r\n\r\n").encode()
    answer = raw_exchange(kurier, head + body)
    assert answer.startswith(b"HTTP/1.1 413 "), answer[:200]
    assert raw_exchange(kurier, b"NONSENSE\r\n\r\n").startswith(b"HTTP/1.1 400 ")
    assert raw_exchange(kurier, b"GET /../../etc/passwd HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").startswith(b"HTTP/1.1 400 ")


def test_a_chunk_line_that_never_ends_is_refused_not_buffered(kurier):
    # Beast's header and body limits do not count chunk-size lines: the server must bound the
    # raw bytes of a request itself (2 x (16 KiB + 1 MiB) + 64 KiB), before any login.
    head = (b"POST /api/v1/session HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n1;")
    with socket.create_connection((kurier.host, kurier.port("http")), timeout=15) as s:
        s.sendall(head)
        try:
            for _ in range(64):  # up to 4 MiB of one chunk extension, never a line end
                s.sendall(b"a" * 65536)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered and closed while this was still sending
        answer = b""
        try:
            while chunk := s.recv(65536):
                answer += chunk
        except ConnectionResetError:
            pass
    assert answer.startswith(b"HTTP/1.1 413 "), answer[:200]


def test_expect_100_continue(kurier):
    with socket.create_connection((kurier.host, kurier.port("http")), timeout=15) as s:
        body = json.dumps({"username": "admin", "password": kurier.admin_password}).encode()
        s.sendall(b"POST /api/v1/session HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  b"Expect: 100-continue\r\nContent-Length: %d\r\n\r\n" % len(body))
        first = s.recv(100)
        assert first.startswith(b"HTTP/1.1 100 Continue"), first
        s.sendall(body)
        rest = s.recv(65536)
        assert b"HTTP/1.1 200 OK" in first + rest


def test_bad_json_and_media_type(admin):
    status, hdrs, data = admin.raw("POST", "/api/v1/domains", b"{not json", {"Content-Type": "application/json"})
    assert status == 400 and json.loads(data)["code"] == "invalid_json"
    assert hdrs["content-type"] == "application/problem+json"
    status, _, data = admin.raw("POST", "/api/v1/domains", b"name=x.test", {"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 415
    status, _, data = admin.raw("POST", "/api/v1/domains", b"[1,2]", {"Content-Type": "application/json"})
    assert status == 400


def test_metrics_on_the_http_listener(kurier, admin):
    status, hdrs, data = Api(kurier).raw("GET", "/metrics")
    assert status == 200 and hdrs["content-type"].startswith("text/plain")
    text = data.decode()
    for name in ("kurier_connections_total", "kurier_logins_total", "kurier_messages_total",
                 "kurier_delivery_latency_seconds_bucket", "kurier_queue_messages", "kurier_store_bytes"):
        assert name in text, name
    assert 'kurier_logins_total{protocol="web",result="ok"}' in text
    # The memory gauges bench/soak.sh samples: a running server has heap in use, SQLite's part
    # of it is smaller, and all are plain byte counts.
    values = {line.split()[0]: float(line.split()[1]) for line in text.splitlines()
              if line.startswith("kurier_memory_")}
    assert set(values) == {"kurier_memory_heap_in_use_bytes", "kurier_memory_heap_free_bytes",
                           "kurier_memory_sqlite_bytes"}
    assert values["kurier_memory_sqlite_bytes"] > 0
    assert values["kurier_memory_heap_free_bytes"] >= 0
    # glibc's counts; a sanitizer's allocator (the Debug build) replaces malloc and shows 0.
    if values["kurier_memory_heap_in_use_bytes"] > 0:
        assert values["kurier_memory_sqlite_bytes"] < values["kurier_memory_heap_in_use_bytes"]


def test_metrics_refused_outside_the_configured_networks(fresh_kurier):
    fresh_kurier.set_config("web", "metrics_networks", '["10.0.0.0/8"]')
    fresh_kurier.start()
    status, hdrs, data = Api(fresh_kurier).raw("GET", "/metrics")
    assert status == 403 and json.loads(data)["code"] == "forbidden"


# ---- login, sessions, CSRF ---------------------------------------------------------------------

def test_login_logout_and_a_dead_cookie(kurier):
    api = Api(kurier)
    who = api.login("admin", kurier.admin_password)
    assert who["role"] == "super-admin" and who["username"] == "admin" and who["csrf_token"]
    status, body = api.get("/api/v1/session")
    assert status == 200 and body["csrf_token"] == api.csrf
    status, _ = api.delete("/api/v1/session")
    assert status == 204
    status, body = api.get("/api/v1/domains")
    assert_problem(status, body, 401, "unauthenticated")


def test_wrong_password_is_401_and_never_echoed(kurier):
    api = Api(kurier)
    body = api.login("admin", "wrong-password-xyz", expect=401)
    assert body["code"] == "bad_credentials" and "wrong-password-xyz" not in json.dumps(body)
    assert "wrong-password-xyz" not in kurier.log_text()
    assert api.login("nobody-here", "whatever-123", expect=401)["code"] == "bad_credentials"
    status, _, data = api.raw("POST", "/api/v1/session", b"{}", {"Content-Type": "application/json"})
    assert status == 400


def test_write_without_csrf_token_is_refused_and_changes_nothing(kurier, admin):
    name = unique("csrf") + ".test"
    status, body = admin.post("/api/v1/domains", {"name": name}, csrf=False)
    assert_problem(status, body, 403, "csrf_token_invalid")
    status, body = admin.call("POST", "/api/v1/domains", {"name": name}, headers={"X-CSRF-Token": "forged"}, csrf=False)
    assert_problem(status, body, 403, "csrf_token_invalid")
    assert admin.get("/api/v1/domains/" + name)[0] == 404


def test_idle_session_expires(fresh_kurier):
    fresh_kurier.set_config("web", "session_idle_seconds", "5")
    fresh_kurier.start()
    api = Api(fresh_kurier)
    api.login("admin", fresh_kurier.admin_password)
    assert api.get("/api/v1/domains")[0] == 200
    # Every request restarts the idle clock, so the test must send none for longer than it.
    import time
    last = time.monotonic()
    wait_for(lambda: time.monotonic() - last > 6, "the idle timeout to pass", timeout=30)
    assert_problem(*api.get("/api/v1/domains"), 401, "unauthenticated")


def test_login_throttling_is_shared_with_imap(fresh_kurier):
    fresh_kurier.set_config("auth", "free_failures", "2")
    fresh_kurier.set_config("auth", "max_delay_ms", "3000")
    fresh_kurier.start()
    address, _ = fresh_kurier.add_user()
    for _ in range(3):
        with pytest.raises(imaplib.IMAP4.error):
            with imaplib.IMAP4(fresh_kurier.host, fresh_kurier.port("imap")) as m:
                m.login(address, "wrong-password")
    # The web login of the same account now waits its turn like an IMAP login would.
    import time
    t0 = time.monotonic()
    Api(fresh_kurier).login(address, "wrong-again-1", expect=401)
    assert time.monotonic() - t0 >= 0.9
    assert 'kurier_logins_total{protocol="web",result="failed"}' in Api(fresh_kurier).raw("GET", "/metrics")[2].decode()


# ---- domains, accounts, aliases, admins ------------------------------------------------------

def test_domain_lifecycle(admin):
    name = new_domain(admin, default_quota=1000000, max_accounts=5)
    status, d = admin.get("/api/v1/domains/" + name)
    assert status == 200 and d["default_quota"] == 1000000 and d["max_accounts"] == 5 and d["accounts"] == 0
    status, d = admin.patch("/api/v1/domains/" + name, {"total_quota": 5000000, "username_scheme": "prefix", "prefix": "web"})
    assert status == 200 and d["total_quota"] == 5000000 and d["username_scheme"] == "prefix"
    address = new_account(admin, name)
    status, a = admin.get("/api/v1/accounts/" + q(address))
    assert a["login"].startswith("web0")
    status, usage = admin.get(f"/api/v1/domains/{name}/usage")
    assert status == 200 and usage["accounts"] == 1 and usage["bytes"] == 0
    assert admin.post("/api/v1/domains", {"name": name})[0] == 409
    assert admin.delete("/api/v1/domains/" + name)[0] == 204
    assert admin.get("/api/v1/domains/" + name)[0] == 404


@pytest.mark.parametrize("body", [
    {"name": "not a domain"}, {"name": ""}, {}, {"name": "x.test", "max_accounts": -1},
    {"name": "x.test", "username_scheme": "weird"}, {"name": "x.test", "default_quota": "big"},
    {"name": "x.test", "transport": "smtp:elsewhere"}, {"name": 5},
])
def test_bad_domain_input_is_a_4xx_problem_and_changes_nothing(admin, body):
    before = admin.get("/api/v1/domains?limit=1000")[1]["items"]
    status, problem = admin.post("/api/v1/domains", body)
    assert 400 <= status < 500 and problem["code"] in ("invalid_input", "invalid_json"), problem
    assert admin.get("/api/v1/domains?limit=1000")[1]["items"] == before


def test_account_lifecycle_with_services_and_imap(kurier, admin):
    domain = new_domain(admin)
    address = new_account(admin, domain, quota=2000000, display_name="Web User")
    status, a = admin.get("/api/v1/accounts/" + q(address))
    assert a["quota"] == 2000000 and a["display_name"] == "Web User" and a["services"]["imap"] is True
    assert "password" not in json.dumps(a) and "$y$" not in json.dumps(a)
    with imaplib.IMAP4(kurier.host, kurier.port("imap")) as m:
        m.login(address, PASSWORD)
    status, a = admin.patch("/api/v1/accounts/" + q(address), {"services": {"imap": False}, "password": "new-password-99"})
    assert status == 200 and a["services"]["imap"] is False and a["services"]["pop3"] is True
    with pytest.raises(imaplib.IMAP4.error):
        with imaplib.IMAP4(kurier.host, kurier.port("imap")) as m:
            m.login(address, "new-password-99")
    admin.patch("/api/v1/accounts/" + q(address), {"services": {"imap": True}})
    with imaplib.IMAP4(kurier.host, kurier.port("imap")) as m:
        m.login(address, "new-password-99")
    status, a = admin.patch("/api/v1/accounts/" + q(address), {"enabled": False})
    assert a["enabled"] is False
    status, u = admin.get(f"/api/v1/accounts/{q(address)}/usage")
    assert status == 200 and u["quota"] == 2000000
    assert admin.delete("/api/v1/accounts/" + q(address))[0] == 204
    assert admin.get("/api/v1/accounts/" + q(address))[0] == 404


@pytest.mark.parametrize("body", [
    {"address": "no-at-sign", "password": PASSWORD}, {"address": "x@DOMAIN"},
    {"address": "x@DOMAIN", "password": "short"}, {"address": "postmaster@DOMAIN", "password": PASSWORD},
    {"address": "x@DOMAIN", "password": PASSWORD, "quota": -5},
    {"address": "x@DOMAIN", "password": PASSWORD, "services": {"telnet": True}},
])
def test_bad_account_input_changes_nothing(admin, body):
    domain = new_domain(admin)
    body = {k: (v.replace("DOMAIN", domain) if isinstance(v, str) else v) for k, v in body.items()}
    status, problem = admin.post("/api/v1/accounts", body)
    assert 400 <= status < 500, problem
    assert admin.get(f"/api/v1/accounts?domain={domain}")[1]["items"] == []


def test_account_paging_and_search(admin):
    domain = new_domain(admin)
    made = sorted(new_account(admin, domain) for _ in range(7))
    seen, after = [], ""
    while True:
        status, page = admin.get(f"/api/v1/accounts?domain={domain}&limit=3&after={q(after)}")
        assert status == 200 and len(page["items"]) <= 3
        seen += [a["address"] for a in page["items"]]
        if not page["next"]:
            break
        after = page["next"]
    assert seen == made
    status, page = admin.get(f"/api/v1/accounts?domain={domain}&q={q(made[3].split('@')[0].upper())}")
    assert [a["address"] for a in page["items"]] == [made[3]]
    for bad in ("0", "1001", "x", "-1"):
        assert admin.get(f"/api/v1/accounts?limit={bad}")[0] == 400


def test_aliases_catch_all_domain_alias_and_forward(admin):
    domain, other = new_domain(admin), new_domain(admin)
    target = new_account(admin, domain)
    alias = f"{unique('alias')}@{domain}"
    status, a = admin.post("/api/v1/aliases", {"source": alias, "targets": [target, "someone@elsewhere.example"]})
    assert status == 201 and a["kind"] == "alias" and sorted(a["targets"]) == sorted([target, "someone@elsewhere.example"])
    status, c = admin.post("/api/v1/aliases", {"source": "@" + domain, "targets": [target]})
    assert status == 201 and c["kind"] == "catch_all"
    status, d = admin.post("/api/v1/aliases", {"source": "@" + other, "targets": ["@" + domain]})
    assert status == 201 and d["kind"] == "domain_alias"
    status, page = admin.get(f"/api/v1/aliases?domain={domain}")
    assert {x["source"] for x in page["items"]} == {alias, "@" + domain}
    assert admin.get("/api/v1/aliases/" + q(alias))[1]["source"] == alias
    assert admin.delete(f"/api/v1/aliases/{q(alias)}?target=someone%40elsewhere.example")[0] == 204
    assert admin.get("/api/v1/aliases/" + q(alias))[1]["targets"] == [target]
    assert admin.delete("/api/v1/aliases/" + q(alias))[0] == 204
    assert admin.get("/api/v1/aliases/" + q(alias))[0] == 404
    # A loop is refused, and nothing is stored.
    loop = f"{unique('loop')}@{domain}"
    assert admin.post("/api/v1/aliases", {"source": loop, "targets": [loop]})[0] == 400
    assert admin.get("/api/v1/aliases/" + q(loop))[0] == 404


def test_dkim_and_dns_records(admin, kurier):
    domain = new_domain(admin)
    status, dkim = admin.get(f"/api/v1/domains/{domain}/dkim")
    assert status == 200 and dkim["records"][0]["value"].startswith("v=DKIM1; k=rsa; p=")
    status, dns = admin.get(f"/api/v1/domains/{domain}/dns")
    kinds = [r["kind"] for r in dns["records"]]
    assert kinds == ["mx", "spf", "dkim", "dkim", "dmarc", "autoconfig"]
    assert dns["records"][0]["value"] == "10 localhost."


def test_queue_list_retry_remove(fresh_kurier):
    # A relay host that refuses connections keeps the message deferred in the queue.
    fresh_kurier.set_config("outbound", "relayhost", '"127.0.0.1:1"')
    fresh_kurier.start()
    admin = admin_api(fresh_kurier)
    r = fresh_kurier.cli("queue", "inject", "--from", "sender@example.test", "rcpt@elsewhere.example",
                         input="Subject: web queue test\r\n\r\nbody\r\n")
    qid = r.stdout.split()[-1]
    status, page = admin.get("/api/v1/queue?limit=1000")
    assert status == 200 and qid in [m["id"] for m in page["items"]]
    assert [m["id"] for m in admin.get("/api/v1/queue?q=elsewhere.example")[1]["items"]] == [qid]
    assert admin.get("/api/v1/queue?q=nobody.example")[1]["items"] == []
    wait_for(lambda: admin.get("/api/v1/queue")[1]["items"][0]["state"] == "deferred", "the first attempt to fail")
    status, body = admin.post(f"/api/v1/queue/{qid}/retry")
    assert status in (200, 409), body
    assert admin.post("/api/v1/queue/NOSUCHID0000/retry")[0] == 404
    assert admin.post("/api/v1/queue/retry")[0] == 200
    wait_for(lambda: admin.delete(f"/api/v1/queue/{qid}")[0] == 204, "the queued message to be removable")
    assert admin.get("/api/v1/queue")[1]["items"] == []
    assert admin.delete(f"/api/v1/queue/{qid}")[0] == 404


def test_stats_for_the_dashboard(admin):
    domain = new_domain(admin)
    new_account(admin, domain)
    status, s = admin.get("/api/v1/stats")
    assert status == 200 and len(s["hourly"]) == 48 and s["accounts"] >= 1
    assert {"hour", "received", "sent", "bounced"} <= set(s["hourly"][-1])
    assert domain in [d["domain"] for d in s["storage"]]


def test_openapi_is_served(kurier):
    status, body = Api(kurier).get("/api/v1/openapi.json")
    assert status == 200 and body == json.loads((ROOT / "docs/openapi.json").read_text())


# ---- domain admins ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def delegation(kurier, admin):
    """A domain admin of `mine` (with caps), and `theirs` with an account and an alias."""
    mine = new_domain(admin, max_accounts=2, total_quota=2800000, max_quota_per_account=2000000, default_quota=1000000)
    theirs = new_domain(admin)
    victim = new_account(admin, theirs)
    alias = f"{unique('a')}@{theirs}"
    admin.post("/api/v1/aliases", {"source": alias, "targets": [victim]})
    name = unique("da")
    status, body = admin.post("/api/v1/admins", {"name": name, "password": "domain-admin-pw", "domains": [mine]})
    assert status == 201, body
    da = Api(kurier)
    who = da.login(name, "domain-admin-pw")
    assert who["role"] == "domain-admin" and who["domains"] == [mine]
    return {"api": da, "mine": mine, "theirs": theirs, "victim": victim, "alias": alias, "name": name}


def test_domain_admin_sees_only_its_domains(delegation, admin):
    da = delegation["api"]
    assert [d["name"] for d in da.get("/api/v1/domains")[1]["items"]] == [delegation["mine"]]
    assert all(a["domain"] == delegation["mine"] for a in da.get("/api/v1/accounts?limit=1000")[1]["items"])
    assert all(a["source"].endswith(delegation["mine"]) for a in da.get("/api/v1/aliases?limit=1000")[1]["items"])
    status, s = da.get("/api/v1/stats")
    assert [d["domain"] for d in s["storage"]] == [delegation["mine"]] and "queue" not in s


OTHER_DOMAIN_OPERATIONS = [
    ("GET", "/api/v1/domains/{theirs}", None),
    ("PATCH", "/api/v1/domains/{theirs}", {"default_quota": 1}),
    ("DELETE", "/api/v1/domains/{theirs}", None),
    ("GET", "/api/v1/domains/{theirs}/usage", None),
    ("GET", "/api/v1/domains/{theirs}/dkim", None),
    ("GET", "/api/v1/domains/{theirs}/dns", None),
    ("GET", "/api/v1/domains/{theirs}/dns/check", None),
    ("GET", "/api/v1/accounts?domain={theirs}", None),
    ("POST", "/api/v1/accounts", {"address": "new@{theirs}", "password": PASSWORD}),
    ("GET", "/api/v1/accounts/{victim}", None),
    ("PATCH", "/api/v1/accounts/{victim}", {"password": "taken-over-123"}),
    ("PATCH", "/api/v1/accounts/{victim}", {"enabled": False}),
    ("DELETE", "/api/v1/accounts/{victim}", None),
    ("GET", "/api/v1/accounts/{victim}/usage", None),
    ("GET", "/api/v1/aliases?domain={theirs}", None),
    ("POST", "/api/v1/aliases", {"source": "steal@{theirs}", "targets": ["x@{mine}"]}),
    ("POST", "/api/v1/aliases", {"source": "@{theirs}", "targets": ["x@{mine}"]}),
    ("GET", "/api/v1/aliases/{alias}", None),
    ("DELETE", "/api/v1/aliases/{alias}", None),
]


@pytest.mark.parametrize("method,path,body", OTHER_DOMAIN_OPERATIONS)
def test_domain_admin_on_another_domain_gets_403_and_it_is_logged(kurier, delegation, admin, method, path, body):
    da = delegation["api"]
    def fill(s):
        for key, value in (("theirs", delegation["theirs"]), ("mine", delegation["mine"]),
                           ("victim", q(delegation["victim"])), ("alias", q(delegation["alias"]))):
            s = s.replace("{" + key + "}", value)
        return s
    before_accounts = admin.get(f"/api/v1/accounts?domain={delegation['theirs']}")[1]
    before_aliases = admin.get(f"/api/v1/aliases?domain={delegation['theirs']}")[1]
    body = json.loads(fill(json.dumps(body))) if body else None
    status, problem = da.call(method, fill(path), body)
    assert_problem(status, problem, 403, "forbidden")
    assert admin.get(f"/api/v1/accounts?domain={delegation['theirs']}")[1] == before_accounts
    assert admin.get(f"/api/v1/aliases?domain={delegation['theirs']}")[1] == before_aliases
    wait_for(lambda: "api.forbidden" in kurier.log_text(), "the refusal to be logged")


@pytest.mark.parametrize("method,path,body", [
    ("POST", "/api/v1/domains", {"name": "grab.test"}),
    ("GET", "/api/v1/admins", None),
    ("POST", "/api/v1/admins", {"name": "evil", "password": "evil-password", "super": True}),
    ("PATCH", "/api/v1/admins/admin", {"password": "evil-password"}),
    ("DELETE", "/api/v1/admins/admin", None),
    ("GET", "/api/v1/queue", None),
    ("POST", "/api/v1/queue/retry", {}),
    ("GET", "/api/v1/me", None),
])
def test_domain_admin_cannot_use_super_admin_or_user_endpoints(delegation, method, path, body):
    status, problem = delegation["api"].call(method, path, body)
    assert_problem(status, problem, 403, "forbidden")


def test_domain_admin_works_within_the_caps(delegation, admin):
    da, mine = delegation["api"], delegation["mine"]
    first = new_account(da, mine)
    # Raising the limits the super-admin set is not for a domain admin.
    assert_problem(*da.patch(f"/api/v1/domains/{mine}", {"max_accounts": 100}), 403, "forbidden")
    assert_problem(*da.post("/api/v1/accounts", {"address": f"big@{mine}", "password": PASSWORD, "quota": 2500000}),
                   409, "limit_exceeded")
    second = new_account(da, mine, quota=1500000)
    # Total quota 2.8 MB: 1 + 1.5 MB given, raising 1.5 to 2 MB is too much.
    assert_problem(*da.patch(f"/api/v1/accounts/{q(second)}", {"quota": 2000000}), 409, "limit_exceeded")
    # Two accounts is the cap.
    assert_problem(*da.post("/api/v1/accounts", {"address": f"third@{mine}", "password": PASSWORD}), 409, "limit_exceeded")
    assert da.delete(f"/api/v1/accounts/{q(first)}")[0] == 204
    assert da.post("/api/v1/aliases", {"source": f"info@{mine}", "targets": [second]})[0] == 201


def test_admin_management(kurier, admin):
    domain = new_domain(admin)
    name = unique("adm")
    status, a = admin.post("/api/v1/admins", {"name": name, "password": "admin-pw-123", "domains": [domain]})
    assert status == 201 and a == {"name": name, "super": False, "domains": [domain]}
    assert "password" not in json.dumps(admin.get("/api/v1/admins?limit=1000")[1])
    other = new_domain(admin)
    status, a = admin.patch(f"/api/v1/admins/{name}", {"domains": [domain, other]})
    assert sorted(a["domains"]) == sorted([domain, other])
    assert admin.patch(f"/api/v1/admins/{name}", {"domains": []})[0] == 400
    da = Api(kurier)
    da.login(name, "admin-pw-123")
    admin.patch(f"/api/v1/admins/{name}", {"password": "admin-pw-456"})
    assert da.get("/api/v1/domains")[0] == 401  # a password change ends the admin's sessions
    Api(kurier).login(name, "admin-pw-456")
    assert admin.delete(f"/api/v1/admins/{name}")[0] == 204
    assert admin.delete("/api/v1/admins/admin")[0] == 400  # the last super-admin stays
    assert admin.post("/api/v1/admins", {"name": "x y", "password": "admin-pw-123", "super": True})[0] == 400


# ---- users (self-service) -----------------------------------------------------------------------

@pytest.fixture
def user_api(kurier, admin):
    domain = new_domain(admin)
    address = new_account(admin, domain)
    api = Api(kurier)
    who = api.login(address, PASSWORD)
    assert who["role"] == "user" and who["username"] == address
    return api, address, domain


@pytest.mark.parametrize("method,path", [
    ("GET", "/api/v1/domains"), ("POST", "/api/v1/domains"), ("GET", "/api/v1/accounts"),
    ("POST", "/api/v1/accounts"), ("GET", "/api/v1/aliases"), ("GET", "/api/v1/admins"),
    ("GET", "/api/v1/queue"), ("GET", "/api/v1/stats"), ("GET", "/api/v1/domains/example.test"),
])
def test_user_calling_admin_endpoints_gets_403(user_api, method, path):
    api, _, _ = user_api
    status, problem = api.call(method, path, {} if method == "POST" else None)
    assert_problem(status, problem, 403, "forbidden")


def test_user_changes_password_with_the_old_one(kurier, user_api):
    api, address, _ = user_api
    status, problem = api.put("/api/v1/me/password", {"old_password": "not-the-old-one", "new_password": "brand-new-pw-1"})
    assert_problem(status, problem, 403, "forbidden")
    with imaplib.IMAP4(kurier.host, kurier.port("imap")) as m:
        m.login(address, PASSWORD)
    assert api.put("/api/v1/me/password", {"old_password": PASSWORD, "new_password": "short"})[0] == 400
    assert api.put("/api/v1/me/password", {"old_password": PASSWORD, "new_password": "brand-new-pw-1"})[0] == 204
    with imaplib.IMAP4(kurier.host, kurier.port("imap")) as m:
        m.login(address, "brand-new-pw-1")
    with pytest.raises(imaplib.IMAP4.error):
        with imaplib.IMAP4(kurier.host, kurier.port("imap")) as m:
            m.login(address, PASSWORD)


def test_user_forwarding_with_and_without_copy(user_api, admin):
    api, address, domain = user_api
    status, f = api.get("/api/v1/me/forwarding")
    assert f == {"targets": [], "keep_copy": False}
    status, f = api.put("/api/v1/me/forwarding", {"targets": ["Far@Elsewhere.example"], "keep_copy": True})
    assert status == 200 and f == {"targets": ["far@elsewhere.example"], "keep_copy": True}
    assert sorted(admin.get("/api/v1/aliases/" + q(address))[1]["targets"]) == sorted([address, "far@elsewhere.example"])
    status, f = api.put("/api/v1/me/forwarding", {"targets": ["far@elsewhere.example"], "keep_copy": False})
    assert f["keep_copy"] is False
    assert api.put("/api/v1/me/forwarding", {"targets": ["not an address"]})[0] == 400
    assert api.get("/api/v1/me/forwarding")[1]["targets"] == ["far@elsewhere.example"]
    assert api.put("/api/v1/me/forwarding", {"targets": []})[1] == {"targets": [], "keep_copy": False}


def test_user_vacation_is_a_sieve_script_managesieve_shows(kurier, user_api):
    from test_managesieve import RawSieve
    api, address, _ = user_api
    assert api.put("/api/v1/me/sieve/filters", {"content": 'require ["fileinto"];\r\nkeep;\r\n', "active": True})[0] == 200
    body = {"enabled": True, "subject": "Away", "text": "Back on Monday.", "start": "2020-01-01", "end": "2099-12-31"}
    status, v = api.put("/api/v1/me/vacation", body)
    assert status == 200 and v == body
    assert api.get("/api/v1/me/vacation")[1] == body
    raw = RawSieve(kurier)
    raw.login(address)
    lines, final = raw.command("LISTSCRIPTS")
    assert b'"kurier-vacation" ACTIVE' in lines and b'"filters"' in lines, lines
    lines, final = raw.command('GETSCRIPT "kurier-vacation"')
    assert b"vacation :days 1" in lines[0] and b'include :personal "filters"' in lines[0]
    raw.close()
    status, v = api.put("/api/v1/me/vacation", {**body, "enabled": False})
    assert v["enabled"] is False
    scripts = {s["name"]: s["active"] for s in api.get("/api/v1/me/sieve")[1]["items"]}
    assert scripts == {"filters": True, "kurier-vacation": False}
    for bad in ({"enabled": True, "text": ""}, {"enabled": True, "text": "x", "start": "2020-13-01"},
                {"enabled": True, "text": "x", "start": "2021-01-02", "end": "2021-01-01"}):
        assert api.put("/api/v1/me/vacation", bad)[0] == 400
    assert api.get("/api/v1/me/vacation")[1]["enabled"] is False


def test_user_sieve_scripts(user_api):
    api, _, _ = user_api
    status, problem = api.put("/api/v1/me/sieve/broken", {"content": "if true { nonsense; }"})
    assert_problem(status, problem, 400, "invalid_sieve")
    assert api.get("/api/v1/me/sieve/broken")[0] == 404
    assert api.put("/api/v1/me/sieve/mine", {"content": "keep;\r\n"})[0] == 200
    assert api.post("/api/v1/me/sieve/mine/activate")[1]["active"] is True
    assert api.delete("/api/v1/me/sieve/mine")[1]["code"] == "script_active"
    assert api.get("/api/v1/me/sieve/mine")[1]["content"] == "keep;\r\n"


def test_user_sees_own_quota_usage(kurier, user_api):
    api, address, _ = user_api
    import smtplib
    with smtplib.SMTP(kurier.host, kurier.port("smtp")) as s:
        s.sendmail("someone@example.org", [address], b"Subject: hi\r\n\r\nhello\r\n")
    wait_for(lambda: api.get("/api/v1/me")[1]["usage"]["messages"] == 1, "the message to count")
    me = api.get("/api/v1/me")[1]
    assert me["address"] == address and me["usage"]["bytes"] > 0


# ---- app passwords, API keys, TOTP, audit ------------------------------------------------------

def totp_code(secret_b32, at=None, step_offset=0):
    """RFC 6238 TOTP (SHA-1, 30 s, 6 digits), as an authenticator app computes it."""
    import base64, hashlib, hmac, struct, time
    key = base64.b32decode(secret_b32 + "=" * (-len(secret_b32) % 8))
    counter = int((at or time.time()) // 30) + step_offset
    mac = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    return "%06d" % ((struct.unpack(">I", mac[offset:offset + 4])[0] & 0x7FFFFFFF) % 1000000)


def test_app_password_works_for_imap_and_smtp_and_fails_after_revocation(kurier, user_api):
    import smtplib
    api, address, _ = user_api
    status, created = api.post("/api/v1/me/app-passwords", {"name": "phone"})
    assert status == 201 and len(created["password"]) == 32
    secret = created["password"]
    listed = api.get("/api/v1/me/app-passwords")[1]["items"]
    assert listed == [{"id": created["id"], "name": "phone", "created_at": created["created_at"]}]
    with imaplib.IMAP4(kurier.host, kurier.port("imap")) as m:
        m.login(address, secret)
    ctx = kurier.ssl_context()
    with smtplib.SMTP(kurier.host, kurier.port("submission")) as s:
        s.starttls(context=ctx)
        s.login(address, secret)
    assert secret not in kurier.log_text()
    assert api.delete(f"/api/v1/me/app-passwords/{created['id']}")[0] == 204
    with pytest.raises(imaplib.IMAP4.error):
        with imaplib.IMAP4(kurier.host, kurier.port("imap")) as m:
            m.login(address, secret)
    with smtplib.SMTP(kurier.host, kurier.port("submission")) as s:
        s.starttls(context=ctx)
        with pytest.raises(smtplib.SMTPAuthenticationError):
            s.login(address, secret)
    # The account's own password still works; another user's app password does not.
    with imaplib.IMAP4(kurier.host, kurier.port("imap")) as m:
        m.login(address, PASSWORD)
    assert api.delete(f"/api/v1/me/app-passwords/{created['id']}")[0] == 404
    assert api.post("/api/v1/me/app-passwords", {"name": ""})[0] == 400


def test_app_password_of_one_account_is_useless_for_another(kurier, admin, user_api):
    api, address, domain = user_api
    other = new_account(admin, domain)
    secret = api.post("/api/v1/me/app-passwords", {"name": "tablet"})[1]["password"]
    with pytest.raises(imaplib.IMAP4.error):
        with imaplib.IMAP4(kurier.host, kurier.port("imap")) as m:
            m.login(other, secret)


def test_api_keys_scope_expiry_and_revocation(kurier, admin):
    mine, theirs = new_domain(admin), new_domain(admin)
    status, key = admin.post("/api/v1/api-keys", {"name": "ci", "role": "domain-admin", "domains": [mine]})
    assert status == 201 and key["key"].startswith("kur_") and key["role"] == "domain-admin"
    listed = admin.get("/api/v1/api-keys")[1]["items"]
    assert key["id"] in [k["id"] for k in listed] and all("key" not in k for k in listed)
    bot = Api(kurier)
    bot.bearer = key["key"]
    assert [d["name"] for d in bot.get("/api/v1/domains")[1]["items"]] == [mine]
    # Bearer writes need no CSRF token (no cookie is involved).
    address = new_account(bot, mine)
    # Outside its scope: another domain, super-admin resources.
    assert_problem(*bot.post("/api/v1/accounts", {"address": f"x@{theirs}", "password": PASSWORD}), 403, "forbidden")
    assert_problem(*bot.get(f"/api/v1/domains/{theirs}"), 403, "forbidden")
    assert_problem(*bot.get("/api/v1/admins"), 403, "forbidden")
    assert_problem(*bot.post("/api/v1/api-keys", {"name": "more", "domains": [mine]}), 403, "forbidden")
    assert admin.get(f"/api/v1/accounts?domain={theirs}")[1]["items"] == []
    # Revoked: 401 from then on.
    assert admin.delete(f"/api/v1/api-keys/{key['id']}")[0] == 204
    assert_problem(*bot.get("/api/v1/domains"), 401, "invalid_api_key")
    assert_problem(*bot.delete("/api/v1/accounts/" + q(address)), 401, "invalid_api_key")
    assert admin.get("/api/v1/accounts/" + q(address))[0] == 200
    assert admin.delete(f"/api/v1/api-keys/{key['id']}")[0] == 409
    # Unknown keys and wrong schemes.
    bot.bearer = "kur_nonsense"
    assert_problem(*bot.get("/api/v1/domains"), 401, "invalid_api_key")
    bot.bearer = None
    assert bot.call("GET", "/api/v1/domains", headers={"Authorization": "Basic YWRtaW46eA=="})[0] == 401
    # A super-admin key, and an expired one.
    status, sk = admin.post("/api/v1/api-keys", {"name": "ops", "role": "super-admin"})
    root = Api(kurier)
    root.bearer = sk["key"]
    assert root.get("/api/v1/admins")[0] == 200
    assert admin.post("/api/v1/api-keys", {"name": "old", "domains": [mine], "expires_at": 1000})[0] == 400
    import time
    status, short = admin.post("/api/v1/api-keys", {"name": "short", "domains": [mine], "expires_at": int(time.time()) + 2})
    assert status == 201
    brief = Api(kurier)
    brief.bearer = short["key"]
    wait_for(lambda: brief.get("/api/v1/domains")[0] == 401, "the key to expire", timeout=20, interval=0.5)
    assert brief.get("/api/v1/domains")[1]["code"] == "invalid_api_key"


def test_domain_admin_keys_stay_within_its_domains(kurier, admin, delegation):
    da = delegation["api"]
    assert_problem(*da.post("/api/v1/api-keys", {"name": "x", "role": "super-admin"}), 403, "forbidden")
    assert_problem(*da.post("/api/v1/api-keys", {"name": "x", "domains": [delegation["theirs"]]}), 403, "forbidden")
    status, key = da.post("/api/v1/api-keys", {"name": "mine", "domains": [delegation["mine"]]})
    assert status == 201
    assert [k["id"] for k in da.get("/api/v1/api-keys")[1]["items"]] == [key["id"]]


@pytest.mark.parametrize("who", ["admin", "user"])
def test_totp_second_factor(kurier, admin, who):
    if who == "admin":
        name, password = unique("totp"), "totp-admin-pw"
        admin.post("/api/v1/admins", {"name": name, "password": password, "super": True})
    else:
        name, password = new_account(admin, new_domain(admin)), PASSWORD
    import time
    # The codes below are of the previous, current and next 30 s step: start early in a step so
    # the server's clock stays in it while the test runs.
    wait_for(lambda: time.time() % 30 < 15, "the start of a TOTP step", timeout=20)
    t0 = time.time()
    api = Api(kurier)
    api.login(name, password)
    assert api.get("/api/v1/totp")[1] == {"enabled": False, "pending": False}
    status, started = api.post("/api/v1/totp")
    assert status == 201 and started["uri"].startswith("otpauth://totp/")
    secret = started["secret"]
    code = lambda offset: totp_code(secret, at=t0, step_offset=offset)
    # Not required before it is confirmed.
    Api(kurier).login(name, password)
    assert api.post("/api/v1/totp/confirm", {"code": code(5)})[0] == 400
    assert api.post("/api/v1/totp/confirm", {"code": code(-1)})[1] == {"enabled": True}
    assert api.post("/api/v1/totp")[0] == 409
    assert Api(kurier).login(name, password, expect=401)["code"] == "totp_required"
    assert Api(kurier).login(name, password, totp=code(5), expect=401)["code"] == "totp_invalid"
    assert Api(kurier).login(name, "not-the-password", totp=code(0), expect=401)["code"] == "bad_credentials"
    # A code works once.
    fresh = Api(kurier)
    assert fresh.login(name, password, totp=code(0))["username"] == name
    assert Api(kurier).login(name, password, totp=code(0), expect=401)["code"] == "totp_invalid"
    # Mail logins are not asked for a code (app passwords exist for them).
    if who == "user":
        with imaplib.IMAP4(kurier.host, kurier.port("imap")) as m:
            m.login(name, PASSWORD)
    assert fresh.call("DELETE", "/api/v1/totp", {})[0] == 400
    assert fresh.call("DELETE", "/api/v1/totp", {"code": code(1)})[0] == 204
    Api(kurier).login(name, password)


def test_audit_log_records_changes_without_secrets(kurier, admin, delegation):
    domain = delegation["mine"]
    address = new_account(admin, domain, password="secret-password-77")
    admin.patch("/api/v1/accounts/" + q(address), {"quota": 1234567, "password": "other-secret-88"})
    admin.delete("/api/v1/accounts/" + q(address))
    status, page = admin.get("/api/v1/audit?limit=50")
    assert status == 200
    mine = [e for e in page["items"] if e["object"] == address]
    actions = [e["action"] for e in mine]
    assert actions == ["DELETE /api/v1/accounts/{address}", "PATCH /api/v1/accounts/{address}", "POST /api/v1/accounts"]
    patch = mine[1]
    assert patch["actor"] == "admin" and patch["role"] == "super-admin" and patch["ip"] == "127.0.0.1"
    assert patch["before"]["quota"] != 1234567 and patch["after"]["quota"] == 1234567 and patch["domain"] == domain
    assert mine[0]["after"] is None and mine[0]["before"]["address"] == address
    text = json.dumps(page)
    assert "secret-password-77" not in text and "other-secret-88" not in text
    # Paging by id.
    first = admin.get("/api/v1/audit?limit=1")[1]
    second = admin.get(f"/api/v1/audit?limit=1&after={first['next']}")[1]
    assert second["items"][0]["id"] < first["items"][0]["id"]
    # A domain admin sees its domain's entries only; export is JSON lines.
    visible = delegation["api"].get("/api/v1/audit?limit=1000")[1]["items"]
    assert visible and all(e["domain"] == domain for e in visible)
    status, hdrs, data = admin.raw("GET", "/api/v1/audit/export")
    assert status == 200 and hdrs["content-type"] == "application/x-ndjson"
    lines = [json.loads(l) for l in data.decode().splitlines()]
    assert address in [l["object"] for l in lines]
    cli_lines = [json.loads(l) for l in kurier.cli("audit", "export", "--domain", domain).stdout.splitlines()]
    assert cli_lines and all(l["domain"] == domain for l in cli_lines)
    assert [l["id"] for l in cli_lines] == [l["id"] for l in lines if l["domain"] == domain]
    # Refused changes leave no entry.
    n = len(lines)
    delegation["api"].delete("/api/v1/domains/" + delegation["theirs"])
    assert len(admin.raw("GET", "/api/v1/audit/export")[2].decode().splitlines()) == n


def outside_address():
    """This machine's address on its default route (not loopback), or None."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("192.0.2.1", 9))  # no packet is sent for a UDP connect
            ip = s.getsockname()[0]
        except OSError:
            return None
    return None if ip.startswith("127.") else ip


def test_plain_http_redirects_to_https_except_loopback_and_metrics(fresh_kurier):
    ip = outside_address()
    if not ip:
        pytest.skip("no non-loopback address on this machine")
    text = fresh_kurier.config.read_text()
    fresh_kurier.config.write_text(text.replace('bind = ["127.0.0.1"]', f'bind = ["127.0.0.1", "{ip}"]', 1))
    fresh_kurier.set_config("web", "metrics_networks", f'["{ip}"]')
    fresh_kurier.start()
    conn = http.client.HTTPConnection(ip, fresh_kurier.port("http"), timeout=10)
    # The redirect goes to the configured hostname ("localhost" here), never to the Host the
    # client sent (L7: a cacheable 308 to anywhere would be an open redirect).
    for host in ("evil.example.test", "localhost", "a.b@evil.example.test"):
        conn.request("GET", "/api/v1/domains?limit=5", headers={"Host": host})
        r = conn.getresponse()
        r.read()
        assert r.status == 308
        assert r.getheader("Location") == f"https://localhost:{fresh_kurier.port('https')}/api/v1/domains?limit=5"
    conn.request("GET", "/metrics")
    r = conn.getresponse()
    assert r.status == 200 and b"kurier_messages_total" in r.read()
    # Loopback is served on plain http.
    assert Api(fresh_kurier).get("/api/v1/domains")[0] == 401


# ---- security review fixes (H2, M1, ...) -------------------------------------------------------

def _enable_totp(api):
    """Switches TOTP on for api's login; returns a function giving the code of a step offset."""
    import time
    wait_for(lambda: time.time() % 30 < 10, "the start of a TOTP step", timeout=35)
    t0 = time.time()
    secret = api.post("/api/v1/totp")[1]["secret"]
    code = lambda offset: totp_code(secret, at=t0, step_offset=offset)
    assert api.post("/api/v1/totp/confirm", {"code": code(-1)})[1] == {"enabled": True}
    return code


def test_a_right_password_with_wrong_totp_codes_resets_nothing(fresh_kurier):
    fresh_kurier.set_config("auth", "free_failures", "2")
    fresh_kurier.set_config("auth", "max_delay_ms", "1000")
    fresh_kurier.start()
    admin = admin_api(fresh_kurier)
    address = new_account(admin, new_domain(admin))
    api = Api(fresh_kurier)
    api.login(address, PASSWORD)
    code = _enable_totp(api)
    # Guessing codes with the right password: each wrong code is counted for this principal,
    # and the right password in the same request does not wipe the count.
    for _ in range(3):
        assert Api(fresh_kurier).login(address, PASSWORD, totp=code(5), expect=401)["code"] == "totp_invalid"
    # The same count guards the other code checks: switching TOTP off is refused for now, even
    # with a right code, and a wrong one is never checked.
    status, body = api.call("DELETE", "/api/v1/totp", {"code": code(1)})
    assert_problem(status, body, 429, "too_many_attempts")
    assert api.get("/api/v1/totp")[1]["enabled"] is True


def test_switching_totp_off_guesses_are_throttled(fresh_kurier):
    fresh_kurier.set_config("auth", "free_failures", "2")
    fresh_kurier.start()
    admin = admin_api(fresh_kurier)
    address = new_account(admin, new_domain(admin))
    api = Api(fresh_kurier)
    api.login(address, PASSWORD)
    code = _enable_totp(api)
    for _ in range(3):
        assert_problem(*api.call("DELETE", "/api/v1/totp", {"code": code(7)}), 400, "totp_invalid")
    assert_problem(*api.call("DELETE", "/api/v1/totp", {"code": code(1)}), 429, "too_many_attempts")
    assert Api(fresh_kurier).login(address, PASSWORD, expect=401)["code"] == "totp_required"


def test_a_domain_admin_or_key_left_without_domains_sees_nothing(kurier, admin):
    """H3: an empty domain list never means every domain."""
    mine, other, theirs = new_domain(admin), new_domain(admin), new_domain(admin)
    new_account(admin, theirs)  # an audit entry of another tenant
    name = unique("da")
    assert admin.post("/api/v1/admins", {"name": name, "password": "domain-admin-pw", "domains": [mine, other]})[0] == 201
    da = Api(kurier)
    da.login(name, "domain-admin-pw")
    status, key = da.post("/api/v1/api-keys", {"name": "k", "domains": [mine]})
    assert status == 201
    bearer = {"Authorization": "Bearer " + key["key"]}
    assert Api(kurier).raw("GET", "/api/v1/audit/export", headers=bearer)[0] == 200
    # The owner is moved off the key's only domain: the key covers nothing, so it is refused.
    assert admin.patch("/api/v1/admins/" + q(name), {"domains": [other]})[0] == 200
    for path in ("/api/v1/audit/export", "/api/v1/audit", "/api/v1/domains"):
        status, _, data = Api(kurier).raw("GET", path, headers=bearer)
        assert status == 401 and json.loads(data)["code"] == "invalid_api_key", (path, data)
        assert theirs.encode() not in data
    # The admin's last domain is deleted: its session is nobody's now.
    assert admin.delete("/api/v1/domains/" + q(other))[0] == 204
    for path in ("/api/v1/audit/export", "/api/v1/audit", "/api/v1/domains"):
        status, _, data = da.raw("GET", path)
        assert status == 401, (path, data)
        assert theirs.encode() not in data


def test_an_app_password_does_not_open_the_web(kurier, user_api):
    """M1: app passwords are for mail clients only."""
    api, address, _ = user_api
    secret = api.post("/api/v1/me/app-passwords", {"name": "mail-only"})[1]["password"]
    with imaplib.IMAP4(kurier.host, kurier.port("imap")) as m:
        m.login(address, secret)
    assert Api(kurier).login(address, secret, expect=401)["code"] == "bad_credentials"
    Api(kurier).login(address, PASSWORD)


def test_wrong_old_passwords_are_throttled_like_logins(fresh_kurier):
    """M4: PUT /me/password is a password oracle unless it goes through the login throttle."""
    fresh_kurier.set_config("auth", "free_failures", "2")
    fresh_kurier.set_config("auth", "max_delay_ms", "3000")
    fresh_kurier.start()
    admin = admin_api(fresh_kurier)
    address = new_account(admin, new_domain(admin))
    api = Api(fresh_kurier)
    api.login(address, PASSWORD)
    for i in range(3):
        status, problem = api.put("/api/v1/me/password", {"old_password": f"guess-{i}", "new_password": "brand-new-pw-1"})
        assert_problem(status, problem, 403, "forbidden")
    failures = [l for l in fresh_kurier.log_text().splitlines() if "auth.failed" in l and address in l]
    assert len(failures) == 3, failures
    # The account now owes a delay, in the throttle IMAP and the web login share.
    import time
    t0 = time.monotonic()
    with pytest.raises(imaplib.IMAP4.error):
        with imaplib.IMAP4(fresh_kurier.host, fresh_kurier.port("imap")) as m:
            m.login(address, "guess-3")
    assert time.monotonic() - t0 >= 0.9
    # The right old password still changes it (once the delay is served).
    assert api.put("/api/v1/me/password", {"old_password": PASSWORD, "new_password": "brand-new-pw-1"})[0] == 204
    with imaplib.IMAP4(fresh_kurier.host, fresh_kurier.port("imap")) as m:
        m.login(address, "brand-new-pw-1")


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", None])
def test_login_needs_a_json_content_type(kurier, content_type):
    """M6: a cross-site text/plain form whose field name is JSON must not log anyone in."""
    body = json.dumps({"username": "admin", "password": kurier.admin_password}).encode()
    headers = {"Content-Type": content_type} if content_type else {}
    status, hdrs, data = Api(kurier).raw("POST", "/api/v1/session", body, headers=headers)
    assert status == 415 and json.loads(data)["code"] == "unsupported_media_type", data
    assert "set-cookie" not in {k.lower() for k in hdrs}
    Api(kurier).login("admin", kurier.admin_password)  # application/json works


@pytest.mark.parametrize("headers", [{"Origin": "https://evil.example"}, {"Origin": "null"},
                                     {"Sec-Fetch-Site": "cross-site"}])
def test_cross_site_cookie_writes_and_logins_are_refused(kurier, admin, headers):
    api = admin_api(kurier)
    name = unique("web") + ".test"
    status, _, data = api.raw("POST", "/api/v1/domains", {"name": name}, headers=dict(headers))
    assert status == 403 and json.loads(data)["code"] == "cross_site_request", data
    assert admin.get("/api/v1/domains/" + name)[0] == 404
    body = {"username": "admin", "password": kurier.admin_password}
    status, _, data = Api(kurier).raw("POST", "/api/v1/session", body, headers=dict(headers))
    assert status == 403 and json.loads(data)["code"] == "cross_site_request", data
    # The same site's own page (its Origin is the Host) may write.
    host = f"{kurier.host}:{kurier.port('http')}"
    status, _, _ = api.raw("POST", "/api/v1/domains", {"name": name},
                           headers={"Origin": "http://" + host, "Host": host, "Sec-Fetch-Site": "same-origin"})
    assert status == 201


@pytest.mark.parametrize("method,path", [
    ("GET", "/api/v1/domains/no-such-{n}.test"),
    ("GET", "/api/v1/domains/{theirs}"),
    ("GET", "/api/v1/accounts/nobody@no-such-{n}.test"),
    ("GET", "/api/v1/accounts/nobody@{theirs}"),
    ("GET", "/api/v1/accounts/{victim}"),
    ("DELETE", "/api/v1/accounts/nobody@{theirs}"),
    ("GET", "/api/v1/aliases/nobody@{theirs}"),
])
def test_domain_admin_learns_nothing_about_undelegated_domains(delegation, method, path):
    """M5: 403 for every object of an undelegated domain, whether it exists or not."""
    path = (path.replace("{theirs}", delegation["theirs"]).replace("{victim}", q(delegation["victim"]))
            .replace("{n}", str(os.getpid())))
    status, problem = delegation["api"].call(method, path)
    assert_problem(status, problem, 403, "forbidden")


def test_domain_admin_cannot_resolve_another_tenants_login(delegation, admin):
    """M5: a prefix-scheme login of another domain reveals neither existence nor address."""
    theirs = new_domain(admin)
    assert admin.patch("/api/v1/domains/" + theirs, {"username_scheme": "prefix", "prefix": "m5x"})[0] == 200
    address = new_account(admin, theirs)
    login = admin.get("/api/v1/accounts/" + q(address))[1]["login"]
    assert login and "@" not in login
    da = delegation["api"]
    status, problem = da.get("/api/v1/accounts/" + q(login))
    missing_status, missing = da.get("/api/v1/accounts/m5xnosuchlogin")
    # The same answer as for a login that exists nowhere (a bare login is not an address).
    assert (status, problem["code"]) == (missing_status, missing["code"]) == (400, "invalid_input")
    assert problem["detail"].replace(login, "LOGIN") == missing["detail"].replace("m5xnosuchlogin", "LOGIN")
    assert address not in json.dumps(problem) and theirs not in json.dumps(problem)
