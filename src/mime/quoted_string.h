// RFC 5322 3.2.4 quoted-string reading, shared by the address and parameter parsers (internal to
// the mime module). Lenient like mail readers: an unterminated string runs to the end.
#pragma once
#include <cstddef>
#include <string>
#include <string_view>

namespace kurier::mime::detail {

// Reads the quoted-string whose opening DQUOTE is s[pos]; returns its content with quoted-pairs
// resolved ("\x" is x) and leaves pos just after the closing DQUOTE.
inline std::string read_quoted_string(std::string_view s, size_t& pos) {
  std::string out;
  for (++pos; pos < s.size() && s[pos] != '"'; ++pos) {
    if (s[pos] == '\\' && pos + 1 < s.size()) ++pos;
    out += s[pos];
  }
  if (pos < s.size()) ++pos;
  return out;
}

}  // namespace kurier::mime::detail
