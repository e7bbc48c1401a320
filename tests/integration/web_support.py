"""A small JSON API client for the web admin tests: http.client (a real HTTP/1.1 client), the
session cookie and the CSRF token kept like a browser would, or a Bearer API key."""
import http.client
import json
import ssl
import urllib.parse


# Writes a session must confirm with the login's password (the server answers 400 without it,
# 403 when wrong); like the UI, this client sends it unless a test passes reauth=False.
REAUTH_PATHS = {"/api/v1/totp", "/api/v1/me/app-passwords", "/api/v1/api-keys"}


class Api:
    def __init__(self, k, tls=False):
        self.k = k
        self.tls = tls
        self.cookie = None
        self.csrf = None
        self.bearer = None
        self.conn = None
        self.password = None  # of the login, re-entered for the writes that ask for it

    def _connect(self):
        if self.tls:
            ctx = ssl.create_default_context(cafile=str(self.k.cert))
            ctx.check_hostname = False
            return http.client.HTTPSConnection(self.k.host, self.k.port("https"), context=ctx, timeout=30)
        return http.client.HTTPConnection(self.k.host, self.k.port("http"), timeout=30)

    def raw(self, method, path, body=None, headers=None, csrf=True, reauth=True):
        """(status, headers dict lower-cased, body bytes) of one request; keeps the connection."""
        h = dict(headers or {})
        if (method == "POST" and path in REAUTH_PATHS and isinstance(body, dict) and "password" not in body
                and self.password and self.cookie and reauth):
            body = {**body, "password": self.password}
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
            h.setdefault("Content-Type", "application/json")
        if self.cookie:
            h["Cookie"] = self.cookie
        if self.bearer:
            h["Authorization"] = "Bearer " + self.bearer
        if csrf and self.csrf and method not in ("GET", "HEAD"):
            h["X-CSRF-Token"] = self.csrf
        for attempt in range(2):
            if self.conn is None:
                self.conn = self._connect()
            try:
                self.conn.request(method, path, body=body, headers=h)
                r = self.conn.getresponse()
                data = r.read()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.conn.close()
                self.conn = None
                if attempt:
                    raise
        hdrs = {k.lower(): v for k, v in r.getheaders()}
        if r.getheader("Connection", "").lower() == "close":
            self.conn.close()
            self.conn = None
        return r.status, hdrs, data

    def call(self, method, path, body=None, **kw):
        """(status, parsed JSON or None)."""
        status, hdrs, data = self.raw(method, path, body, **kw)
        if data and hdrs.get("content-type", "").split(";")[0] in ("application/json", "application/problem+json"):
            return status, json.loads(data)
        return status, None

    def get(self, path, **kw):
        return self.call("GET", path, **kw)

    def post(self, path, body=None, **kw):
        return self.call("POST", path, body if body is not None else {}, **kw)

    def patch(self, path, body, **kw):
        return self.call("PATCH", path, body, **kw)

    def put(self, path, body, **kw):
        return self.call("PUT", path, body, **kw)

    def delete(self, path, **kw):
        return self.call("DELETE", path, **kw)

    def login(self, username, password, totp=None, expect=200):
        body = {"username": username, "password": password}
        if totp is not None:
            body["totp"] = totp
        status, hdrs, data = self.raw("POST", "/api/v1/session", body)
        assert status == expect, (status, data)
        if status == 200:
            self.password = password
            self.cookie = hdrs["set-cookie"].split(";")[0]
            self.csrf = json.loads(data)["csrf_token"]
            return json.loads(data)
        return json.loads(data)


def q(value):
    """A path segment."""
    return urllib.parse.quote(value, safe="")


def admin_api(k, tls=False):
    a = Api(k, tls)
    a.login("admin", k.admin_password)
    return a
