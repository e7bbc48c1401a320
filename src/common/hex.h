// Hexadecimal digits as mail protocols write bytes with them: quoted-printable "=XX" (RFC 2045
// 6.7), RFC 2047 "Q" words, xtext "+XX" (RFC 3461 4), RFC 2231 "%XX" and SMTP "\x{...}".
#pragma once

namespace kurier {

// The value of a hexadecimal digit of either case, or -1 for any other character.
inline int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

}  // namespace kurier
