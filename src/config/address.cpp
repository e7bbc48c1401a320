// Syntax checks for IP literals, CIDR networks, host names and HOST:PORT (see address.h).
#include "config/address.h"

#include <arpa/inet.h>

#include "common/strings.h"

namespace kurier::config {
namespace {

bool parses_as(int family, std::string_view s) {
  if (s.empty() || s.size() > 45) return false;  // INET6_ADDRSTRLEN - 1
  std::string text(s);
  unsigned char buf[16];
  return inet_pton(family, text.c_str(), buf) == 1;
}

bool is_label(std::string_view label) {
  if (label.empty() || label.size() > 63) return false;
  if (label.front() == '-' || label.back() == '-') return false;
  for (char c : label) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
    if (!ok) return false;
  }
  return true;
}

bool all_digits_and_dots(std::string_view s) {
  for (char c : s)
    if (!(c == '.' || (c >= '0' && c <= '9'))) return false;
  return true;
}

std::optional<uint16_t> parse_port(std::string_view s) {
  auto n = parse_uint(s);
  if (!n || *n < 1 || *n > 65535) return std::nullopt;
  return uint16_t(*n);
}

}  // namespace

bool is_ipv4(std::string_view s) { return parses_as(AF_INET, s); }
bool is_ipv6(std::string_view s) { return parses_as(AF_INET6, s); }

bool is_cidr(std::string_view s) {
  size_t slash = s.find('/');
  if (slash == std::string_view::npos) return is_ip_address(s);
  std::string_view address = s.substr(0, slash);
  auto prefix = parse_uint(s.substr(slash + 1));
  if (!prefix || s.size() - slash - 1 > 3) return false;
  if (is_ipv4(address)) return *prefix <= 32;
  if (is_ipv6(address)) return *prefix <= 128;
  return false;
}

bool is_host_name(std::string_view s) {
  if (s.empty() || s.size() > 253) return false;
  for (auto label : split(s, '.'))
    if (!is_label(label)) return false;
  // "999.1.1.1" has only valid labels but is neither a name nor an address.
  return !all_digits_and_dots(s) || is_ipv4(s);
}

std::optional<HostPort> parse_host_port(std::string_view s) {
  if (s.empty() || s.size() > 300) return std::nullopt;
  std::string_view host, port;
  if (s.front() == '[') {
    size_t close = s.find(']');
    if (close == std::string_view::npos || close + 1 >= s.size() || s[close + 1] != ':') return std::nullopt;
    host = s.substr(1, close - 1);
    port = s.substr(close + 2);
    if (!is_ipv6(host)) return std::nullopt;
  } else {
    size_t colon = s.rfind(':');
    if (colon == std::string_view::npos) return std::nullopt;
    host = s.substr(0, colon);
    port = s.substr(colon + 1);
    if (!is_host_name(host)) return std::nullopt;  // also rejects an unbracketed IPv6 address
  }
  auto number = parse_port(port);
  if (!number) return std::nullopt;
  return HostPort{std::string(host), *number};
}

}  // namespace kurier::config
