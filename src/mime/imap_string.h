// IMAP string output for ENVELOPE and BODYSTRUCTURE (RFC 3501 4.3 and 9, RFC 9051 4.3).
// A value is sent quoted when every byte is a 7-bit TEXT-CHAR; otherwise as a literal {n}\r\n.
#pragma once
#include <optional>
#include <string>
#include <string_view>

namespace kurier::mime {

// Appends s as a quoted string, or as a literal when it holds CR, LF or 8-bit bytes.
// NUL bytes are dropped: RFC 3501 9 allows them in no string form (only literal8).
void append_imap_string(std::string& out, std::string_view s);
// Appends NIL for nullopt, otherwise the string.
void append_imap_nstring(std::string& out, const std::optional<std::string>& s);

}  // namespace kurier::mime
