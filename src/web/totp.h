// TOTP (RFC 6238, over HOTP RFC 4226): the optional second factor of web logins. SHA-1,
// 30-second steps, 6 digits — what every authenticator app accepts — with the secret shown to
// the user as base32 (RFC 4648 6) in an otpauth:// URI. Pure apart from OpenSSL's HMAC.
#pragma once
#include <cstdint>
#include <ctime>
#include <optional>
#include <string>
#include <string_view>

namespace kurier::web {

std::string base32_encode(std::string_view bytes);
// Case-insensitive, ignores spaces and '=' padding; nullopt for other characters.
std::optional<std::string> base32_decode(std::string_view text);

// RFC 4226 5.3: the HOTP value of `counter` as `digits` decimal digits.
std::string hotp(std::string_view secret, uint64_t counter, int digits = 6);
// RFC 6238 4: HOTP of floor(unix_time / 30).
std::string totp(std::string_view secret, std::time_t unix_time, int digits = 6);
// Accepts the code of the current step or one step either side (RFC 6238 5.2 allows for clock
// drift). Returns the step that matched, so a caller can refuse a code used twice.
std::optional<uint64_t> verify_totp(std::string_view secret, std::string_view code, std::time_t now);

// otpauth://totp/ISSUER:ACCOUNT?secret=BASE32&issuer=ISSUER (Google Authenticator's key URI).
std::string otpauth_uri(std::string_view issuer, std::string_view account, std::string_view secret);

}  // namespace kurier::web
