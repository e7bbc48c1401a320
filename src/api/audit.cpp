// The audit log: every change made through the API becomes one durable directory entry — who
// (login or API key), from which address, what (the route and its object), the object before and
// after (as the API shows it, secrets removed), and when. Super-admins see every entry, domain
// admins those of their domains; both can export them as JSON lines.
#include "api/api_impl.h"
#include "common/log.h"
#include "common/strings.h"
#include "directory/directory.h"

namespace kurier::api {
namespace {

// Fields that hold secrets: never stored in the log.
bool is_secret_field(std::string_view key) {
  return key == "password" || key == "old_password" || key == "new_password" || key == "key" || key == "secret" ||
         key == "uri" || key == "csrf_token" || key == "totp" || key == "code";
}

void redact(json& j) {
  if (j.is_object()) {
    for (auto it = j.begin(); it != j.end();) {
      if (is_secret_field(it.key())) {
        it = j.erase(it);
      } else {
        redact(*it);
        ++it;
      }
    }
  } else if (j.is_array()) {
    for (auto& v : j) redact(v);
  }
}

std::string redacted(std::string_view body) {
  if (body.empty()) return {};
  json j = json::parse(body, nullptr, false);
  if (j.is_discarded()) return {};
  redact(j);
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string domain_of(std::string_view address) {
  auto at = address.rfind('@');
  return at == std::string_view::npos ? std::string() : to_lower(address.substr(at + 1));
}

// The object a change is about and the domain it belongs to (for domain admins' view).
std::pair<std::string, std::string> object_and_domain(const Call& c) {
  for (const char* p : {"domain", "address", "source", "name", "id"}) {
    auto it = c.params.find(p);
    if (it == c.params.end()) continue;
    std::string domain = std::string_view(p) == "domain" ? to_lower(it->second) : domain_of(it->second);
    if (c.req.path.starts_with("/api/v1/admins/") || c.req.path.starts_with("/api/v1/api-keys/")) domain.clear();
    if (c.req.path.starts_with("/api/v1/me/")) domain = domain_of(c.caller.name);
    return {it->second, domain};
  }
  json b = json::parse(c.req.body.empty() ? std::string_view("{}") : std::string_view(c.req.body), nullptr, false);
  if (c.req.path == "/api/v1/domains" && b.is_object() && b.contains("name") && b["name"].is_string())
    return {b["name"].get<std::string>(), to_lower(b["name"].get<std::string>())};
  for (const char* f : {"address", "source"})
    if (b.is_object() && b.contains(f) && b[f].is_string()) return {b[f].get<std::string>(), domain_of(b[f].get<std::string>())};
  if (c.req.path.starts_with("/api/v1/me")) return {c.caller.name, domain_of(c.caller.name)};
  if (b.is_object() && b.contains("name") && b["name"].is_string()) return {b["name"].get<std::string>(), ""};
  return {c.caller.kind == Caller::User ? c.caller.name : "", ""};
}

// The object and its domain as the service resolved them, read from the object's JSON after
// the change (or before it, for a removal): a login, another spelling of an address or a
// trailing dot in the path is filed under the object really changed, so its domain's admins
// see the entry (review L6). nullopt for routes whose JSON names no directory object.
std::optional<std::pair<std::string, std::string>> resolved_object(std::string_view pattern, const std::string& before,
                                                                   const http::Response& result) {
  json j;
  if (result.content_type == "application/json") j = json::parse(result.body, nullptr, false);
  if (!j.is_object() && !before.empty()) j = json::parse(before, nullptr, false);
  if (!j.is_object()) return std::nullopt;
  auto text = [&](const char* key) { return j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : ""; };
  if (pattern.starts_with("/api/v1/accounts") && !text("address").empty())
    return std::pair{text("address"), domain_of(text("address"))};
  if (pattern.starts_with("/api/v1/domains") && !text("name").empty()) return std::pair{text("name"), text("name")};
  if (pattern.starts_with("/api/v1/aliases") && !text("source").empty())
    return std::pair{text("source"), domain_of(text("source"))};
  return std::nullopt;
}

json entry_json(const directory::AuditEntry& e) {
  json j = {{"id", e.id},         {"at", e.at},         {"actor", e.actor},   {"role", e.role},
            {"ip", e.ip},         {"action", e.action}, {"object", e.object}, {"domain", e.domain},
            {"before", nullptr},  {"after", nullptr}};
  if (!e.before.empty()) j["before"] = json::parse(e.before, nullptr, false);
  if (!e.after.empty()) j["after"] = json::parse(e.after, nullptr, false);
  return j;
}

std::string role_name(const Caller& c) {
  return c.kind == Caller::User ? "user" : c.is_super() ? "super-admin" : "domain-admin";
}

// The domains whose entries the caller sees: std::nullopt (all) only for a super-admin; a domain
// admin (or domain key) with no domains left sees none.
std::optional<std::vector<std::string>> visible_domains(const Caller& c) {
  if (c.is_super()) return std::nullopt;
  return c.actor.domains;
}

}  // namespace

std::string Api::audit_before(http::Request& req, const RouteSpec& spec, const http::PathParams& params, Caller& caller) {
  if (req.method == "POST" || std::string_view(spec.pattern) == "/api/v1/session") return {};
  auto m = router_.match("GET", req.path);
  if (m.kind != decltype(m)::Found || !m.route->handler->handler) return {};
  http::Request get = req;
  get.method = "GET";
  get.body.clear();
  Call call{get, m.params, caller, std::time(nullptr)};
  try {
    http::Response r = (this->*(m.route->handler->handler))(call);
    return r.status == 200 ? redacted(r.body) : std::string();
  } catch (const std::exception&) {
    return {};  // the change itself will say what is wrong
  }
}

bool Api::audit(const Call& c, const RouteSpec& spec, const std::string& before, const http::Response& result) {
  if (std::string_view(spec.pattern) == "/api/v1/session") return true;  // logging out changes nothing
  directory::AuditEntry e;
  e.at = int64_t(c.now);
  e.actor = c.caller.name + (c.caller.api_key_id.empty() ? "" : " (API key " + c.caller.api_key_id + ")");
  e.role = role_name(c.caller);
  e.ip = c.caller.ip;
  e.action = std::string(spec.method) + " " + spec.pattern;
  std::tie(e.object, e.domain) = object_and_domain(c);
  if (auto resolved = resolved_object(spec.pattern, before, result)) std::tie(e.object, e.domain) = *resolved;
  e.before = before;
  e.after = result.content_type == "application/json" ? redacted(result.body) : std::string();
  try {
    s_.directory.append_audit(e);
    return true;
  } catch (const std::exception& ex) {
    log::error("audit.write_failed", {{"action", e.action}, {"object", e.object}, {"error", ex.what()}});
    return false;
  }
}

http::Response Api::list_audit(Call& c) {
  auto p = page_request(c.req);
  int64_t before = 0;
  if (!p.after.empty()) {
    char* end = nullptr;
    before = std::strtoll(p.after.c_str(), &end, 10);
    if (*end != '\0' || before <= 0) throw ApiError(400, "invalid_input", "after must be an audit entry id");
  }
  auto entries = s_.directory.list_audit(visible_domains(c.caller), before, p.limit + 1);
  bool more = entries.size() > p.limit;
  if (more) entries.resize(p.limit);
  json items = json::array();
  for (const auto& e : entries) items.push_back(entry_json(e));
  return json_response(200, {{"items", items}, {"next", more ? json(std::to_string(entries.back().id)) : json(nullptr)}});
}

http::Response Api::export_audit(Call& c) {
  http::Response r;
  r.content_type = "application/x-ndjson";
  r.set_header("Content-Disposition", "attachment; filename=\"kurier-audit.jsonl\"");
  int64_t before = 0;
  for (;;) {
    auto entries = s_.directory.list_audit(visible_domains(c.caller), before, 1000);
    for (const auto& e : entries) r.body += entry_json(e).dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
    if (entries.size() < 1000) break;
    before = entries.back().id;
  }
  return r;
}

}  // namespace kurier::api
