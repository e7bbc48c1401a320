// SCRAM-SHA-256 credentials (RFC 5802 section 3, RFC 7677): the salted secret the server stores
// instead of the password, and the hash primitives the SASL mechanism (auth/sasl.h) needs.
//
//   SaltedPassword = Hi(SASLprep(password), salt, i)        (PBKDF2-HMAC-SHA-256)
//   ClientKey = HMAC(SaltedPassword, "Client Key")   StoredKey = H(ClientKey)
//   ServerKey = HMAC(SaltedPassword, "Server Key")
//
// Text form (serialize_scram_secret) is the one PostgreSQL uses and RFC 5803 describes:
//   SCRAM-SHA-256$<iterations>:<salt base64>$<StoredKey base64>:<ServerKey base64>
// parse_scram_secret also reads Dovecot's form, for imports:
//   {SCRAM-SHA-256}<iterations>,<salt base64>,<StoredKey base64>,<ServerKey base64>
#pragma once
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace kurier::auth {

inline constexpr size_t kScramKeySize = 32;  // SHA-256 output
inline constexpr size_t kScramSaltSize = 16;
inline constexpr uint32_t kScramDefaultIterations = 4096;  // RFC 7677 section 4: at least 4096
inline constexpr uint32_t kScramMaxIterations = 10'000'000;
inline constexpr size_t kScramMaxSaltSize = 256;

using ScramKey = std::array<uint8_t, kScramKeySize>;

struct ScramSecret {
  std::string salt;  // raw bytes
  uint32_t iterations = kScramDefaultIterations;
  ScramKey stored_key{};
  ScramKey server_key{};
  bool operator==(const ScramSecret&) const = default;
};

// Derives a secret with a fresh 16-byte random salt. Throws std::invalid_argument when the
// password is empty, fails SASLprep (see auth/saslprep.h) or iterations is outside
// [kScramDefaultIterations, kScramMaxIterations].
ScramSecret make_scram_secret(std::string_view password,
                              uint32_t iterations = kScramDefaultIterations);
// Same with a given salt (tests, or re-deriving a known secret). Salt must be 1..256 bytes.
ScramSecret make_scram_secret(std::string_view password, std::string_view salt,
                              uint32_t iterations);

std::string serialize_scram_secret(const ScramSecret& secret);
// std::nullopt for anything malformed: wrong prefix, iterations outside [1, kScramMaxIterations],
// bad base64, empty or oversized salt, keys that are not 32 bytes.
std::optional<ScramSecret> parse_scram_secret(std::string_view text);

// True when password derives secret's StoredKey (lets PLAIN/LOGIN log in to an account that only
// has a SCRAM secret). Constant-time comparison; false if the password fails SASLprep.
bool verify_scram_password(std::string_view password, const ScramSecret& secret);

// Primitives (RFC 5802 section 2.2), exposed for the SASL mechanism and tests.
ScramKey scram_hmac(std::string_view key, std::string_view data);
ScramKey scram_hash(std::string_view data);
ScramKey scram_salted_password(std::string_view prepared_password, std::string_view salt,
                               uint32_t iterations);
inline std::string_view as_bytes(const ScramKey& key) {
  return {reinterpret_cast<const char*>(key.data()), key.size()};
}

}  // namespace kurier::auth
