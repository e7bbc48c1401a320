// Minimal SASLprep; see saslprep.h for what is and is not implemented.
#include "auth/saslprep.h"

#include <cstdint>

namespace kurier::auth {
namespace {

// Decodes the code point starting at text[pos]; returns its length in bytes or 0 if malformed.
// Follows the UTF8-octets grammar of RFC 3629 section 4.
size_t decode_utf8(std::string_view text, size_t pos, uint32_t& code_point) {
  auto byte = [&](size_t i) { return uint8_t(text[pos + i]); };
  uint8_t lead = byte(0);
  size_t length = lead < 0x80 ? 1 : lead < 0xC2 ? 0 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3
                : lead < 0xF5 ? 4 : 0;
  if (length == 0 || pos + length > text.size()) return 0;
  if (length == 1) {
    code_point = lead;
    return 1;
  }
  code_point = lead & (0x7F >> length);
  for (size_t i = 1; i < length; ++i) {
    if ((byte(i) & 0xC0) != 0x80) return 0;
    code_point = (code_point << 6) | (byte(i) & 0x3F);
  }
  constexpr uint32_t kSmallestForLength[] = {0, 0, 0x80, 0x800, 0x10000};
  if (code_point < kSmallestForLength[length]) return 0;            // overlong
  if (code_point >= 0xD800 && code_point <= 0xDFFF) return 0;       // surrogate
  if (code_point > 0x10FFFF) return 0;
  return length;
}

bool is_control(uint32_t code_point) {
  return code_point < 0x20 || (code_point >= 0x7F && code_point <= 0x9F);
}

}  // namespace

bool is_valid_utf8(std::string_view text) {
  uint32_t code_point = 0;
  for (size_t pos = 0; pos < text.size();) {
    size_t length = decode_utf8(text, pos, code_point);
    if (length == 0) return false;
    pos += length;
  }
  return true;
}

std::optional<std::string> saslprep(std::string_view text) {
  uint32_t code_point = 0;
  for (size_t pos = 0; pos < text.size();) {
    size_t length = decode_utf8(text, pos, code_point);
    if (length == 0 || is_control(code_point)) return std::nullopt;
    pos += length;
  }
  return std::string(text);
}

}  // namespace kurier::auth
