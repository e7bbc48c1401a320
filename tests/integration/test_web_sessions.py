"""Web sessions against a real `kurier serve` with http.client: a session belongs to one admin or
account by its id and its password at login (review M2), so deleting, disabling or resetting the
password of the principal (through the API, or the CLI in another process) ends it, and a name
given to somebody else later never inherits it; one session store serves the http and https
listeners; the cookie's name on https is `__Host-` prefixed (review M6)."""
import pytest

from conftest import PASSWORD
from web_support import Api, admin_api, q
from test_web_api import new_account, new_domain, unique


@pytest.fixture(scope="module")
def admin(kurier):
    return admin_api(kurier)


def user_session(kurier, address, password=PASSWORD, tls=False):
    api = Api(kurier, tls=tls)
    assert api.login(address, password)["username"] == address
    assert api.get("/api/v1/me")[0] == 200
    return api


def session_is_over(api):
    status, problem = api.get("/api/v1/me")
    return status == 401 and problem["code"] == "unauthenticated"


def test_a_password_reset_by_an_admin_ends_the_users_sessions(kurier, admin):
    address = new_account(admin, new_domain(admin))
    api = user_session(kurier, address)
    assert admin.patch("/api/v1/accounts/" + q(address), {"password": "reset-by-admin-1"})[0] == 200
    assert session_is_over(api)
    # The new password opens a new session.
    user_session(kurier, address, "reset-by-admin-1")


def test_a_disabled_account_stays_logged_out_when_enabled_again(kurier, admin):
    address = new_account(admin, new_domain(admin))
    api = user_session(kurier, address)
    assert admin.patch("/api/v1/accounts/" + q(address), {"enabled": False})[0] == 200
    assert admin.patch("/api/v1/accounts/" + q(address), {"enabled": True})[0] == 200
    assert session_is_over(api)


def test_a_deleted_and_recreated_account_does_not_inherit_the_session(kurier, admin):
    domain = new_domain(admin)
    address = new_account(admin, domain)
    api = user_session(kurier, address)
    assert admin.delete("/api/v1/accounts/" + q(address))[0] == 204
    status, _ = admin.post("/api/v1/accounts", {"address": address, "password": PASSWORD})
    assert status == 201
    assert session_is_over(api)


def test_a_password_reset_through_the_cli_ends_the_session(kurier, admin):
    address = new_account(admin, new_domain(admin))
    api = user_session(kurier, address)
    kurier.cli("user", "set", address, "--password-stdin", input="reset-by-cli-22\n")
    assert session_is_over(api)


def test_the_users_own_password_change_keeps_only_the_current_session(kurier, admin):
    address = new_account(admin, new_domain(admin))
    current = user_session(kurier, address)
    other = user_session(kurier, address)
    other_tls = user_session(kurier, address, tls=True)
    status, _ = current.put("/api/v1/me/password", {"old_password": PASSWORD, "new_password": "my-own-new-pw-3"})
    assert status == 204
    assert current.get("/api/v1/me")[0] == 200
    assert current.get("/api/v1/me")[0] == 200  # still, on the next request too
    assert session_is_over(other)
    assert session_is_over(other_tls)  # the https listener's sessions too (one store)


def test_an_admins_sessions_end_with_a_reset_or_removal(kurier, admin):
    domain = new_domain(admin)
    name = unique("sa")
    assert admin.post("/api/v1/admins", {"name": name, "password": "domain-admin-pw", "domains": [domain]})[0] == 201
    da = Api(kurier)
    da.login(name, "domain-admin-pw")
    assert da.get("/api/v1/domains")[0] == 200
    assert admin.patch("/api/v1/admins/" + q(name), {"password": "domain-admin-pw2"})[0] == 200
    assert da.get("/api/v1/domains")[0] == 401
    # Removed, then an admin of the same name made again: the old session is not theirs.
    da.login(name, "domain-admin-pw2")
    assert admin.delete("/api/v1/admins/" + q(name))[0] == 204
    assert admin.post("/api/v1/admins", {"name": name, "password": "domain-admin-pw2", "domains": [domain]})[0] == 201
    assert da.get("/api/v1/domains")[0] == 401


def test_an_admin_changing_its_own_password_stays_logged_in(kurier, admin):
    name = unique("su")
    assert admin.post("/api/v1/admins", {"name": name, "password": "super-admin-pw1", "super": True})[0] == 201
    me, other = Api(kurier), Api(kurier)
    me.login(name, "super-admin-pw1")
    other.login(name, "super-admin-pw1")
    assert me.patch("/api/v1/admins/" + q(name), {"password": "super-admin-pw2"})[0] == 200
    assert me.get("/api/v1/domains")[0] == 200
    assert other.get("/api/v1/domains")[0] == 401


def test_one_session_store_serves_http_and_https(kurier):
    plain = Api(kurier)
    plain.login("admin", kurier.admin_password)
    value = plain.cookie.split("=", 1)[1]
    tls = Api(kurier, tls=True)
    tls.cookie = "__Host-kurier_session=" + value
    tls.csrf = plain.csrf
    status, who = tls.get("/api/v1/session")
    assert status == 200 and who["username"] == "admin"
    # Logging out on https ends it on http.
    assert tls.delete("/api/v1/session")[0] == 204
    assert plain.get("/api/v1/domains")[0] == 401


def test_the_https_cookie_is_host_prefixed_and_only_read_by_that_name(kurier):
    tls = Api(kurier, tls=True)
    status, hdrs, _ = tls.raw("POST", "/api/v1/session", {"username": "admin", "password": kurier.admin_password})
    assert status == 200
    cookie = hdrs["set-cookie"]
    # RFC 6265bis 4.1.3.2: __Host- needs Secure, Path=/ and no Domain.
    assert cookie.startswith("__Host-kurier_session=") and "; Secure" in cookie and "; Path=/" in cookie
    assert "Domain=" not in cookie
    value = cookie.split(";")[0].split("=", 1)[1]
    # A cookie tossed in under the unprefixed name (a sibling subdomain can set that one) is
    # not read on https.
    tossed = Api(kurier, tls=True)
    tossed.cookie = "kurier_session=" + value
    assert tossed.get("/api/v1/session")[0] == 401
    # Plain http on loopback cannot set a Secure cookie, so there the name has no prefix.
    status, hdrs, _ = Api(kurier).raw("POST", "/api/v1/session", {"username": "admin", "password": kurier.admin_password})
    assert status == 200 and hdrs["set-cookie"].startswith("kurier_session=")
