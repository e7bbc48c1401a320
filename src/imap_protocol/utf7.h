// Modified UTF-7 for mailbox names, RFC 3501 5.1.3 (kept by RFC 9051 for clients without
// UTF8=ACCEPT): printable US-ASCII except "&" stands for itself, "&" is written "&-", and
// other characters are UTF-16 in modified BASE64 (RFC 2045 alphabet with "," for "/",
// no "=" padding) between "&" and "-".
// Decoding is strict so that each name has exactly one spelling: it rejects characters
// outside 0x20..0x7e, unterminated or empty shifts other than "&-", shifts that encode
// printable ASCII, two shifts back to back, non-zero padding bits, unpaired surrogates
// and U+0000.
#pragma once
#include <string>
#include <string_view>

#include "imap_protocol/parsed.h"

namespace kurier::imap {

// UTF-8 -> modified UTF-7. Fails on invalid UTF-8 (overlongs, surrogates, > U+10FFFF, NUL).
Parsed<std::string> utf7_encode(std::string_view utf8);
// Modified UTF-7 -> UTF-8, strict as above.
Parsed<std::string> utf7_decode(std::string_view mutf7);
// True when the name decodes (cheap check for names received from clients).
bool is_valid_utf7(std::string_view mutf7);
// UTF-8 a mailbox name may hold: well-formed (common/utf8.h) and without NUL, as utf7_encode.
bool is_valid_mailbox_utf8(std::string_view s);

}  // namespace kurier::imap
