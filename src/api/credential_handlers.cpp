// Handlers of the secrets: a user's app passwords for mail clients, admins' API keys, and the
// TOTP second factor of any web login. Secrets are answered once, at creation, and never logged.
#include <algorithm>

#include "accounts/authenticator.h"
#include "api/api_impl.h"
#include "auth/token.h"
#include "common/log.h"
#include "common/strings.h"
#include "config/config.h"
#include "directory/directory.h"
#include "web/totp.h"

namespace kurier::api {
namespace {

int64_t id_param(const Call& c) {
  const auto& text = c.param("id");
  char* end = nullptr;
  long long id = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || id <= 0) throw ApiError(400, "invalid_input", "the id must be a positive number");
  return int64_t(id);
}

json app_password_json(const directory::AppPassword& p) {
  return {{"id", p.id}, {"name", p.name}, {"created_at", p.created_at}};
}

json api_key_json(const directory::ApiKey& k) {
  return {{"id", k.id},           {"name", k.name},         {"owner", k.owner},
          {"role", k.is_super ? "super-admin" : "domain-admin"},
          {"domains", k.domains}, {"created_at", k.created_at}, {"expires_at", k.expires_at},
          {"revoked_at", k.revoked_at}};
}

}  // namespace

std::string totp_principal(const web::Principal& p) {
  return (p.kind == web::Principal::Admin ? "admin:" : "user:") + to_lower(p.name);
}

std::string totp_principal(const Caller& c) {
  return totp_principal(web::Principal{c.kind == Caller::User ? web::Principal::User : web::Principal::Admin, 0, c.name, {}});
}

// ---- app passwords ----

http::Response Api::list_my_app_passwords(Call& c) {
  json items = json::array();
  for (const auto& p : s_.admin.list_app_passwords(c.caller.actor, c.caller.name)) items.push_back(app_password_json(p));
  return json_response(200, {{"items", items}});
}

http::Response Api::create_my_app_password(Call& c) {
  json b = c.body();
  auto [p, secret] = s_.admin.add_app_password(c.caller.actor, c.caller.name, req_string(b, "name"));
  json j = app_password_json(p);
  j["password"] = secret;  // shown this once
  return json_response(201, j);
}

http::Response Api::delete_my_app_password(Call& c) {
  s_.admin.remove_app_password(c.caller.actor, c.caller.name, id_param(c));
  return no_content();
}

// ---- API keys ----

// The keys a caller may see and revoke: its owner's (all, for a super-admin) — but a domain
// key only those no wider than itself, so a narrow key cannot find or revoke wider ones.
static bool within_callers_scope(const Caller& c, const directory::ApiKey& k) {
  if (c.api_key_id.empty() || c.is_super()) return true;
  if (k.is_super) return false;
  return std::all_of(k.domains.begin(), k.domains.end(), [&](const std::string& d) { return c.actor.may_manage(d); });
}

http::Response Api::list_api_keys(Call& c) {
  json items = json::array();
  for (const auto& k : s_.admin.list_api_keys(c.caller.actor))
    if (within_callers_scope(c.caller, k)) items.push_back(api_key_json(k));
  return json_response(200, {{"items", items}});
}

http::Response Api::create_api_key(Call& c) {
  if (!c.caller.api_key_id.empty()) throw ApiError(403, "forbidden", "an API key cannot make API keys");
  json b = c.body();
  auto role = opt_string(b, "role").value_or("domain-admin");
  if (role != "super-admin" && role != "domain-admin")
    throw ApiError(400, "invalid_input", "role must be super-admin or domain-admin");
  auto expires = opt_uint(b, "expires_at").value_or(0);
  if (expires && expires <= uint64_t(c.now)) throw ApiError(400, "invalid_input", "expires_at is in the past");
  auto [k, secret] = s_.admin.add_api_key(c.caller.actor, req_string(b, "name"), role == "super-admin",
                                          string_list(b, "domains"), int64_t(expires));
  json j = api_key_json(k);
  j["key"] = secret;  // shown this once
  return json_response(201, j);
}

