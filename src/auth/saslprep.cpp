// Minimal SASLprep; see saslprep.h for what is and is not implemented.
#include "auth/saslprep.h"

#include <cstdint>

namespace kurier::auth {
namespace {

bool is_control(uint32_t code_point) {
  return code_point < 0x20 || (code_point >= 0x7F && code_point <= 0x9F);
}

}  // namespace

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
