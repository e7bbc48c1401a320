// Implementation of imap_protocol/utf7.h.
#include "imap_protocol/utf7.h"

#include <cstdint>
#include <vector>

#include "common/utf8.h"

namespace kurier::imap {
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

int base64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == ',') return 63;
  return -1;
}

bool is_printable_ascii(uint32_t c) { return c >= 0x20 && c <= 0x7e; }

// Decodes one UTF-8 sequence at s[i] and advances i; false on any malformed form and on NUL,
// which no mailbox name may hold.
bool next_code_point(std::string_view s, size_t& i, uint32_t& cp) {
  size_t length = decode_utf8(s, i, cp);
  if (length == 0 || cp == 0) return false;
  i += length;
  return true;
}

void flush_base64(std::string& out, const std::vector<uint16_t>& units) {
  out += '&';
  uint32_t bits = 0;
  int nbits = 0;
  for (uint16_t u : units) {
    bits = (bits << 16) | u;
    nbits += 16;
    while (nbits >= 6) {
      nbits -= 6;
      out += kAlphabet[(bits >> nbits) & 0x3f];
    }
    bits &= (1u << nbits) - 1;
  }
  if (nbits > 0) out += kAlphabet[(bits << (6 - nbits)) & 0x3f];
  out += '-';
}

// Decodes the base64 run s (between "&" and "-") into UTF-16 units.
Parsed<std::vector<uint16_t>> decode_base64_run(std::string_view s) {
  using R = Parsed<std::vector<uint16_t>>;
  std::vector<uint16_t> units;
  uint32_t bits = 0;
  int nbits = 0;
  for (char c : s) {
    int v = base64_value(c);
    if (v < 0) return R::fail("Invalid character in modified UTF-7 shift");
    bits = (bits << 6) | uint32_t(v);
    nbits += 6;
    if (nbits >= 16) {
      nbits -= 16;
      units.push_back(uint16_t(bits >> nbits));
      bits &= (1u << nbits) - 1;
    }
  }
  // RFC 2152: leftover bits must be fewer than 6 and zero.
  if (nbits >= 6 || bits != 0) return R::fail("Bad padding in modified UTF-7 shift");
  return R::ok(std::move(units));
}

bool append_utf16_as_utf8(std::string& out, const std::vector<uint16_t>& units, std::string& error) {
  for (size_t i = 0; i < units.size(); ++i) {
    uint32_t u = units[i];
    if (u >= 0xd800 && u <= 0xdbff) {
      if (i + 1 >= units.size() || units[i + 1] < 0xdc00 || units[i + 1] > 0xdfff) {
        error = "Unpaired surrogate in modified UTF-7";
        return false;
      }
      u = 0x10000 + ((u - 0xd800) << 10) + (units[++i] - 0xdc00);
    } else if (u >= 0xdc00 && u <= 0xdfff) {
      error = "Unpaired surrogate in modified UTF-7";
      return false;
    } else if (is_printable_ascii(u) || u == 0) {
      error = "Modified UTF-7 shift encodes a character that must be written directly";
      return false;
    }
    append_utf8(out, u);
  }
  return true;
}

}  // namespace

bool is_valid_mailbox_utf8(std::string_view s) {
  uint32_t cp = 0;
  for (size_t i = 0; i < s.size();)
    if (!next_code_point(s, i, cp)) return false;
  return true;
}

Parsed<std::string> utf7_encode(std::string_view utf8) {
  std::string out;
  std::vector<uint16_t> pending;
  for (size_t i = 0; i < utf8.size();) {
    uint32_t cp = 0;
    if (!next_code_point(utf8, i, cp)) return Parsed<std::string>::fail("Invalid UTF-8 in mailbox name");
    if (is_printable_ascii(cp)) {
      if (!pending.empty()) flush_base64(out, pending);
      pending.clear();
      out += cp == '&' ? std::string("&-") : std::string(1, char(cp));
    } else if (cp >= 0x10000) {
      cp -= 0x10000;
      pending.push_back(uint16_t(0xd800 + (cp >> 10)));
      pending.push_back(uint16_t(0xdc00 + (cp & 0x3ff)));
    } else {
      pending.push_back(uint16_t(cp));
    }
  }
  if (!pending.empty()) flush_base64(out, pending);
  return Parsed<std::string>::ok(std::move(out));
}

Parsed<std::string> utf7_decode(std::string_view s) {
  using R = Parsed<std::string>;
  std::string out;
  bool previous_was_shift = false;
  for (size_t i = 0; i < s.size();) {
    char c = s[i];
    if (!is_printable_ascii(uint8_t(c))) return R::fail("Mailbox name has a byte outside printable US-ASCII");
    if (c != '&') {
      out += c;
      ++i;
      previous_was_shift = false;
      continue;
    }
    size_t end = s.find('-', i + 1);
    if (end == std::string_view::npos) return R::fail("Unterminated modified UTF-7 shift");
    if (end == i + 1) {
      out += '&';
      i = end + 1;
      previous_was_shift = false;
      continue;
    }
    if (previous_was_shift) return R::fail("Two adjacent modified UTF-7 shifts");
    auto units = decode_base64_run(s.substr(i + 1, end - i - 1));
    if (!units) return R::fail(units.error);
    if (units->empty()) return R::fail("Empty modified UTF-7 shift");
    std::string error;
    if (!append_utf16_as_utf8(out, *units, error)) return R::fail(error);
    i = end + 1;
    previous_was_shift = true;
  }
  return R::ok(std::move(out));
}

bool is_valid_utf7(std::string_view mutf7) { return bool(utf7_decode(mutf7)); }

}  // namespace kurier::imap
