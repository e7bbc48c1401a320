// Character classes and small grammar checks shared by the SMTP protocol files:
// RFC 5321 4.1.2 (Dot-string, Quoted-string, Domain, address-literal), RFC 6531 3.3 (UTF-8
// extensions of atext, qtextSMTP and sub-domain); xtext (RFC 3461 4) is common/xtext.h.
// Everything here is pure and bounded by its input; nothing allocates more than its output.
#pragma once
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "common/utf8.h"  // utf8_sequence_length, is_valid_utf8

namespace kurier::smtp {

// RFC 5234 ALPHA / DIGIT.
inline bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
inline bool is_digit(char c) { return c >= '0' && c <= '9'; }
inline bool is_non_ascii(char c) { return static_cast<unsigned char>(c) >= 0x80; }

// RFC 5322 3.2.3 atext (ASCII only; UTF-8 is handled by the callers).
bool is_atext(char c);

bool has_non_ascii(std::string_view s);

// RFC 5321 4.1.2 Dot-string = Atom *("." Atom); with allow_utf8, RFC 6531 atext =/ UTF8-non-ascii.
bool is_dot_string(std::string_view s, bool allow_utf8);
// RFC 5321 4.1.2 Quoted-string = DQUOTE *QcontentSMTP DQUOTE (with allow_utf8, qtextSMTP =/ UTF8-non-ascii).
bool is_quoted_string(std::string_view s, bool allow_utf8);
// Removes the quotes and quoted-pair backslashes of a Quoted-string already validated.
std::string unquote(std::string_view quoted);

// RFC 5321 4.1.2 Domain = sub-domain *("." sub-domain); with allow_utf8, sub-domain =/ U-label
// (RFC 6531 3.3; checked here only as well-formed UTF-8, not against IDNA2008 tables).
// Labels are limited to 63 octets (RFC 1035 2.3.4).
bool is_domain(std::string_view s, bool allow_utf8);
// RFC 5321 4.1.3: "[" IPv4-address-literal "]" or "[IPv6:" IPv6-addr "]". General-address-literal
// is refused: no Standardized-tag other than IPv6 is registered.
bool is_address_literal(std::string_view s);
bool is_ipv4_literal(std::string_view s);
bool is_ipv6_literal(std::string_view s);

}  // namespace kurier::smtp
