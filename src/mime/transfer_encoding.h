// Content-Transfer-Encoding decoders for message bodies (RFC 2045 6), lenient as mail readers
// are; IMAP uses them for FETCH BINARY[] (RFC 3516 4) and SEARCH BODY/TEXT (RFC 9051 6.4.4:
// searches match the decoded text), and RFC 2047 encoded-words share them (header.h).
//   base64 (RFC 2045 6.8): characters outside the alphabet (line breaks) are ignored, decoding
//     stops at "=" padding;
//   quoted-printable (RFC 2045 6.7): "=XX" hex escapes and "=" soft line breaks; a malformed
//     escape is kept as written; trailing blanks of a line are kept.
// Pure functions; the output is at most as long as the input.
#pragma once
#include <optional>
#include <string>
#include <string_view>

namespace kurier::mime {

std::string decode_base64_lenient(std::string_view in);
std::string decode_quoted_printable(std::string_view in);
// Decodes `in` according to a lower-case Content-Transfer-Encoding name. Identity encodings
// ("", 7bit, 8bit, binary) return the input; nullopt for an unknown encoding (RFC 3516
// UNKNOWN-CTE).
std::optional<std::string> decode_transfer_encoding(std::string_view in, std::string_view encoding);

}  // namespace kurier::mime
