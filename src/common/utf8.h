// UTF-8 (RFC 3629), the one codec every layer uses: SASLprep, SMTPUTF8 addresses and DSN
// parameters, IMAP's mailbox names and modified UTF-7, Sieve strings, the store's names.
// Strict: overlong forms, surrogates (U+D800..U+DFFF), code points above U+10FFFF and truncated
// sequences are malformed (RFC 3629 4, UTF8-octets; section 10 says why overlongs are refused).
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace kurier {

// Decodes the code point starting at text[pos]; returns its length in bytes, or 0 when the
// bytes there are malformed (code_point is then unspecified).
size_t decode_utf8(std::string_view text, size_t pos, uint32_t& code_point);

// The length of the well-formed sequence at text[pos], or 0.
inline size_t utf8_sequence_length(std::string_view text, size_t pos) {
  uint32_t ignored = 0;
  return decode_utf8(text, pos, ignored);
}

bool is_valid_utf8(std::string_view text);

// Appends the UTF-8 form of a code point (the caller passes a scalar value: <= U+10FFFF and not
// a surrogate).
void append_utf8(std::string& out, uint32_t code_point);

}  // namespace kurier
