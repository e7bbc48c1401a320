#!/usr/bin/env python3
# Writes docs/openapi.json, the OpenAPI 3.1 description of /api/v1 (run: scripts/openapi.py > docs/openapi.json).
# tests/unit/api/openapi_test.cpp checks that its paths are exactly the routes of src/api/app.cpp.
import json
P = lambda name, desc: {"name": name, "in": "path", "required": True, "schema": {"type": "string"}, "description": desc}
Q = lambda name, desc, t="string": {"name": name, "in": "query", "required": False, "schema": {"type": t}, "description": desc}
paging = [Q("limit", "items per page, 1-1000 (default 50)", "integer"), Q("after", "the `next` cursor of the previous page"), Q("q", "case-insensitive substring filter")]
ref = lambda n: {"$ref": f"#/components/schemas/{n}"}
def ok(schema, code="200", desc="OK"):
    return {code: {"description": desc, "content": {"application/json": {"schema": schema}}}}
def body(schema, required=True):
    return {"required": required, "content": {"application/json": {"schema": schema}}}
def page(item):
    return {"type": "object", "properties": {"items": {"type": "array", "items": ref(item)}, "next": {"type": ["string", "null"]}}}
errors = {"400": {"$ref": "#/components/responses/Problem"}, "401": {"$ref": "#/components/responses/Problem"},
          "403": {"$ref": "#/components/responses/Problem"}, "404": {"$ref": "#/components/responses/Problem"},
          "409": {"$ref": "#/components/responses/Problem"}}
nocontent = {"204": {"description": "Done"}}
def op(summary, tag, responses, params=(), rb=None, security=True, roles=""):
    o = {"summary": summary, "tags": [tag], "responses": {**responses, **errors}}
    if roles: o["description"] = "Roles: " + roles
    if params: o["parameters"] = list(params)
    if rb: o["requestBody"] = rb
    if not security: o["security"] = []
    return o
