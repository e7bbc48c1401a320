// Lenient Content-Transfer-Encoding decoders (see transfer_encoding.h).
#include "mime/transfer_encoding.h"

#include <cstdint>

#include "common/base64.h"
#include "common/hex.h"

namespace kurier::mime {

std::string decode_base64_lenient(std::string_view in) {
  std::string out;
  out.reserve(in.size() / 4 * 3);
  uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    if (c == '=') break;
    int v = base64_value(c);
    if (v < 0) continue;
    acc = (acc << 6) | uint32_t(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += char((acc >> bits) & 0xff);
    }
  }
  return out;
}

std::string decode_quoted_printable(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c != '=') {
      out += c;
      continue;
    }
    // Soft line break: "=" followed by optional blanks and a line ending.
    size_t j = i + 1;
    while (j < in.size() && (in[j] == ' ' || in[j] == '\t')) ++j;
    if (j < in.size() && (in[j] == '\r' || in[j] == '\n')) {
      if (in[j] == '\r' && j + 1 < in.size() && in[j + 1] == '\n') ++j;
      i = j;
      continue;
    }
    if (j == in.size()) {  // "=" at the very end: a soft break without line ending
      i = j;
      continue;
    }
    int hi = i + 1 < in.size() ? hex_value(in[i + 1]) : -1;
    int lo = i + 2 < in.size() ? hex_value(in[i + 2]) : -1;
    if (hi < 0 || lo < 0) {
      out += c;  // malformed escape: keep it (RFC 2045 6.7 note 1)
      continue;
    }
    out += char(hi * 16 + lo);
    i += 2;
  }
  return out;
}

std::optional<std::string> decode_transfer_encoding(std::string_view in, std::string_view encoding) {
  if (encoding.empty() || encoding == "7bit" || encoding == "8bit" || encoding == "binary")
    return std::string(in);
  if (encoding == "base64") return decode_base64_lenient(in);
  if (encoding == "quoted-printable") return decode_quoted_printable(in);
  return std::nullopt;
}

}  // namespace kurier::mime
