// Syntax checks for the network names kurier.toml holds: IP literals, CIDR networks, DNS host
// names and "HOST:PORT" pairs. Pure string checks; nothing is resolved or bound.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace kurier::config {

// "HOST:PORT" split; an IPv6 host is written in brackets ("[::1]:25") and returned without them.
struct HostPort {
  std::string host;
  uint16_t port = 0;
};

bool is_ipv4(std::string_view s);
bool is_ipv6(std::string_view s);
inline bool is_ip_address(std::string_view s) { return is_ipv4(s) || is_ipv6(s); }
// "10.0.0.0/8", "fd00::/8", or a single address (a /32 or /128).
bool is_cidr(std::string_view s);
// Dot-separated labels of letters, digits and inner hyphens, 1..63 bytes each, 253 in all
// (RFC 1123 2.1); no trailing dot. An all-numeric name must be a valid IPv4 address.
bool is_host_name(std::string_view s);
// Port 1..65535 required; host is a host name, an IPv4 address or a bracketed IPv6 address.
std::optional<HostPort> parse_host_port(std::string_view s);

}  // namespace kurier::config
