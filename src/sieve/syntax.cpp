// Syntax checks shared by the compiler and the interpreter; see syntax.h.
#include "sieve/syntax.h"

#include <algorithm>
#include <cstdint>

#include "common/strings.h"
#include "mime/envelope.h"
#include "common/utf8.h"

namespace kurier::sieve {
namespace {

bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
int hex_value(char c) {
  if (is_digit(c)) return c - '0';
  return ascii_lower(c) - 'a' + 10;
}

std::string percent_decode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && is_hex(s[i + 1]) && is_hex(s[i + 2])) {
      out += char(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

// One "${hex:...}" or "${unicode:...}" body (between ':' and '}'): hex numbers separated by
// blanks. False when malformed.
bool decode_hex_list(std::string_view body, bool unicode, std::string& out, bool& bad_code_point) {
  size_t i = 0;
  bool any = false;
  while (i < body.size()) {
    while (i < body.size() && (body[i] == ' ' || body[i] == '\t' || body[i] == '\r' || body[i] == '\n')) ++i;
    if (i == body.size()) break;
    size_t start = i;
    while (i < body.size() && is_hex(body[i])) ++i;
    if (i == start) return false;
    std::string_view digits = body.substr(start, i - start);
    while (digits.size() > 1 && digits[0] == '0') digits.remove_prefix(1);
    if (digits.size() > (unicode ? 6u : 2u)) {
      if (!unicode) return false;
      bad_code_point = true;
      return false;
    }
    uint32_t v = 0;
    for (char c : digits) v = v * 16 + uint32_t(hex_value(c));
    if (unicode) {
      if (v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) {
        bad_code_point = true;
        return false;
      }
      append_utf8(out, v);
    } else {
      out += char(v);
    }
    any = true;
  }
  return any || body.empty();
}

}  // namespace

// RFC 5293 4 / RFC 2047: a value with non-ASCII bytes is sent as a UTF-8 encoded-word; line
// breaks cannot be smuggled into the header.
std::string encode_header_value(std::string_view value) {
  std::string clean;
  for (char c : value) clean += (c == '\r' || c == '\n') ? ' ' : c;
  bool ascii = std::all_of(clean.begin(), clean.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; });
  if (ascii) return clean;
  static constexpr char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out = "=?UTF-8?B?";
  for (size_t i = 0; i < clean.size(); i += 3) {
    uint32_t n = uint32_t(static_cast<unsigned char>(clean[i])) << 16;
    if (i + 1 < clean.size()) n |= uint32_t(static_cast<unsigned char>(clean[i + 1])) << 8;
    if (i + 2 < clean.size()) n |= uint32_t(static_cast<unsigned char>(clean[i + 2]));
    out += b64[(n >> 18) & 63];
    out += b64[(n >> 12) & 63];
    out += i + 1 < clean.size() ? b64[(n >> 6) & 63] : '=';
    out += i + 2 < clean.size() ? b64[n & 63] : '=';
  }
  return out + "?=";
}

bool is_identifier(std::string_view s) {
  if (s.empty() || !(is_alpha(s[0]) || s[0] == '_')) return false;
  for (char c : s)
    if (!(is_alpha(c) || is_digit(c) || c == '_')) return false;
  return true;
}

bool is_header_name(std::string_view s) {
  if (s.empty() || s.size() > 997) return false;
  for (unsigned char c : s)
    if (c < 33 || c > 126 || c == ':') return false;
  return true;
}

bool is_address_header(std::string_view name) {
  static constexpr std::string_view fields[] = {
      "from", "sender", "reply-to", "to", "cc", "bcc", "resent-from", "resent-sender", "resent-to",
      "resent-cc", "resent-bcc", "resent-reply-to", "return-path", "return-receipt-to",
      "disposition-notification-to", "delivered-to", "envelope-to", "x-original-to", "errors-to",
      "mail-followup-to", "mail-reply-to", "x-envelope-to", "x-delivered-to", "original-recipient"};
  for (std::string_view f : fields)
    if (iequals(name, f)) return true;
  return false;
}

bool is_mail_address(std::string_view s) {
  size_t at = s.rfind('@');
  if (at == std::string_view::npos || at == 0 || at + 1 == s.size()) return false;
  for (unsigned char c : s)
    if (c <= ' ' || c == '<' || c == '>' || c == ',' || c == 0x7F) return false;
  std::string_view domain = s.substr(at + 1);
  if (domain.front() == '.' || domain.back() == '.' || domain.find("..") != std::string_view::npos) return false;
  return true;
}

bool is_mailbox(std::string_view s) {
  if (is_mail_address(trim(s))) return true;
  std::vector<mime::Address> list = mime::parse_address_list(s);
  return list.size() == 1 && list[0].mailbox && list[0].host && *list[0].host != "MISSING_DOMAIN" &&
         *list[0].mailbox != "MISSING_MAILBOX";
}

// RFC 6068 2: mailto:[to][?hfield=value&...]; "to" hfields add recipients.
bool parse_mailto(std::string_view uri, std::vector<std::string>* recipients) {
  if (!istarts_with(uri, "mailto:")) return false;
  std::string_view rest = uri.substr(7);
  size_t q = rest.find('?');
  std::string_view to = rest.substr(0, q);
  std::vector<std::string> found;
  auto add_list = [&](std::string_view list) {
    for (std::string_view a : split(list, ',')) {
      std::string addr(trim(percent_decode(a)));
      if (addr.empty()) continue;
      if (!is_mail_address(addr)) return false;
      found.push_back(addr);
    }
    return true;
  };
  if (!add_list(to)) return false;
  if (q != std::string_view::npos) {
    for (std::string_view field : split(rest.substr(q + 1), '&')) {
      size_t eq = field.find('=');
      if (eq == std::string_view::npos || eq == 0) return false;
      if (iequals(field.substr(0, eq), "to") && !add_list(field.substr(eq + 1))) return false;
    }
  }
  if (found.empty()) return false;
  if (recipients) *recipients = std::move(found);
  return true;
}

bool is_date_part(std::string_view s) {
  static constexpr std::string_view parts[] = {"year", "month", "day", "date", "julian", "hour", "minute",
                                               "second", "time", "iso8601", "std11", "zone", "weekday"};
  for (std::string_view p : parts)
    if (iequals(s, p)) return true;
  return false;
}

std::optional<int> parse_zone(std::string_view s) {
  if (s.size() != 5 || (s[0] != '+' && s[0] != '-')) return std::nullopt;
  for (size_t i = 1; i < 5; ++i)
    if (!is_digit(s[i])) return std::nullopt;
  int hours = (s[1] - '0') * 10 + (s[2] - '0');
  int minutes = (s[3] - '0') * 10 + (s[4] - '0');
  if (minutes > 59) return std::nullopt;
  int total = hours * 60 + minutes;
  return s[0] == '-' ? -total : total;
}

std::optional<std::string> decode_encoded_characters(std::string_view s, std::string* error) {
  std::string out;
  size_t i = 0;
  while (i < s.size()) {
    size_t start = s.find("${", i);
    if (start == std::string_view::npos) break;
    out.append(s.substr(i, start - i));
    size_t close = s.find('}', start);
    size_t colon = s.find(':', start);
    if (close == std::string_view::npos || colon == std::string_view::npos || colon > close) {
      out += "${";
      i = start + 2;
      continue;
    }
    std::string_view kind = s.substr(start + 2, colon - start - 2);
    std::string_view body = s.substr(colon + 1, close - colon - 1);
    bool unicode = iequals(kind, "unicode");
    std::string decoded;
    bool bad = false;
    if ((unicode || iequals(kind, "hex")) && decode_hex_list(body, unicode, decoded, bad)) {
      out += decoded;
      i = close + 1;
      continue;
    }
    if (bad) {
      if (error) *error = "invalid Unicode character in '" + std::string(s.substr(start, close - start + 1)) + "'";
      return std::nullopt;
    }
    out += "${";
    i = start + 2;
  }
  if (i < s.size()) out.append(s.substr(i));
  return out;
}

}  // namespace kurier::sieve
