// Message flags: keyword validation, canonical form and the +FLAGS/-FLAGS/FLAGS arithmetic
// used by STORE (RFC 9051 6.4.6). Keywords are IMAP atoms (RFC 9051 9, flag-keyword) and
// compare case-insensitively like all IMAP protocol tokens (RFC 9051 9, note 1).
#pragma once
#include <string>
#include <string_view>

#include "store/types.h"

namespace kurier::store {

constexpr size_t kMaxKeywordLength = 128;
constexpr size_t kMaxKeywordsPerMessage = 128;

// RFC 9051 9: ATOM-CHAR = <any CHAR except atom-specials>; atom-specials = "(" / ")" / "{" / SP /
// CTL / list-wildcards ("%" "*") / quoted-specials (DQUOTE "\") / resp-specials ("]"). A keyword
// is 1*ATOM-CHAR; the IMAP parser and writers use the same class (imap_protocol/quote.h).
bool is_atom_char(char c);

bool is_valid_keyword(std::string_view keyword);

// Validates every keyword, removes case-insensitive duplicates (first spelling wins) and sorts
// them case-insensitively. Throws StoreError(invalid_argument) naming the bad keyword.
Flags canonical_flags(const Flags& flags);

// Result of applying a STORE of `change` with `mode` to `current` (both canonical).
Flags apply_flags(const Flags& current, FlagMode mode, const Flags& change);

// Keywords as stored in one column: canonical keywords joined by a space (never inside an atom).
std::string join_keywords(const std::vector<std::string>& keywords);
std::vector<std::string> split_keywords(std::string_view joined);

}  // namespace kurier::store
