// IMAP ENVELOPE (RFC 3501 7.4.2, RFC 9051 7.5.2) built from an RFC 5322 header block.
// Address lists follow RFC 5322 3.4 including groups, quoted and obsolete forms; the
// source route (obs-route) goes into the adl field; missing parts become MISSING_MAILBOX /
// MISSING_DOMAIN as Dovecot does, so that a NIL host only ever marks group syntax.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kurier::mime {

struct Address {
  std::optional<std::string> name;
  std::optional<std::string> adl;
  std::optional<std::string> mailbox;  // the group name for a group start
  std::optional<std::string> host;     // nullopt for group start and group end
};

// Parses an unfolded address-list header value. Group start is {NIL, NIL, name, NIL},
// group end {NIL, NIL, NIL, NIL}, exactly as ENVELOPE lists them.
std::vector<Address> parse_address_list(std::string_view value);

// An address-list header value as a mail reader shows it, for SEARCH FROM/TO/CC/BCC (RFC 9051
// 6.4.4 matches "the header as the client sees it"): each address as
// "Display Name <mailbox@host>" with RFC 2047 encoded-words decoded (also inside quoted
// strings, as readers do), a group as "name:", joined by ", ". Placeholders for missing parts
// (MISSING_MAILBOX, MISSING_DOMAIN) are left out.
std::string address_list_text(std::string_view value);

// The ENVELOPE list including its parentheses: "(date subject from sender reply-to to cc
// bcc in-reply-to message-id)".
std::string imap_envelope(std::string_view header_block);

}  // namespace kurier::mime
