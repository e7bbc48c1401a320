// IMAP quoted strings and literals; see imap_string.h.
#include "mime/imap_string.h"

namespace kurier::mime {
namespace {

// RFC 3501 9: quoted = DQUOTE *QUOTED-CHAR DQUOTE; QUOTED-CHAR = <any TEXT-CHAR except
// quoted-specials> / "\" quoted-specials; TEXT-CHAR = <any CHAR except CR and LF> (7-bit).
bool fits_quoted(std::string_view s) {
  for (unsigned char c : s) {
    if (c == '\r' || c == '\n' || c >= 0x80) return false;
  }
  return true;
}

}  // namespace

void append_imap_string(std::string& out, std::string_view s) {
  std::string clean;
  if (s.find('\0') != std::string_view::npos) {
    for (char c : s)
      if (c != '\0') clean += c;
    s = clean;
  }
  if (!fits_quoted(s)) {
    out += '{';
    out += std::to_string(s.size());
    out += "}\r\n";
    out.append(s);
    return;
  }
  out += '"';
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += '"';
}

void append_imap_nstring(std::string& out, const std::optional<std::string>& s) {
  if (!s) {
    out += "NIL";
    return;
  }
  append_imap_string(out, *s);
}

}  // namespace kurier::mime
