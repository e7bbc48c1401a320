// Where mail for a domain goes, in this order ([outbound] in docs/CONFIG.md):
//   1. [outbound.routes] "domain" = "HOST:PORT"
//   2. the domain's own transport, for a relay (backup MX) domain of the directory
//      ("relay:HOST:PORT", `kurier domain add|set --transport`; Postfix transport_maps)
//   3. [outbound] relayhost = "HOST:PORT" (no MX lookup, like Postfix's relayhost = [host])
//   4. the domain's MX hosts by preference (RFC 5321 5.1; equal preferences in random order);
//      no MX record: the domain's own A/AAAA address ("implicit MX", RFC 5321 5.1);
//      a null MX (RFC 7505: a single "." exchange) or a domain that does not exist: permanent
//      failure; a DNS failure: temporary.
// An address-literal domain ("[192.0.2.1]", "[IPv6:2001:db8::1]", RFC 5321 4.1.3) goes to that
// address. The result is the ordered list of addresses to try.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "queue/dns.h"

namespace kurier::queue {

struct Target {
  std::string host;  // the name we looked up (for logs, TLS SNI, Remote-MTA); the IP for literals
  std::string ip;
  uint16_t port = 25;
  std::string display() const;  // "mx.example.net[192.0.2.1]:25"
};

struct Route {
  enum class Kind { ok, temporary, permanent };
  Kind kind = Kind::ok;
  std::string via;   // "route", "relayhost", "mx", "implicit-mx", "literal"
  std::string key;   // destination for the per-destination connection cap
  std::vector<Target> targets;
  bool dnssec = false;  // the MX answer was DNSSEC-validated (RFC 7672 2.2.1: DANE may apply)
  std::string status;  // enhanced status when not ok: "4.4.3", "5.1.10", "5.4.4"
  std::string error;   // what failed, for the DSN and the log
};

struct RouteSettings {
  std::string relayhost;
  std::map<std::string, std::string> routes;  // lower-cased domain -> HOST:PORT
  // The directory's per-domain route: HOST:PORT for a relay domain, "" for any other. Blocking
  // (plan_route runs on the blocking pool); unset = none.
  std::function<std::string(std::string_view domain)> domain_route;
  uint16_t smtp_port = 25;                     // of MX hosts ([outbound] smtp_port; tests change it)
  size_t max_targets = 10;                     // addresses tried per attempt (Postfix: 5 MX addresses)
};

// "host:25", "192.0.2.7:2525", "[2001:db8::7]:25". False when malformed.
bool parse_host_port(std::string_view text, std::string& host, uint16_t& port);
bool is_ip_literal(std::string_view host);

Route plan_route(std::string_view domain, const RouteSettings& settings, DnsResolver& dns);

}  // namespace kurier::queue
