// A deliberately small SASLprep (RFC 4013, the stringprep profile for user names and passwords
// in SASL), shared by SCRAM (RFC 5802 section 2.2 requires it) and PLAIN/LOGIN.
//
// What it does: checks the input is well-formed UTF-8 (RFC 3629: no overlongs, no surrogates,
// nothing above U+10FFFF) and rejects the control characters of RFC 3454 tables C.2.1 and C.2.2
// (U+0000..U+001F, U+007F, U+0080..U+009F). ASCII input without control characters is returned
// unchanged, which is exactly what full SASLprep does for it.
//
// Not implemented (non-ASCII input is passed through as is):
//   - RFC 4013 section 2.1 mapping (non-ASCII spaces to U+0020, "mapped to nothing" removal);
//   - section 2.2 NFKC normalisation;
//   - the other prohibited tables (C.1.2, C.3 .. C.9: private use, non-characters, ...);
//   - section 2.4 bidirectional checks and the unassigned code point check.
// A non-ASCII password therefore only matches when client and stored secret agree on its form.
#pragma once
#include <optional>
#include <string>
#include <string_view>

#include "common/utf8.h"  // is_valid_utf8

namespace kurier::auth {

// The prepared string, or std::nullopt when the input is not UTF-8 or holds a control character.
std::optional<std::string> saslprep(std::string_view text);

}  // namespace kurier::auth
