// LIST/LSUB mailbox patterns (RFC 9051 6.3.9): "*" matches any characters, "%" any characters
// except the hierarchy separator "/". Pure; time O(pattern x name), no backtracking blow-up.
#pragma once
#include <string_view>

namespace kurier::imap {

bool list_pattern_matches(std::string_view pattern, std::string_view name);

}  // namespace kurier::imap
