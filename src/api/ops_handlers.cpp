// Handlers of the queue, the dashboard's statistics, /metrics' gauges, a domain's DNS records
// (DKIM keys from dkim::KeyStore) with the DNS checker, and the OpenAPI description.
#include <ctime>

#include "api/api_impl.h"
#include "api/dns_check.h"
#include "common/strings.h"
#include "common/metrics.h"
#include "config/config.h"
#include "directory/directory.h"
#include "dkim/key_store.h"
#include "queue/envelope_json.h"
#include "queue/spool.h"
#include "store/mail_store.h"

namespace kurier::api {

extern const char* const kOpenApiJson;  // docs/openapi.json, embedded at build time

namespace {

queue::Spool& spool_of(queue::Spool* s) {
  if (!s) throw ApiError(503, "unavailable", "the queue is not available");
  return *s;
}

std::string prometheus_label(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '"' || c == '\\') out.push_back('\\');
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out.push_back(c);
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> dkim_txt(dkim::KeyStore* keys, const std::string& domain) {
  std::vector<std::pair<std::string, std::string>> out;
  if (!keys) return out;
  for (const auto& r : keys->dns_txt_records(domain)) out.emplace_back(r.name, r.value);
  return out;
}

json record_json(const ExpectedRecord& r) {
  return {{"kind", r.kind}, {"name", r.name}, {"type", r.type}, {"value", r.value}};
}

}  // namespace

// ---- queue ----

http::Response Api::list_queue(Call& c) {
  auto p = page_request(c.req);
  json items = json::array();
  std::string last;
  bool more = false;
  for (const auto& e : spool_of(s_.spool).list()) {  // oldest first; ids are the cursor
    if (!p.after.empty()) {
      if (e.id == p.after) p.after.clear();
      continue;
    }
    if (!p.q.empty()) {
      bool hit = to_lower(e.sender).find(p.q) != std::string::npos;
      for (const auto& r : e.recipients) hit = hit || to_lower(r.address).find(p.q) != std::string::npos;
      if (!hit) continue;
    }
    if (items.size() == p.limit) {
      more = true;
      break;
    }
    items.push_back(queue::envelope_json(e));
    last = e.id;
  }
  return json_response(200, {{"items", items}, {"next", more ? json(last) : json(nullptr)}});
}

http::Response Api::retry_queue(Call& c) {
  size_t n = spool_of(s_.spool).retry("", int64_t(c.now));
  return json_response(200, {{"retried", n}});
}

http::Response Api::retry_queue_message(Call& c) {
  auto& spool = spool_of(s_.spool);
  const auto& id = c.param("id");
  if (spool.retry(id, int64_t(c.now)) == 0) {
    if (!spool.load(id)) throw ApiError(404, "not_found", "no message " + id + " in the queue");
    throw ApiError(409, "conflict", "message " + id + " is being delivered right now");
  }
  return json_response(200, {{"retried", 1}});
}

http::Response Api::delete_queue_message(Call& c) {
  if (!spool_of(s_.spool).remove(c.param("id"))) throw ApiError(404, "not_found", "no message " + c.param("id") + " in the queue");
  return no_content();
}

// ---- dashboard and metrics ----

http::Response Api::get_stats(Call& c) {
  auto domains = s_.admin.list_domains(c.caller.actor);
  json per_domain = json::array();
  uint64_t accounts = 0, aliases = 0;
  for (const auto& d : domains) {
    auto list = s_.directory.list_accounts(d.id);
    uint64_t bytes = 0;
    if (s_.mail_store)
      for (const auto& a : list) bytes += s_.mail_store->quota_usage(store::AccountId(a.id)).bytes;
    accounts += list.size();
    aliases += s_.directory.list_aliases(d.id).size();
    per_domain.push_back({{"domain", d.name}, {"accounts", list.size()}, {"bytes", bytes}});
  }
  json j = {{"domains", domains.size()}, {"accounts", accounts}, {"aliases", aliases}, {"storage", per_domain}};
  // The hourly counters are the whole server's traffic: a super-admin's to see, not a tenant's.
  if (c.caller.is_super()) {
    json hours = json::array();
    for (const auto& h : metrics::hourly(c.now, 48))
      hours.push_back({{"hour", h.hour_start}, {"received", h.received}, {"sent", h.sent}, {"bounced", h.bounced}});
    j["hourly"] = hours;
  }
  if (c.caller.is_super() && s_.spool) j["queue"] = s_.spool->list().size();
  return json_response(200, j);
}

std::string Api::render_metrics() {
  std::vector<metrics::Gauge> gauges;
  if (s_.spool) gauges.push_back({"kurier_queue_messages", "Messages in the outbound queue.", {{"", double(s_.spool->list().size())}}});
  metrics::Gauge store{"kurier_store_bytes", "Bytes of mail stored per domain.", {}};
  double total = 0;
  auto domains = s_.directory.list_domains();
  for (const auto& d : domains) {
    double bytes = 0;
    if (s_.mail_store)
      for (const auto& a : s_.directory.list_accounts(d.id)) bytes += double(s_.mail_store->quota_usage(store::AccountId(a.id)).bytes);
    total += bytes;
    store.samples.emplace_back("domain=\"" + prometheus_label(d.name) + "\"", bytes);
  }
  gauges.push_back(std::move(store));
  gauges.push_back({"kurier_store_bytes_total", "Bytes of mail stored.", {{"", total}}});
  gauges.push_back({"kurier_domains", "Hosted domains.", {{"", double(domains.size())}}});
  return metrics::render_prometheus(gauges);
}

// ---- DNS ----

http::Response Api::domain_dkim(Call& c) {
  auto d = s_.admin.show_domain(c.caller.actor, c.param("domain"));
  if (!s_.dkim) throw ApiError(503, "unavailable", "DKIM signing is off ([dkim] enabled = false)");
  json items = json::array();
  for (const auto& r : s_.dkim->dns_txt_records(d.name))
    items.push_back({{"name", r.name}, {"type", "TXT"}, {"value", r.value}, {"strings", r.strings}, {"zone_line", r.zone_line()}});
  return json_response(200, {{"domain", d.name}, {"selector", s_.dkim->selector()}, {"records", items}});
}

http::Response Api::domain_dns(Call& c) {
  auto d = s_.admin.show_domain(c.caller.actor, c.param("domain"));
  json items = json::array();
  for (const auto& r : expected_records(d.name, s_.config.hostname, dkim_txt(s_.dkim, d.name))) items.push_back(record_json(r));
  return json_response(200, {{"domain", d.name}, {"records", items}});
}

http::Response Api::domain_dns_check(Call& c) {
  auto d = s_.admin.show_domain(c.caller.actor, c.param("domain"));
  auto expected = expected_records(d.name, s_.config.hostname, dkim_txt(s_.dkim, d.name));
  auto dns = queue::make_cares_resolver(3000, 2, s_.config.outbound.dns_servers);
  json items = json::array();
  bool all_ok = true;
  for (const auto& r : check_records(expected, s_.config.hostname, *dns)) {
    json j = record_json(r.expected);
    j["status"] = r.status;
    j["found"] = r.found;
    if (!r.detail.empty()) j["detail"] = r.detail;
    all_ok = all_ok && r.status == "ok";
    items.push_back(std::move(j));
  }
  return json_response(200, {{"domain", d.name}, {"ok", all_ok}, {"records", items}});
}

// ---- OpenAPI ----

http::Response Api::get_openapi(Call&) {
  http::Response r;
  r.content_type = "application/json";
  r.body = kOpenApiJson;
  r.set_header("Cache-Control", "no-cache");
  return r;
}

}  // namespace kurier::api
