// Base64 as defined in RFC 4648 section 4 (standard alphabet, '=' padding), used by SASL
// exchanges (RFC 4422), stored SCRAM secrets and anything else that carries binary as text.
// Decoding is strict: no whitespace, padding required, and non-canonical encodings (non-zero
// bits after the last full byte, RFC 4648 section 3.5) are rejected, so that every byte string
// has exactly one accepted encoding.
#pragma once
#include <optional>
#include <string>
#include <string_view>

namespace kurier {

std::string base64_encode(std::string_view bytes);
// The 6-bit value of a character of the RFC 4648 4 alphabet (the one MIME uses, RFC 2045 6.8),
// or -1 for any other character (padding '=' included).
int base64_value(char c);
// Returns std::nullopt for any character outside the alphabet, a length that is not a multiple
// of 4, misplaced or excess padding, or non-zero trailing bits. The empty string decodes to "".
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace kurier
