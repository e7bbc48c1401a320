// Writers for values in IMAP responses, RFC 9051 section 4.3 and formal syntax:
//   string  = quoted / literal; quoted = DQUOTE *QUOTED-CHAR DQUOTE (only "\" and DQUOTE
//             escaped; never CR, LF or NUL); literal = "{" number "}" CRLF *CHAR8
//   literal8 = "~{" number "}" CRLF *OCTET (RFC 3516, for BINARY fetch results with NUL)
//   astring = 1*ASTRING-CHAR / string; nstring = string / "NIL"
//   flag-list = "(" [flag *(SP flag)] ")"
// Each writer picks the cheapest form that the client will read back unchanged.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/flags.h"

namespace kurier::imap {

// Strings longer than this are sent as literals even when they could be quoted.
inline constexpr size_t kMaxQuotedLength = 1024;

struct QuoteOptions {
  // UTF8=ACCEPT enabled (RFC 6855 / RFC 9051): 8-bit UTF-8 may go in a quoted string.
  bool utf8_quoted = false;
  size_t max_quoted = kMaxQuotedLength;
};

// True when s can be sent as a quoted string.
bool can_quote(std::string_view s, const QuoteOptions& opt = {});
// "\"...\"" with escapes; the caller must have checked can_quote().
std::string quoted(std::string_view s);
// "{N}\r\n" + data, or "~{N}\r\n" + data when binary.
std::string literal(std::string_view s, bool binary = false);
// Quoted when safe, a literal otherwise (CR, LF, NUL, 8-bit, long).
std::string imap_string(std::string_view s, const QuoteOptions& opt = {});
// As imap_string, but NIL for nullopt.
std::string imap_nstring(std::optional<std::string_view> s, const QuoteOptions& opt = {});
// An atom when every byte is an ASTRING-CHAR (and s is not empty), else imap_string.
std::string imap_astring(std::string_view s, const QuoteOptions& opt = {});
// For BINARY[] results: literal8 when data has NUL, a plain literal otherwise (RFC 3516 4.2).
std::string imap_binary_literal(std::string_view data);
// "(\Seen \Answered $Forwarded)". Flags are atoms; they are written as given.
std::string format_flag_list(const std::vector<std::string>& flags);
// Makes free text safe for resp-text (e.g. an error message mentioning client input):
// CR, LF, NUL and other controls become spaces, 8-bit bytes become "?", cut to max_length.
std::string sanitize_text(std::string_view s, size_t max_length = 200);

// RFC 9051 formal syntax character classes, shared with the parser. ATOM-CHAR is the store's
// (flag keywords are atoms).
using store::is_atom_char;
bool is_astring_char(char c);  // ASTRING-CHAR = ATOM-CHAR / resp-specials ("]")
bool is_list_char(char c);     // list-char = ATOM-CHAR / list-wildcards / resp-specials

}  // namespace kurier::imap