dom, acc, src, adm, qid, name = P("domain", "domain name"), P("address", "account address or login"), P("source", "alias source: local@domain or @domain"), P("name", "admin name"), P("id", "queue id"), P("name", "script name")
SUPER, ADMIN, USER = "super-admin", "super-admin, domain admin (delegated domains only)", "user (self-service)"
S = lambda **props: {"type": "object", "properties": props}
s, i, b = {"type": "string"}, {"type": "integer", "minimum": 0}, {"type": "boolean"}
paths = {
 "/api/v1/session": {
   "post": op("Log in: sets the session cookie; answers the CSRF token for X-CSRF-Token", "session", ok(ref("Session")), rb=body(ref("Login")), security=False),
   "get": op("Who is logged in", "session", ok(ref("Session")), roles="any"),
   "delete": op("Log out", "session", nocontent, roles="any")},
 "/api/v1/openapi.json": {"get": op("This description", "meta", ok({"type": "object"}), security=False)},
 "/api/v1/domains": {"get": op("Domains the caller manages", "domains", ok(page("Domain")), paging, roles=ADMIN),
                     "post": op("Add a domain", "domains", ok(ref("Domain"), "201", "Created"), rb=body(ref("DomainInput")), roles=SUPER)},
 "/api/v1/domains/{domain}": {"get": op("One domain", "domains", ok(ref("Domain")), [dom], roles=ADMIN),
                              "patch": op("Change a domain's settings (limits, scheme and transport: super-admin only)", "domains", ok(ref("Domain")), [dom], body(ref("DomainInput")), roles=ADMIN),
                              "delete": op("Remove a domain with its accounts and aliases", "domains", nocontent, [dom], roles=SUPER)},
 "/api/v1/domains/{domain}/usage": {"get": op("Storage used by the domain's accounts", "domains", ok(ref("DomainUsage")), [dom], roles=ADMIN)},
 "/api/v1/domains/{domain}/dkim": {"get": op("DKIM TXT records to publish", "dns", ok({"type": "object"}), [dom], roles=ADMIN)},
 "/api/v1/domains/{domain}/dns": {"get": op("Every DNS record to publish (MX, SPF, DKIM, DMARC, autoconfig)", "dns", ok(ref("DnsRecords")), [dom], roles=ADMIN)},
 "/api/v1/domains/{domain}/dns/check": {"get": op("Resolve the records through the configured resolver: ok, missing, wrong or error each", "dns", ok(ref("DnsCheck")), [dom], roles=ADMIN)},
 "/api/v1/accounts": {"get": op("Accounts by address across the caller's domains", "accounts", ok(page("Account")), [Q("domain", "only this domain")] + paging, roles=ADMIN),
                      "post": op("Add an account", "accounts", ok(ref("Account"), "201", "Created"), rb=body(ref("AccountInput")), roles=ADMIN)},
 "/api/v1/accounts/{address}": {"get": op("One account with its forwarding", "accounts", ok(ref("Account")), [acc], roles=ADMIN),
                                "patch": op("Change password, quota, name, enabled, service switches", "accounts", ok(ref("Account")), [acc], body(ref("AccountInput")), roles=ADMIN),
                                "delete": op("Remove an account (its mail is purged)", "accounts", nocontent, [acc], roles=ADMIN)},
 "/api/v1/accounts/{address}/usage": {"get": op("Quota usage", "accounts", ok(ref("Usage")), [acc], roles=ADMIN)},
 "/api/v1/aliases": {"get": op("Aliases, catch-alls (@domain) and domain aliases (@a -> @b)", "aliases", ok(page("Alias")), [Q("domain", "only this domain")] + paging, roles=ADMIN),
                     "post": op("Add targets to an alias (external addresses forward)", "aliases", ok(ref("Alias"), "201", "Created"), rb=body(ref("AliasInput")), roles=ADMIN)},
 "/api/v1/aliases/{source}": {"get": op("One alias", "aliases", ok(ref("Alias")), [src], roles=ADMIN),
                              "delete": op("Remove an alias, or one target of it", "aliases", nocontent, [src, Q("target", "remove only this target")], roles=ADMIN)},
 "/api/v1/admins": {"get": op("Admins", "admins", ok(page("Admin")), paging, roles=SUPER),
                    "post": op("Add a super-admin or a domain admin", "admins", ok(ref("Admin"), "201", "Created"), rb=body(ref("AdminInput")), roles=SUPER)},
 "/api/v1/admins/{name}": {"get": op("One admin", "admins", ok(ref("Admin")), [name], roles=SUPER),
                           "patch": op("Change an admin's password or domains", "admins", ok(ref("Admin")), [name], body(ref("AdminInput")), roles=SUPER),
                           "delete": op("Remove an admin (not the last super-admin)", "admins", nocontent, [name], roles=SUPER)},
 "/api/v1/queue": {"get": op("Queued outbound messages, oldest first", "queue", ok({"type": "object"}), paging, roles=SUPER)},
 "/api/v1/queue/retry": {"post": op("Make every deferred message due now", "queue", ok({"type": "object"}), roles=SUPER)},
 "/api/v1/queue/{id}/retry": {"post": op("Make one message due now", "queue", ok({"type": "object"}), [qid], roles=SUPER)},
 "/api/v1/queue/{id}": {"delete": op("Delete a queued message (no bounce)", "queue", nocontent, [qid], roles=SUPER)},
 "/api/v1/stats": {"get": op("Dashboard: counts, storage per domain, received/sent/bounced per hour for 48 h", "stats", ok(ref("Stats")), roles=ADMIN)},
 "/api/v1/audit": {"get": op("The audit log, newest first (domain admins: their domains' entries)", "audit", ok(page("AuditEntry")), paging[:2], roles=ADMIN)},
 "/api/v1/audit/export": {"get": op("The visible audit log as JSON lines", "audit", {"200": {"description": "JSON lines", "content": {"application/x-ndjson": {"schema": {"type": "string"}}}}}, roles=ADMIN)},
 "/api/v1/api-keys": {"get": op("API keys (a super-admin sees all, others their own)", "api-keys", ok({"type": "object"}), roles=ADMIN),
                      "post": op("Make an API key; `key` is in this answer only", "api-keys", ok(ref("ApiKey"), "201", "Created"), rb=body(ref("ApiKeyInput")), roles=ADMIN + "; not with an API key; with a session, `password` (the login's) is required")},
 "/api/v1/api-keys/{id}": {"delete": op("Revoke an API key", "api-keys", nocontent, [qid], roles=ADMIN)},
 "/api/v1/totp": {"get": op("Is TOTP on for this login", "totp", ok({"type": "object"}), roles="any login"),
                  "post": op("Start TOTP: a new secret (base32 and otpauth URI), required once confirmed", "totp", ok({"type": "object"}, "201", "Created"), rb=body(S(password=s), False), roles="any login; with a session, `password` (the login's) is required"),
                  "delete": op("Switch TOTP off (needs a current code)", "totp", nocontent, rb=body(S(code=s), False), roles="any login")},
 "/api/v1/totp/confirm": {"post": op("Confirm TOTP with a code: from now on logins need one", "totp", ok({"type": "object"}), rb=body(S(code=s)), roles="any login")},
 "/api/v1/me/preferences": {"get": op("The web login's preferences (an empty object when none are stored)", "self-service", ok(ref("Preferences")), roles="any web login (not an API key)"),
                            "put": op("Replace the web login's preferences (at most 2048 bytes; unknown fields are refused)", "self-service", ok(ref("Preferences")), rb=body(ref("Preferences")), roles="any web login (not an API key)")},
 "/api/v1/me/app-passwords": {"get": op("The user's app passwords (names only)", "self-service", ok({"type": "object"}), roles=USER),
                              "post": op("Make an app password for a mail client; `password` is in this answer only", "self-service", ok(ref("AppPassword"), "201", "Created"), rb=body({**S(name=s, password=s), "required": ["name"]}), roles=USER + "; with a session, `password` (the login's) is required")},
 "/api/v1/me/app-passwords/{id}": {"delete": op("Revoke an app password", "self-service", nocontent, [P("id", "app password id")], roles=USER)},
 "/api/v1/me": {"get": op("The user's account and quota usage", "self-service", ok(ref("Account")), roles=USER)},
 "/api/v1/me/password": {"put": op("Change the password (with the old one)", "self-service", nocontent, rb=body(ref("PasswordChange")), roles=USER)},
 "/api/v1/me/forwarding": {"get": op("Forwarding", "self-service", ok(ref("Forwarding")), roles=USER),
                           "put": op("Set forwarding (empty targets: none)", "self-service", ok(ref("Forwarding")), rb=body(ref("Forwarding")), roles=USER)},
 "/api/v1/me/vacation": {"get": op("Vacation reply", "self-service", ok(ref("Vacation")), roles=USER),
                         "put": op("Set the vacation reply (a Sieve script 'kurier-vacation')", "self-service", ok(ref("Vacation")), rb=body(ref("Vacation")), roles=USER)},
 "/api/v1/me/sieve": {"get": op("The user's Sieve scripts", "self-service", ok({"type": "object"}), roles=USER)},
 "/api/v1/me/sieve/{name}": {"get": op("One script", "self-service", ok(ref("SieveScript")), [name], roles=USER),
                             "put": op("Store a script (checked by the Sieve compiler)", "self-service", ok(ref("SieveScript")), [name], body(ref("SieveScript")), roles=USER),
                             "delete": op("Remove a script (not the active one)", "self-service", nocontent, [name], roles=USER)},
 "/api/v1/me/sieve/{name}/activate": {"post": op("Make the script the active one", "self-service", ok(ref("SieveScript")), [name], roles=USER)},
}
S = lambda **props: {"type": "object", "properties": props}
s, i, b = {"type": "string"}, {"type": "integer", "minimum": 0}, {"type": "boolean"}
services = S(imap=b, pop3=b, sieve=b, submission=b, receive=b)
schemas = {
 "Problem": S(type=s, title=s, status=i, code=s, detail=s),
 "Login": {**S(username=s, password=s, totp={"type": "string", "description": "the current TOTP code, once TOTP is on"}), "required": ["username", "password"]},
 "Session": S(username=s, role={"type": "string", "enum": ["super-admin", "domain-admin", "user"]}, domains={"type": "array", "items": s}, csrf_token=s, expires=i, quota_warning_percent=i, language=s, preferences=ref("Preferences")),
 "Domain": S(name=s, default_quota=i, max_quota_per_account=i, total_quota=i, max_accounts=i, username_scheme={"type": "string", "enum": ["address", "prefix"]}, prefix=s, transport=s, created_at=i, accounts=i, allocated_quota=i),
 "DomainInput": S(name=s, default_quota=i, max_quota_per_account=i, total_quota=i, max_accounts=i, username_scheme={"type": "string", "enum": ["address", "prefix"]}, prefix=s, transport=s),
 "DomainUsage": S(domain=s, accounts=i, bytes=i, messages=i, allocated_quota=i, total_quota=i),
 "Account": S(address=s, login=s, domain=s, display_name=s, quota=i, enabled=b, services=services, created_at=i, last_login=i, usage_bytes=i),
 "AccountInput": S(address=s, password=s, quota=i, display_name=s, enabled=b, services=services),
 "Usage": S(address=s, bytes=i, messages=i, quota=i),
 "Alias": S(source=s, targets={"type": "array", "items": s}, kind={"type": "string", "enum": ["alias", "catch_all", "domain_alias"]}),
 "AliasInput": {**S(source=s, targets={"type": "array", "items": s}), "required": ["source", "targets"]},
 "Admin": S(name=s, super=b, domains={"type": "array", "items": s}),
 "AdminInput": S(name=s, password=s, super=b, domains={"type": "array", "items": s}),
 "DnsRecord": S(kind=s, name=s, type=s, value=s),
 "DnsRecords": S(domain=s, records={"type": "array", "items": ref("DnsRecord")}),
 "DnsCheck": S(domain=s, ok=b, records={"type": "array", "items": S(kind=s, name=s, type=s, value=s, status={"type": "string", "enum": ["ok", "missing", "wrong", "error"]}, found={"type": "array", "items": s}, detail=s)}),
 "Stats": S(domains=i, accounts=i, aliases=i, queue=i, storage={"type": "array", "items": S(domain=s, accounts=i, bytes=i)}, hourly={"type": "array", "items": S(hour=i, received=i, sent=i, bounced=i)}),
 "Preferences": {**S(language={"type": "string", "pattern": "^[a-z]{2}(-[A-Z]{2})?$"}, page_size={"type": "integer", "minimum": 10, "maximum": 200}, quota_warning_percent={"type": "integer", "minimum": 1, "maximum": 100}), "additionalProperties": False},
 "PasswordChange": {**S(old_password=s, new_password=s), "required": ["old_password", "new_password"]},
 "Forwarding": S(targets={"type": "array", "items": s}, keep_copy=b),
 "Vacation": S(enabled=b, subject=s, text=s, start={"type": "string", "format": "date"}, end={"type": "string", "format": "date"}),
 "AuditEntry": S(id=i, at=i, actor=s, role=s, ip=s, action=s, object=s, domain=s, before={"type": ["object", "null"]}, after={"type": ["object", "null"]}),
 "ApiKey": S(id=i, name=s, owner=s, role=s, domains={"type": "array", "items": s}, created_at=i, expires_at=i, revoked_at=i, key=s),
 "ApiKeyInput": {**S(name=s, password=s, role={"type": "string", "enum": ["super-admin", "domain-admin"]}, domains={"type": "array", "items": s}, expires_at=i), "required": ["name"]},
 "AppPassword": S(id=i, name=s, created_at=i, password=s),
 "SieveScript": S(name=s, content=s, active=b, size=i),
}
doc = {"openapi": "3.1.0",
       "info": {"title": "kurier JSON API", "version": "1",
                "description": "The web admin's API: the powers of the kurier CLI. Errors are RFC 9457 application/problem+json with a stable `code`. Lists are paged by cursor (`limit`, `after` = the previous page's `next`) and filtered by `q`. Cookie-authenticated writes need the X-CSRF-Token header."},
       "servers": [{"url": "/"}],
       "security": [{"session": []}, {"apiKey": []}],
       "paths": paths,
       "components": {"schemas": schemas,
                      "responses": {"Problem": {"description": "RFC 9457 problem", "content": {"application/problem+json": {"schema": ref("Problem")}}}},
                      "securitySchemes": {"session": {"type": "apiKey", "in": "cookie", "name": "kurier_session"},
                                          "apiKey": {"type": "http", "scheme": "bearer"}}}}
print(json.dumps(doc, indent=1))
