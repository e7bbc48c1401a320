// Small syntax checks Sieve needs both when compiling constant strings and at run time on
// expanded ones: identifiers (RFC 5229 3), header field names (RFC 5322 2.2), mail addresses,
// mailto URIs (RFC 5436 / RFC 6068), date parts and zones (RFC 5260), encoded-character
// decoding (RFC 5228 2.4.2.4).
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kurier::sieve {

bool is_identifier(std::string_view s);
bool is_header_name(std::string_view s);
// RFC 5228 5.1: the address test works only on fields that hold address lists.
bool is_address_header(std::string_view name);
// local-part@domain, as RFC 5228 4.2 wants of a redirect address (no display name, no <>).
bool is_mail_address(std::string_view s);
// One RFC 5322 mailbox, with or without a display name ("Bob <bob@example.com>"), as vacation's
// :from must be (RFC 5230 4.4).
bool is_mailbox(std::string_view s);
// A mailto URI with at least one valid recipient; recipients gets them when given.
bool parse_mailto(std::string_view uri, std::vector<std::string>* recipients = nullptr);
bool is_date_part(std::string_view s);
// "+0100" / "-0830": minutes east of UTC.
std::optional<int> parse_zone(std::string_view s);
// Decodes "${hex:...}" and "${unicode:...}"; an encoding that is malformed stays as written
// (RFC 5228 2.4.2.4); nullopt with error set for a code point that is not Unicode.
std::optional<std::string> decode_encoded_characters(std::string_view s, std::string* error);
// A header field value safe to write: line breaks become spaces, and a value with non-ASCII
// bytes becomes one RFC 2047 UTF-8 "B" encoded-word (RFC 5293 4, RFC 5230 5.5).
std::string encode_header_value(std::string_view value);

}  // namespace kurier::sieve
