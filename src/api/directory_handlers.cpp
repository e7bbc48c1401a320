// Handlers of /api/v1/domains, /accounts, /aliases and /admins: JSON in and out around the same
// accounts::AdminService calls the CLI makes (docs/INTERFACE.md "JSON API").
#include <algorithm>

#include "api/api_impl.h"
#include "common/strings.h"
#include "directory/directory.h"
#include "store/mail_store.h"

namespace kurier::api {
namespace {

using accounts::DomainSettings;
using accounts::UserSettings;

DomainSettings domain_settings(const json& b) {
  DomainSettings s;
  s.default_quota = opt_uint(b, "default_quota");
  s.max_quota_per_account = opt_uint(b, "max_quota_per_account");
  s.total_quota = opt_uint(b, "total_quota");
  if (auto m = opt_uint(b, "max_accounts")) {
    if (*m > 10'000'000) throw ApiError(400, "invalid_input", "max_accounts is too large");
    s.max_accounts = uint32_t(*m);
  }
  s.username_scheme = opt_string(b, "username_scheme");
  s.prefix = opt_string(b, "prefix");
  s.transport = opt_string(b, "transport");
  return s;
}

// {"imap": false, "pop3": true, ...} -> the bits to clear and to set.
void service_switches(const json& b, UserSettings& s) {
  auto it = b.find("services");
  if (it == b.end() || it->is_null()) return;
  if (!it->is_object()) throw ApiError(400, "invalid_input", "services must be an object of name: true/false");
  for (const auto& [name, on] : it->items()) {
    auto svc = directory::service_from_name(name);
    if (!svc) throw ApiError(400, "invalid_input", "unknown service: " + name);
    if (!on.is_boolean()) throw ApiError(400, "invalid_input", "services." + name + " must be true or false");
    (on.get<bool>() ? s.enable_services : s.disable_services) |= *svc;
  }
}

json services_json(uint32_t services) {
  json j = json::object();
  for (auto name : {"imap", "pop3", "sieve", "submission", "receive"})
    j[name] = (services & *directory::service_from_name(name)) != 0;
  return j;
}

bool matches(std::string_view key, const std::string& q) { return q.empty() || to_lower(key).find(q) != std::string::npos; }

// A page of an in-memory list sorted by key (lists that stay small: domains, aliases, admins).
template <class T, class Key, class ToJson>
json page_of(std::vector<T> items, Key key, const PageRequest& p, ToJson to_json) {
  std::sort(items.begin(), items.end(), [&](const T& a, const T& b) { return key(a) < key(b); });
  json out = json::array();
  std::string last;
  bool more = false;
  for (const auto& item : items) {
    if (!p.after.empty() && key(item) <= p.after) continue;
    if (!matches(key(item), p.q)) continue;
    if (out.size() == p.limit) {
      more = true;
      break;
    }
    out.push_back(to_json(item));
    last = key(item);
  }
  return {{"items", out}, {"next", more ? json(last) : json(nullptr)}};
}

std::optional<std::string> domain_param(const http::Request& req) {
  auto d = req.param("domain");
  if (d && d->empty()) return std::nullopt;
  return d;
}

}  // namespace

json domain_json(const directory::Domain& d) {
  return {{"name", d.name},
          {"default_quota", d.default_quota},
          {"max_quota_per_account", d.max_quota_per_account},
          {"total_quota", d.total_quota},
          {"max_accounts", d.max_accounts},
          {"username_scheme", d.username_scheme},
          {"prefix", d.prefix},
          {"transport", d.transport},
          {"created_at", d.created_at}};
}

json account_json(const directory::Account& a) {
  return {{"address", a.address},
          {"login", a.login},
          {"domain", a.address.substr(a.address.rfind('@') + 1)},
          {"display_name", a.display_name},
          {"quota", a.quota},
          {"enabled", a.enabled},
          {"services", services_json(a.services)},
          {"created_at", a.created_at},
          {"last_login", a.last_login}};
}

json alias_json(const directory::Alias& a) {
  std::string kind = a.source.front() != '@'                       ? "alias"
                     : !a.targets.empty() && a.targets[0][0] == '@' ? "domain_alias"
                                                                    : "catch_all";
  return {{"source", a.source}, {"targets", a.targets}, {"kind", kind}};
}

json admin_json(const directory::Admin& a) {
  return {{"name", a.name}, {"super", a.is_super}, {"domains", a.domains}};
}

// ---- domains ----

http::Response Api::list_domains(Call& c) {
  auto p = page_request(c.req);
  auto all = s_.admin.list_domains(c.caller.actor);
  return json_response(200, page_of(std::move(all), [](const directory::Domain& d) { return d.name; }, p, domain_json));
}

http::Response Api::create_domain(Call& c) {
  json b = c.body();
  auto d = s_.admin.add_domain(c.caller.actor, req_string(b, "name"), domain_settings(b));
  auto r = json_response(201, domain_json(d));
  r.set_header("Location", "/api/v1/domains/" + d.name);
  return r;
}

http::Response Api::get_domain(Call& c) {
  auto d = s_.admin.show_domain(c.caller.actor, c.param("domain"));
  json j = domain_json(d);
  j["accounts"] = s_.directory.count_accounts(d.id);
  j["allocated_quota"] = s_.directory.sum_account_quota(d.id);
  return json_response(200, j);
}

http::Response Api::update_domain(Call& c) {
  json b = c.body();
  if (b.contains("name")) throw ApiError(400, "invalid_input", "a domain cannot be renamed");
  return json_response(200, domain_json(s_.admin.set_domain(c.caller.actor, c.param("domain"), domain_settings(b))));
}

http::Response Api::delete_domain(Call& c) {
  s_.admin.remove_domain(c.caller.actor, c.param("domain"));
  return no_content();
}

http::Response Api::domain_usage(Call& c) {
  auto d = s_.admin.show_domain(c.caller.actor, c.param("domain"));
  uint64_t bytes = 0, messages = 0;
  auto accounts = s_.directory.list_accounts(d.id);
  if (s_.mail_store)
    for (const auto& a : accounts) {
      auto u = s_.mail_store->quota_usage(store::AccountId(a.id));
      bytes += u.bytes;
      messages += u.messages;
    }
  return json_response(200, {{"domain", d.name},
                             {"accounts", accounts.size()},
                             {"bytes", bytes},
                             {"messages", messages},
                             {"allocated_quota", s_.directory.sum_account_quota(d.id)},
                             {"total_quota", d.total_quota}});
}

// ---- accounts ----

http::Response Api::list_accounts(Call& c) {
  auto p = page_request(c.req);
  auto page = s_.admin.page_users(c.caller.actor, domain_param(c.req), {p.after, p.q, p.limit});
  json items = json::array();
  for (const auto& a : page.items) {
    json j = account_json(a);
    if (s_.mail_store) j["usage_bytes"] = s_.mail_store->quota_usage(store::AccountId(a.id)).bytes;
    items.push_back(std::move(j));
  }
  json out = {{"items", items}, {"next", nullptr}};
  if (!page.next.empty()) out["next"] = page.next;
  return json_response(200, out);
}

http::Response Api::create_account(Call& c) {
  json b = c.body();
  auto address = req_string(b, "address");
  auto password = req_string(b, "password");
  // Everything is checked before anything is stored.
  UserSettings extra;
  service_switches(b, extra);
  extra.enabled = opt_bool(b, "enabled");
  auto quota = opt_uint(b, "quota");
  auto display_name = opt_string(b, "display_name").value_or("");
  auto a = s_.admin.add_user(c.caller.actor, address, password, quota, display_name);
  if (extra.enable_services || extra.disable_services || extra.enabled) {
    // One change or none: an account whose switches could not be set is taken back, so no
    // account exists without its audit entry (review L6).
    try {
      a = s_.admin.set_user(c.caller.actor, a.address, extra);
    } catch (...) {
      s_.admin.remove_user(c.caller.actor, a.address);
      throw;
    }
  }
  auto r = json_response(201, account_json(a));
  r.set_header("Location", "/api/v1/accounts/" + a.address);
  return r;
}

http::Response Api::get_account(Call& c) {
  auto a = s_.admin.show_user(c.caller.actor, c.param("address"));
  json j = account_json(a);
  j["forwarding"] = {{"targets", s_.admin.forwarding(c.caller.actor, a.address).targets}};
  return json_response(200, j);
}

http::Response Api::update_account(Call& c) {
  json b = c.body();
  UserSettings s;
  s.password = opt_string(b, "password");
  s.quota = opt_uint(b, "quota");
  s.display_name = opt_string(b, "display_name");
  s.enabled = opt_bool(b, "enabled");
  service_switches(b, s);
  auto a = s_.admin.set_user(c.caller.actor, c.param("address"), s);
  // A reset password or a disabled account ends the account's web sessions (M2).
  if (s.password || !a.enabled) end_sessions(c.caller, web::Principal::User, a.id);
  return json_response(200, account_json(a));
}

http::Response Api::delete_account(Call& c) {
  auto a = s_.admin.show_user(c.caller.actor, c.param("address"));
  s_.admin.remove_user(c.caller.actor, a.address);
  sessions_->remove_all(web::Principal::User, a.id);
  return no_content();
}

http::Response Api::account_usage(Call& c) {
  auto a = s_.admin.show_user(c.caller.actor, c.param("address"));
  store::QuotaUsage u;
  if (s_.mail_store) u = s_.mail_store->quota_usage(store::AccountId(a.id));
  return json_response(200, {{"address", a.address}, {"bytes", u.bytes}, {"messages", u.messages}, {"quota", a.quota}});
}

// ---- aliases (also catch-alls "@domain", domain aliases "@a -> @b" and external forwards) ----

http::Response Api::list_aliases(Call& c) {
  auto p = page_request(c.req);
  auto all = s_.admin.list_aliases(c.caller.actor, domain_param(c.req));
  return json_response(200, page_of(std::move(all), [](const directory::Alias& a) { return a.source; }, p, alias_json));
}

http::Response Api::create_alias(Call& c) {
  json b = c.body();
  auto targets = string_list(b, "targets");
  auto a = s_.admin.add_alias(c.caller.actor, req_string(b, "source"), targets);
  return json_response(201, alias_json(a));
}

http::Response Api::get_alias(Call& c) {
  const auto& source = to_lower(c.param("source"));
  auto at = source.rfind('@');
  if (at == std::string::npos) throw ApiError(400, "invalid_input", "invalid alias source: " + source);
  for (const auto& a : s_.admin.list_aliases(c.caller.actor, source.substr(at + 1)))
    if (a.source == source) return json_response(200, alias_json(a));
  throw ApiError(404, "not_found", "no such alias: " + source);
}

http::Response Api::delete_alias(Call& c) {
  s_.admin.remove_alias(c.caller.actor, c.param("source"), c.req.param("target"));
  return no_content();
}

// ---- admins ----

http::Response Api::list_admins(Call& c) {
  auto p = page_request(c.req);
  auto all = s_.admin.list_admins(c.caller.actor);
  return json_response(200, page_of(std::move(all), [](const directory::Admin& a) { return a.name; }, p, admin_json));
}

http::Response Api::create_admin(Call& c) {
  json b = c.body();
  auto a = s_.admin.add_admin(c.caller.actor, req_string(b, "name"), req_string(b, "password"),
                              opt_bool(b, "super").value_or(false), string_list(b, "domains"));
  return json_response(201, admin_json(a));
}

http::Response Api::get_admin(Call& c) { return json_response(200, admin_json(s_.admin.show_admin(c.caller.actor, c.param("name")))); }

http::Response Api::update_admin(Call& c) {
  json b = c.body();
  std::optional<std::vector<std::string>> domains;
  if (b.contains("domains")) domains = string_list(b, "domains");
  auto a = s_.admin.set_admin(c.caller.actor, c.param("name"), opt_string(b, "password"), domains);
  // Its domains are read again on every request; a new password ends its other sessions.
  if (opt_string(b, "password")) end_sessions(c.caller, web::Principal::Admin, a.id);
  return json_response(200, admin_json(a));
}

http::Response Api::delete_admin(Call& c) {
  auto admin = s_.admin.show_admin(c.caller.actor, c.param("name"));
  s_.admin.remove_admin(c.caller.actor, admin.name);
  sessions_->remove_all(web::Principal::Admin, admin.id);
  return no_content();
}

}  // namespace kurier::api
