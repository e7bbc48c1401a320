// Mailbox names as the store keeps them: UTF-8 (IMAP4rev2, RFC 9051 5.1; the IMAP layer converts
// modified UTF-7 for IMAP4rev1 clients), hierarchy separator '/', and "INBOX" as the one
// case-insensitive name (RFC 9051 5.1: "INBOX" is case-insensitive, all others case-sensitive).
#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace kurier::store {

constexpr char kHierarchySeparator = '/';
constexpr size_t kMaxMailboxNameLength = 1000;  // bytes
constexpr size_t kMaxMailboxDepth = 32;

// Returns the canonical name ("inbox/Foo" -> "INBOX/Foo") or throws StoreError(invalid_name).
// Rejected: empty, too long/deep, empty components ("a//b", "/a", "a/"), control characters,
// invalid UTF-8, and the LIST wildcards '%' and '*' (RFC 9051 5.1: SHOULD NOT be in names).
std::string normalize_mailbox_name(std::string_view name);

bool is_inbox(std::string_view canonical_name);

// "a/b/c" -> {"a", "a/b"}: the superior names CREATE implies (RFC 9051 6.3.4).
std::vector<std::string> ancestor_names(std::string_view canonical_name);

// True if `name` lies strictly below `parent` in the hierarchy ("a/b" is below "a", "ab" is not).
bool is_inferior(std::string_view name, std::string_view parent);

// Valid special-use attribute (RFC 6154 2) or empty.
bool is_valid_special_use(std::string_view attribute);

}  // namespace kurier::store
