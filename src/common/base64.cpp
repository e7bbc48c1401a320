// Strict RFC 4648 base64; see base64.h.
#include "common/base64.h"

#include <array>
#include <cstdint>

namespace kurier {
namespace {

constexpr std::string_view kAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr int8_t kInvalid = -1;

constexpr std::array<int8_t, 256> make_decode_table() {
  std::array<int8_t, 256> table{};
  for (auto& entry : table) entry = kInvalid;
  for (size_t i = 0; i < kAlphabet.size(); ++i) table[uint8_t(kAlphabet[i])] = int8_t(i);
  return table;
}
constexpr std::array<int8_t, 256> kDecodeTable = make_decode_table();


// Decodes one 4-character group that may end in '=' padding (only when it is the last group).
// Appends 1..3 bytes to out; false if the group is malformed.
bool decode_group(std::string_view group, bool is_last, std::string& out) {
  size_t padding = 0;
  if (group[3] == '=') padding = (group[2] == '=') ? 2 : 1;
  if (padding > 0 && !is_last) return false;
  uint32_t bits = 0;
  for (size_t i = 0; i < 4 - padding; ++i) {
    int value = base64_value(group[i]);
    if (value == kInvalid) return false;
    bits = (bits << 6) | uint32_t(value);
  }
  bits <<= 6 * padding;
  // RFC 4648 section 3.5: the pad bits must be zero for a canonical encoding.
  if (padding == 1 && (bits & 0xFF) != 0) return false;
  if (padding == 2 && (bits & 0xFFFF) != 0) return false;
  out.push_back(char((bits >> 16) & 0xFF));
  if (padding < 2) out.push_back(char((bits >> 8) & 0xFF));
  if (padding < 1) out.push_back(char(bits & 0xFF));
  return true;
}

}  // namespace

int base64_value(char c) { return kDecodeTable[uint8_t(c)]; }

std::string base64_encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    uint32_t bits = uint32_t(uint8_t(bytes[i])) << 16 | uint32_t(uint8_t(bytes[i + 1])) << 8 |
                    uint32_t(uint8_t(bytes[i + 2]));
    out.push_back(kAlphabet[(bits >> 18) & 63]);
    out.push_back(kAlphabet[(bits >> 12) & 63]);
    out.push_back(kAlphabet[(bits >> 6) & 63]);
    out.push_back(kAlphabet[bits & 63]);
  }
  size_t rest = bytes.size() - i;
  if (rest == 0) return out;
  uint32_t bits = uint32_t(uint8_t(bytes[i])) << 16;
  if (rest == 2) bits |= uint32_t(uint8_t(bytes[i + 1])) << 8;
  out.push_back(kAlphabet[(bits >> 18) & 63]);
  out.push_back(kAlphabet[(bits >> 12) & 63]);
  out.push_back(rest == 2 ? kAlphabet[(bits >> 6) & 63] : '=');
  out.push_back('=');
  return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  std::string out;
  out.reserve(text.size() / 4 * 3);
  for (size_t i = 0; i < text.size(); i += 4) {
    bool is_last = i + 4 == text.size();
    if (!decode_group(text.substr(i, 4), is_last, out)) return std::nullopt;
  }
  return out;
}

}  // namespace kurier
