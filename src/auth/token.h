// Secrets of the web admin: random tokens (session ids, CSRF tokens, API keys, app passwords)
// and their stored form. Only a SHA-256 of a token is ever stored or compared, so a leaked
// table or log line never grants access; comparisons are constant-time.
#pragma once
#include <string>
#include <string_view>

namespace kurier::auth {

// `n` random bytes (OpenSSL RAND_bytes). Throws if the RNG fails.
std::string random_bytes(size_t n);
// `bytes` random bytes (OpenSSL RAND_bytes) as unpadded base64url. Throws if the RNG fails.
std::string random_token(size_t bytes = 32);
// Lower-case hex SHA-256 of the token.
std::string token_hash(std::string_view token);
bool constant_time_equal(std::string_view a, std::string_view b);

}  // namespace kurier::auth
