#include "queue/route.h"

#include <arpa/inet.h>

#include <algorithm>
#include <random>

#include "common/strings.h"

namespace kurier::queue {
namespace {

Route failure(Route::Kind kind, std::string status, std::string error) {
  Route r;
  r.kind = kind;
  r.status = std::move(status);
  r.error = std::move(error);
  return r;
}

// Adds the addresses of host to route.targets. Returns the lookup status.
AddressAnswer add_host(Route& route, const std::string& host, uint16_t port, DnsResolver& dns, size_t max_targets) {
  AddressAnswer a;
  if (is_ip_literal(host)) {
    a.addresses = {host};
  } else {
    a = dns.addresses(host);
  }
  for (const auto& ip : a.addresses) {
    if (route.targets.size() >= max_targets) break;
    route.targets.push_back({host, ip, port});
  }
  return a;
}

Route fixed_host(std::string_view via, std::string_view host_port, const RouteSettings& s, DnsResolver& dns) {
  std::string host;
  uint16_t port = 25;
  if (!parse_host_port(host_port, host, port))
    return failure(Route::Kind::temporary, "4.3.5", "invalid " + std::string(via) + " '" + std::string(host_port) + "'");
  Route r;
  r.via = via;
  r.key = std::string(via) + ":" + std::string(host_port);
  AddressAnswer a = add_host(r, host, port, dns, s.max_targets);
  if (!r.targets.empty()) return r;
  // A configured next hop that does not resolve is the operator's problem: keep the mail.
  return failure(Route::Kind::temporary, "4.4.3",
                 "cannot resolve " + std::string(via) + " " + host + ": " + (a.error.empty() ? to_string(a.status) : a.error));
}

Route literal_route(std::string_view domain) {
  std::string inner(domain.substr(1, domain.size() - 2));
  if (istarts_with(inner, "IPv6:")) inner = inner.substr(5);
  if (!is_ip_literal(inner)) return failure(Route::Kind::permanent, "5.1.2", "invalid address literal " + std::string(domain));
  Route r;
  r.via = "literal";
  r.key = std::string(domain);
  r.targets.push_back({inner, inner, 25});
  return r;
}

Route implicit_mx(const std::string& domain, const RouteSettings& s, DnsResolver& dns) {
  Route r;
  r.via = "implicit-mx";
  r.key = domain;
  AddressAnswer a = add_host(r, domain, s.smtp_port, dns, s.max_targets);
  if (!r.targets.empty()) return r;
  if (a.status == DnsStatus::temporary)
    return failure(Route::Kind::temporary, "4.4.3", "DNS lookup of " + domain + " failed: " + a.error);
  return failure(Route::Kind::permanent, "5.4.4", "Host or domain name not found: " + domain + " has no MX and no address");
}

void order_mx(std::vector<MxRecord>& records) {
  static thread_local std::mt19937 rng{std::random_device{}()};
  std::shuffle(records.begin(), records.end(), rng);  // equal preferences in random order
  std::stable_sort(records.begin(), records.end(),
                   [](const MxRecord& a, const MxRecord& b) { return a.preference < b.preference; });
}

Route mx_route(const std::string& domain, const RouteSettings& s, DnsResolver& dns) {
  MxAnswer mx = dns.mx(domain);
  switch (mx.status) {
    case DnsStatus::temporary:
      return failure(Route::Kind::temporary, "4.4.3", "DNS lookup of MX for " + domain + " failed: " + mx.error);
    case DnsStatus::nxdomain:
      return failure(Route::Kind::permanent, "5.4.4", "Host or domain name not found: " + domain);
    case DnsStatus::nodata:
      return implicit_mx(domain, s, dns);  // RFC 5321 5.1: no MX -> the domain's own address
    case DnsStatus::ok:
      break;
  }
  // RFC 7505 3: a null MX is a single record with exchange "."; it says the domain accepts no
  // mail. A "." among other records is a misconfiguration; it is treated the same way.
  for (const auto& r : mx.records)
    if (r.host.empty() || r.host == ".")
      return failure(Route::Kind::permanent, "5.1.10", "Domain " + domain + " does not accept mail (null MX, RFC 7505)");
  order_mx(mx.records);
  Route r;
  r.via = "mx";
  r.key = domain;
  r.dnssec = mx.secure;
  std::string last_error;
  for (const auto& rec : mx.records) {
    if (r.targets.size() >= s.max_targets) break;
    AddressAnswer a = add_host(r, rec.host, s.smtp_port, dns, s.max_targets);
    if (a.status != DnsStatus::ok) last_error = "MX host " + rec.host + ": " + (a.error.empty() ? to_string(a.status) : a.error);
  }
  if (!r.targets.empty()) return r;
  // MX hosts that do not resolve may be fixed soon (Postfix defers too).
  return failure(Route::Kind::temporary, "4.4.3", "no address for any MX host of " + domain +
                                                       (last_error.empty() ? "" : " (" + last_error + ")"));
}

}  // namespace

std::string Target::display() const {
  return host + "[" + ip + "]:" + std::to_string(port);
}

bool is_ip_literal(std::string_view host) {
  std::string h(host);
  unsigned char buf[16];
  return inet_pton(AF_INET, h.c_str(), buf) == 1 || inet_pton(AF_INET6, h.c_str(), buf) == 1;
}

bool parse_host_port(std::string_view text, std::string& host, uint16_t& port) {
  size_t colon;
  if (!text.empty() && text.front() == '[') {
    size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') return false;
    host = std::string(text.substr(1, close - 1));
    if (!is_ip_literal(host)) return false;
    colon = close + 1;
  } else {
    colon = text.rfind(':');
    if (colon == std::string_view::npos || colon == 0) return false;
    host = std::string(text.substr(0, colon));
    if (host.find(':') != std::string::npos) return false;  // IPv6 needs brackets
  }
  auto p = parse_uint(text.substr(colon + 1));
  if (!p || *p == 0 || *p > 65535) return false;
  port = uint16_t(*p);
  return true;
}

Route plan_route(std::string_view domain_in, const RouteSettings& s, DnsResolver& dns) {
  std::string domain = to_lower(domain_in);
  if (!domain.empty() && domain.front() == '[' && domain.back() == ']') return literal_route(domain_in);
  if (auto it = s.routes.find(domain); it != s.routes.end()) return fixed_host("route", it->second, s, dns);
  if (s.domain_route)
    if (std::string hop = s.domain_route(domain); !hop.empty()) return fixed_host("transport", hop, s, dns);
  if (!s.relayhost.empty()) return fixed_host("relayhost", s.relayhost, s, dns);
  if (domain.empty()) return failure(Route::Kind::permanent, "5.1.2", "empty recipient domain");
  return mx_route(domain, s, dns);
}

}  // namespace kurier::queue
