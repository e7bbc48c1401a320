// Handlers of /api/v1/me: a mail user's self-service — its password (with the old one),
// forwarding with or without a local copy, the vacation reply (a Sieve script ManageSieve
// shows), its own Sieve scripts through the same accounts::SieveScripts as ManageSieve, and its
// quota usage.
#include "accounts/sieve_scripts.h"
#include "accounts/vacation.h"
#include "api/api_impl.h"
#include "config/config.h"
#include "directory/directory.h"
#include "store/mail_store.h"

namespace kurier::api {
namespace {

using accounts::SieveStatus;

void throw_for(const accounts::SieveResult& r) {
  switch (r.status) {
    case SieveStatus::ok: return;
    case SieveStatus::nonexistent: throw ApiError(404, "not_found", r.message);
    case SieveStatus::already_exists: throw ApiError(409, "conflict", r.message);
    case SieveStatus::active: throw ApiError(409, "script_active", r.message);
    case SieveStatus::too_big:
    case SieveStatus::too_many: throw ApiError(409, "limit_exceeded", r.message);
    case SieveStatus::bad_name: throw ApiError(400, "invalid_input", r.message);
    case SieveStatus::bad_script: throw ApiError(400, "invalid_sieve", r.message);
  }
}

json vacation_json(const accounts::Vacation& v) {
  return {{"enabled", v.enabled}, {"subject", v.subject}, {"text", v.text}, {"start", v.start}, {"end", v.end}};
}

}  // namespace

directory::Account Api::my_account(const Call& c) {
  auto a = s_.directory.account_by_id(c.caller.account_id);
  if (!a) throw ApiError(401, "unauthenticated", "the account is gone");
  return *a;
}

// The caller's account for /me/sieve and /me/vacation: refused when its `sieve` service is
// switched off, as ManageSieve refuses it (review L4: the web is no way around the switch).
directory::Account Api::my_sieve_account(const Call& c) {
  if (!s_.sieve_scripts) throw ApiError(503, "unavailable", "Sieve is not available");
  auto a = my_account(c);
  if (!(a.services & directory::kSieve))
    throw ApiError(403, "service_disabled", "Sieve filters are switched off for this account");
  return a;
}

http::Response Api::get_me(Call& c) {
  auto a = my_account(c);
  json j = account_json(a);
  store::QuotaUsage u;
  if (s_.mail_store) u = s_.mail_store->quota_usage(store::AccountId(a.id));
  j["usage"] = {{"bytes", u.bytes}, {"messages", u.messages}, {"quota", a.quota}};
  return json_response(200, j);
}

http::Response Api::change_my_password(Call& c) {
  json b = c.body();
  auto a = my_account(c);
  // The old password was checked before (Api::change_password_checked), throttled like a login.
  req_string(b, "old_password");
  s_.admin.set_own_password(c.caller.actor, a.address, req_string(b, "new_password"));
  // Other web sessions of the account end; this one stays, bound to the new password.
  end_sessions(c.caller, web::Principal::User, a.id);
  return no_content();
}

http::Response Api::get_my_forwarding(Call& c) {
  auto f = s_.admin.forwarding(c.caller.actor, my_account(c).address);
  return json_response(200, {{"targets", f.targets}, {"keep_copy", f.keep_copy}});
}

http::Response Api::set_my_forwarding(Call& c) {
  json b = c.body();
  accounts::Forwarding f;
  f.targets = string_list(b, "targets");
  f.keep_copy = opt_bool(b, "keep_copy").value_or(true);
  f = s_.admin.set_forwarding(c.caller.actor, my_account(c).address, f);
  return json_response(200, {{"targets", f.targets}, {"keep_copy", f.keep_copy}});
}

http::Response Api::get_my_vacation(Call& c) {
  auto me = my_sieve_account(c);
  auto script = s_.sieve_scripts->get(me.id, accounts::kVacationScript);
  accounts::Vacation v;
  if (script) v = accounts::parse_vacation_script(script->content).value_or(v);
  if (script && !script->active) v.enabled = false;
  return json_response(200, vacation_json(v));
}

http::Response Api::set_my_vacation(Call& c) {
  auto me = my_sieve_account(c);
  json b = c.body();
  accounts::Vacation v;
  v.enabled = opt_bool(b, "enabled").value_or(false);
  v.subject = opt_string(b, "subject").value_or("");
  v.text = opt_string(b, "text").value_or("");
  v.start = opt_string(b, "start").value_or("");
  v.end = opt_string(b, "end").value_or("");
  accounts::check_vacation(v);
  const auto& account = me;
  auto& scripts = *s_.sieve_scripts;
  // The script active before the vacation keeps running (included), and is active again after.
  std::string previous;
  if (auto existing = scripts.get(account.id, accounts::kVacationScript))
    if (auto old = accounts::parse_vacation_script(existing->content)) previous = old->include;
  for (const auto& s : scripts.list(account.id))
    if (s.active && s.name != accounts::kVacationScript) previous = s.name;
  v.include = previous;
  throw_for(scripts.put(account.id, std::string(accounts::kVacationScript), accounts::vacation_script(v)));
  if (v.enabled) throw_for(scripts.activate(account.id, accounts::kVacationScript));
  else throw_for(scripts.activate(account.id, previous));
  return json_response(200, vacation_json(v));
}

http::Response Api::list_my_sieve(Call& c) {
  auto me = my_sieve_account(c);
  json items = json::array();
  for (const auto& s : s_.sieve_scripts->list(me.id))
    items.push_back({{"name", s.name}, {"size", s.size}, {"active", s.active}, {"updated_at", s.updated_at}});
  return json_response(200, {{"items", items}, {"extensions", s_.sieve_scripts->language().extensions}});
}

http::Response Api::get_my_sieve(Call& c) {
  auto me = my_sieve_account(c);
  auto s = s_.sieve_scripts->get(me.id, c.param("name"));
  if (!s) throw ApiError(404, "not_found", "no such script: " + c.param("name"));
  return json_response(200, {{"name", s->name}, {"content", s->content}, {"active", s->active}, {"size", s->size}});
}

http::Response Api::put_my_sieve(Call& c) {
  auto me = my_sieve_account(c);
  json b = c.body();
  auto id = me.id;
  throw_for(s_.sieve_scripts->put(id, c.param("name"), req_string(b, "content")));
  if (opt_bool(b, "active").value_or(false)) throw_for(s_.sieve_scripts->activate(id, c.param("name")));
  return get_my_sieve(c);
}

http::Response Api::delete_my_sieve(Call& c) {
  auto me = my_sieve_account(c);
  throw_for(s_.sieve_scripts->remove(me.id, c.param("name")));
  return no_content();
}

http::Response Api::activate_my_sieve(Call& c) {
  auto me = my_sieve_account(c);
  throw_for(s_.sieve_scripts->activate(me.id, c.param("name")));
  return get_my_sieve(c);
}

// ---- preferences of a web login (admins and users alike) ----

namespace {

constexpr size_t kMaxPreferencesBytes = 2048;

// "admin:ID" / "user:ID": preferences follow the principal's id, never a reusable name.
std::string preferences_key(const Caller& c) {
  if (!c.via_cookie || c.principal_id == 0)
    throw ApiError(403, "forbidden", "preferences belong to web logins, not API keys");
  return (c.kind == Caller::User ? "user:" : "admin:") + std::to_string(c.principal_id);
}

bool is_language_tag(const std::string& s) {
  // A primary language subtag, optionally with a region (RFC 5646 2.1: "de", "en-GB").
  auto lower = [](char ch) { return ch >= 'a' && ch <= 'z'; };
  auto upper = [](char ch) { return ch >= 'A' && ch <= 'Z'; };
  if (s.size() != 2 && s.size() != 5) return false;
  if (!lower(s[0]) || !lower(s[1])) return false;
  return s.size() == 2 || (s[2] == '-' && upper(s[3]) && upper(s[4]));
}

// The preferences a client sent, checked field by field; unknown fields are refused so a typo
// is not silently dropped. A null field is unset.
json valid_preferences(const json& b) {
  json out = json::object();
  for (const auto& [key, value] : b.items()) {
    if (value.is_null()) continue;
    if (key == "language") {
      if (!value.is_string() || !is_language_tag(value.get<std::string>()))
        throw ApiError(400, "invalid_input", "language must be a language tag such as \"en\" or \"de\"");
      out[key] = value;
    } else if (key == "page_size" || key == "quota_warning_percent") {
      int64_t lo = key == "page_size" ? 10 : 1, hi = key == "page_size" ? 200 : 100;
      if (!value.is_number_integer() || value.get<int64_t>() < lo || value.get<int64_t>() > hi)
        throw ApiError(400, "invalid_input", key + " must be a whole number from " + std::to_string(lo) + " to " + std::to_string(hi));
      out[key] = value;
    } else {
      throw ApiError(400, "invalid_input", "unknown preference: " + key);
    }
  }
  return out;
}

}  // namespace

json Api::my_preferences(const Caller& c) {
  if (!c.via_cookie || c.principal_id == 0) return json::object();
  auto text = s_.directory.find_preferences(preferences_key(c));
  json j = text ? json::parse(*text, nullptr, false) : json::object();
  return j.is_object() ? j : json::object();
}

json Api::session_json(const Caller& c) {
  json prefs = my_preferences(c);
  json j = {{"username", c.name},
            {"role", c.kind == Caller::User ? "user" : c.is_super() ? "super-admin" : "domain-admin"},
            {"quota_warning_percent", prefs.value("quota_warning_percent", s_.config.web.quota_warning_percent)},
            {"preferences", prefs}};
  if (prefs.contains("language")) j["language"] = prefs["language"];
  if (c.kind == Caller::Admin && !c.is_super()) j["domains"] = c.actor.domains;
  return j;
}

http::Response Api::get_my_preferences(Call& c) {
  preferences_key(c.caller);
  return json_response(200, my_preferences(c.caller));
}

// Replaces the preferences (PUT: the whole object; send the fields to keep).
http::Response Api::put_my_preferences(Call& c) {
  std::string key = preferences_key(c.caller);
  if (c.req.body.size() > kMaxPreferencesBytes)
    throw ApiError(413, "payload_too_large", "preferences are at most " + std::to_string(kMaxPreferencesBytes) + " bytes");
  json prefs = valid_preferences(c.body());
  s_.directory.put_preferences(key, prefs.empty() ? std::string() : prefs.dump());
  return json_response(200, prefs);
}

}  // namespace kurier::api