http::Response Api::delete_api_key(Call& c) {
  auto id = id_param(c);
  for (const auto& k : s_.admin.list_api_keys(c.caller.actor))
    if (k.id == id && !within_callers_scope(c.caller, k)) throw ApiError(404, "not_found", "no such API key: " + std::to_string(id));
  s_.admin.revoke_api_key(c.caller.actor, id, int64_t(c.now));
  return no_content();
}

// ---- TOTP (RFC 6238) ----

http::Response Api::get_totp(Call& c) {
  auto t = s_.directory.find_totp(totp_principal(c.caller));
  return json_response(200, {{"enabled", t && t->confirmed}, {"pending", t && !t->confirmed}});
}

// Makes a new secret, not yet required: the user adds it to an authenticator app, then proves it
// with a code (confirm). An enabled factor is replaced only after it is switched off.
http::Response Api::begin_totp(Call& c) {
  if (!c.caller.api_key_id.empty()) throw ApiError(403, "forbidden", "TOTP belongs to logins, not API keys");
  auto principal = totp_principal(c.caller);
  auto existing = s_.directory.find_totp(principal);
  if (existing && existing->confirmed) throw ApiError(409, "conflict", "TOTP is already on: switch it off first");
  std::string secret = auth::random_bytes(20);  // RFC 4226 4: at least 128 bits; 160 as SHA-1's block
  s_.directory.put_totp({principal, secret, false, 0});
  return json_response(201, {{"secret", web::base32_encode(secret)},
                             {"uri", web::otpauth_uri("kurier " + s_.config.hostname, c.caller.name, secret)}});
}

http::Response Api::confirm_totp(Call& c) {
  json b = c.body();
  auto principal = totp_principal(c.caller);
  auto t = s_.directory.find_totp(principal);
  if (!t) throw ApiError(404, "not_found", "start with POST /api/v1/totp");
  guard_totp_code(c.caller, principal);
  auto step = web::verify_totp(t->secret, req_string(b, "code"), c.now);
  if (!step) {
    count_totp_failure(c.caller, principal);
    throw ApiError(400, "totp_invalid", "the code does not match");
  }
  s_.authenticator.totp_success(principal);
  t->confirmed = true;
  t->last_step = int64_t(*step);
  s_.directory.put_totp(*t);
  return json_response(200, {{"enabled", true}});
}

// Code checks here run on the blocking pool and cannot wait their turn like a login does: while
// the principal owes a delay for wrong codes (the login's and these, one count), they are refused.
void Api::guard_totp_code(const Caller& c, const std::string& principal) {
  if (s_.authenticator.totp_blocked(principal)) {
    log::warn("api.totp_throttled", {{"who", c.name}, {"ip", c.ip}});
    throw ApiError(429, "too_many_attempts", "too many wrong codes: try again later");
  }
}

void Api::count_totp_failure(const Caller& c, const std::string& principal) {
  s_.authenticator.totp_failure(principal, c.ip);
}

// Switching the factor off needs a current code: a stolen session alone cannot remove it.
http::Response Api::delete_totp(Call& c) {
  json b = c.body();
  auto principal = totp_principal(c.caller);
  auto t = s_.directory.find_totp(principal);
  if (!t) throw ApiError(404, "not_found", "TOTP is not on");
  if (t->confirmed) {
    guard_totp_code(c.caller, principal);
    if (!check_totp_code(principal, opt_string(b, "code").value_or(""), c.now)) {
      count_totp_failure(c.caller, principal);
      throw ApiError(400, "totp_invalid", "switching TOTP off needs a current code");
    }
    s_.authenticator.totp_success(principal);
  }
  s_.directory.remove_totp(principal);
  return no_content();
}

}  // namespace kurier::api
