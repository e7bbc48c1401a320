#include "smtp_protocol/relay_policy.h"

#include <arpa/inet.h>

#include <array>
#include <charconv>
#include <optional>

namespace kurier::smtp {
namespace {

struct IpBytes {
  std::array<unsigned char, 16> bytes{};
  size_t length = 0;  // 4 or 16
};

std::optional<IpBytes> parse_ip(std::string_view text) {
  std::string s(text);
  if (s.size() > 2 && s.front() == '[' && s.back() == ']') s = s.substr(1, s.size() - 2);
  IpBytes ip;
  if (inet_pton(AF_INET, s.c_str(), ip.bytes.data()) == 1) {
    ip.length = 4;
    return ip;
  }
  if (inet_pton(AF_INET6, s.c_str(), ip.bytes.data()) == 1) {
    ip.length = 16;
    // An IPv4-mapped IPv6 address (::ffff:a.b.c.d) is that IPv4 address.
    static const unsigned char kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (std::equal(kMapped, kMapped + 12, ip.bytes.begin())) {
      std::copy(ip.bytes.begin() + 12, ip.bytes.end(), ip.bytes.begin());
      ip.length = 4;
    }
    return ip;
  }
  return std::nullopt;
}

bool in_network(const IpBytes& ip, std::string_view network) {
  size_t slash = network.find('/');
  auto base = parse_ip(network.substr(0, slash));
  if (!base || base->length != ip.length) return false;
  size_t bits = ip.length * 8;
  if (slash != std::string_view::npos) {
    auto digits = network.substr(slash + 1);
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), bits);
    if (ec != std::errc() || end != digits.data() + digits.size() || bits > ip.length * 8) return false;
  }
  for (size_t i = 0; i < ip.length && bits > 0; ++i) {
    unsigned mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if ((ip.bytes[i] & mask) != (base->bytes[i] & mask)) return false;
    bits = bits >= 8 ? bits - 8 : 0;
  }
  return true;
}

}  // namespace

bool ip_in_networks(std::string_view ip, const std::vector<std::string>& networks) {
  auto addr = parse_ip(ip);
  if (!addr) return false;
  for (const auto& n : networks)
    if (in_network(*addr, n)) return true;
  return false;
}

}  // namespace kurier::smtp
