// TOML string and key quoting (see toml_text.h).
#include "config/toml_text.h"

#include <fmt/format.h>

namespace kurier::config {
namespace {

// TOML 1.0 "String": any Unicode character may appear in a basic string except those that must
// be escaped: quotation mark, backslash, and the control characters other than tab
// (U+0000 to U+0008, U+000A to U+001F, U+007F).
void append_escaped(std::string& out, char c) {
  switch (c) {
    case '"': out += "\\\""; return;
    case '\\': out += "\\\\"; return;
    case '\b': out += "\\b"; return;
    case '\t': out += "\\t"; return;
    case '\n': out += "\\n"; return;
    case '\f': out += "\\f"; return;
    case '\r': out += "\\r"; return;
    default: break;
  }
  auto byte = static_cast<unsigned char>(c);
  if (byte < 0x20 || byte == 0x7f) out += fmt::format("\\u{:04X}", unsigned(byte));
  else out += c;
}

bool is_bare_key_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

}  // namespace

std::string toml_quote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) append_escaped(out, c);
  out += '"';
  return out;
}

std::string toml_string_array(const std::vector<std::string>& items) {
  std::string out = "[";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) out += ", ";
    out += toml_quote(items[i]);
  }
  out += ']';
  return out;
}

std::string toml_key(std::string_view key) {
  if (key.empty()) return "\"\"";
  for (char c : key)
    if (!is_bare_key_char(c)) return toml_quote(key);
  return std::string(key);
}

}  // namespace kurier::config
