#include "smtp_protocol/syntax.h"

#include <arpa/inet.h>

#include <cstring>

#include "common/hex.h"
#include "common/strings.h"

namespace kurier::smtp {

namespace {

constexpr size_t kMaxLabelLength = 63;  // RFC 1035 2.3.4

// RFC 5321 4.1.2 qtextSMTP = %d32-33 / %d35-91 / %d93-126
bool is_qtext_smtp(char c) { return c >= 32 && c <= 126 && c != '"' && c != '\\'; }

bool is_let_dig(char c) { return is_alpha(c) || is_digit(c); }

// sub-domain = Let-dig [Ldh-str]; Ldh-str = *( ALPHA / DIGIT / "-" ) Let-dig
bool is_sub_domain(std::string_view label, bool allow_utf8) {
  if (label.empty() || label.size() > kMaxLabelLength) return false;
  if (label.front() == '-' || label.back() == '-') return false;
  for (size_t i = 0; i < label.size();) {
    char c = label[i];
    if (is_let_dig(c) || c == '-') {
      ++i;
      continue;
    }
    if (!allow_utf8 || !is_non_ascii(c)) return false;
    size_t n = utf8_sequence_length(label, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

bool is_snum(std::string_view s) {
  if (s.empty() || s.size() > 3) return false;
  for (char c : s)
    if (!is_digit(c)) return false;
  return std::stoi(std::string(s)) <= 255;
}

}  // namespace

bool is_atext(char c) {
  if (is_alpha(c) || is_digit(c)) return true;
  return c != '\0' && std::strchr("!#$%&'*+-/=?^_`{|}~", c) != nullptr;
}

bool has_non_ascii(std::string_view s) {
  for (char c : s)
    if (is_non_ascii(c)) return true;
  return false;
}

bool is_dot_string(std::string_view s, bool allow_utf8) {
  if (s.empty() || s.front() == '.' || s.back() == '.') return false;
  char prev = '\0';
  for (size_t i = 0; i < s.size();) {
    char c = s[i];
    if (c == '.') {
      if (prev == '.') return false;  // empty Atom
      prev = c;
      ++i;
      continue;
    }
    prev = c;
    if (is_atext(c)) {
      ++i;
      continue;
    }
    if (!allow_utf8 || !is_non_ascii(c)) return false;
    size_t n = utf8_sequence_length(s, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

bool is_quoted_string(std::string_view s, bool allow_utf8) {
  if (s.size() < 2 || s.front() != '"' || s.back() != '"') return false;
  std::string_view inner = s.substr(1, s.size() - 2);
  for (size_t i = 0; i < inner.size();) {
    char c = inner[i];
    if (c == '\\') {
      // quoted-pairSMTP = %d92 %d32-126
      if (i + 1 >= inner.size() || inner[i + 1] < 32 || inner[i + 1] > 126) return false;
      i += 2;
    } else if (is_qtext_smtp(c)) {
      ++i;
    } else if (allow_utf8 && is_non_ascii(c)) {
      size_t n = utf8_sequence_length(inner, i);
      if (n == 0) return false;
      i += n;
    } else {
      return false;
    }
  }
  return true;
}

std::string unquote(std::string_view quoted) {
  std::string out;
  if (quoted.size() < 2) return out;
  std::string_view inner = quoted.substr(1, quoted.size() - 2);
  for (size_t i = 0; i < inner.size(); ++i) {
    if (inner[i] == '\\' && i + 1 < inner.size()) ++i;
    out.push_back(inner[i]);
  }
  return out;
}

bool is_domain(std::string_view s, bool allow_utf8) {
  if (s.empty() || s.size() > 255) return false;
  for (std::string_view label : split(s, '.'))
    if (!is_sub_domain(label, allow_utf8)) return false;
  return true;
}

bool is_ipv4_literal(std::string_view s) {
  auto parts = split(s, '.');
  if (parts.size() != 4) return false;
  for (std::string_view p : parts)
    if (!is_snum(p)) return false;
  return true;
}

bool is_ipv6_literal(std::string_view s) {
  // The grammar of RFC 5321 4.1.3 IPv6-addr is the textual form of RFC 4291 2.2, which is
  // what inet_pton parses; the character and length checks keep it to that alphabet.
  if (s.size() < 2 || s.size() > 45) return false;
  for (char c : s)
    if (hex_value(c) < 0 && c != ':' && c != '.') return false;
  in6_addr addr{};
  return inet_pton(AF_INET6, std::string(s).c_str(), &addr) == 1;
}

bool is_address_literal(std::string_view s) {
  if (s.size() < 3 || s.front() != '[' || s.back() != ']') return false;
  std::string_view inner = s.substr(1, s.size() - 2);
  if (istarts_with(inner, "IPv6:")) return is_ipv6_literal(inner.substr(5));
  return is_ipv4_literal(inner);
}

}  // namespace kurier::smtp
