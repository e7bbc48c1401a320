// SCRAM-SHA-256 secrets and primitives; see scram.h.
#include "auth/scram.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <stdexcept>

#include "auth/saslprep.h"
#include "common/base64.h"
#include "common/strings.h"

namespace kurier::auth {
namespace {

constexpr std::string_view kTextPrefix = "SCRAM-SHA-256$";
constexpr std::string_view kDovecotPrefix = "{SCRAM-SHA-256}";

const unsigned char* bytes_of(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

std::string random_bytes(size_t count) {
  std::string out(count, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), int(count)) != 1)
    throw std::runtime_error("RAND_bytes failed");
  return out;
}

std::optional<ScramKey> decode_key(std::string_view text) {
  auto raw = base64_decode(text);
  if (!raw || raw->size() != kScramKeySize) return std::nullopt;
  ScramKey key;
  std::copy(raw->begin(), raw->end(), key.begin());
  return key;
}

// Builds a secret from the four text fields shared by both stored forms.
std::optional<ScramSecret> secret_from_fields(std::string_view iterations, std::string_view salt,
                                              std::string_view stored_key,
                                              std::string_view server_key) {
  auto count = parse_uint(iterations);
  if (!count || *count == 0 || *count > kScramMaxIterations) return std::nullopt;
  auto raw_salt = base64_decode(salt);
  if (!raw_salt || raw_salt->empty() || raw_salt->size() > kScramMaxSaltSize) return std::nullopt;
  auto stored = decode_key(stored_key);
  auto server = decode_key(server_key);
  if (!stored || !server) return std::nullopt;
  return ScramSecret{std::move(*raw_salt), uint32_t(*count), *stored, *server};
}

// "<iter>:<salt>$<StoredKey>:<ServerKey>"
std::optional<ScramSecret> parse_text_form(std::string_view rest) {
  size_t dollar = rest.find('$');
  if (dollar == std::string_view::npos) return std::nullopt;
  auto left = split(rest.substr(0, dollar), ':');
  auto right = split(rest.substr(dollar + 1), ':');
  if (left.size() != 2 || right.size() != 2) return std::nullopt;
  return secret_from_fields(left[0], left[1], right[0], right[1]);
}

// "<iter>,<salt>,<StoredKey>,<ServerKey>"
std::optional<ScramSecret> parse_dovecot_form(std::string_view rest) {
  auto fields = split(rest, ',');
  if (fields.size() != 4) return std::nullopt;
  return secret_from_fields(fields[0], fields[1], fields[2], fields[3]);
}

std::string prepare_password_or_throw(std::string_view password) {
  auto prepared = saslprep(password);
  if (!prepared || prepared->empty())
    throw std::invalid_argument("SCRAM password is empty or fails SASLprep");
  return std::move(*prepared);
}

}  // namespace

ScramKey scram_hmac(std::string_view key, std::string_view data) {
  ScramKey out;
  unsigned int length = 0;
  if (HMAC(EVP_sha256(), key.data(), int(key.size()), bytes_of(data), data.size(), out.data(),
           &length) == nullptr ||
      length != out.size())
    throw std::runtime_error("HMAC-SHA-256 failed");
  return out;
}

ScramKey scram_hash(std::string_view data) {
  ScramKey out;
  SHA256(bytes_of(data), data.size(), out.data());
  return out;
}

ScramKey scram_salted_password(std::string_view prepared_password, std::string_view salt,
                               uint32_t iterations) {
  ScramKey out;
  if (PKCS5_PBKDF2_HMAC(prepared_password.data(), int(prepared_password.size()), bytes_of(salt),
                        int(salt.size()), int(iterations), EVP_sha256(), int(out.size()),
                        out.data()) != 1)
    throw std::runtime_error("PBKDF2-HMAC-SHA-256 failed");
  return out;
}

ScramSecret make_scram_secret(std::string_view password, uint32_t iterations) {
  return make_scram_secret(password, random_bytes(kScramSaltSize), iterations);
}

ScramSecret make_scram_secret(std::string_view password, std::string_view salt,
                              uint32_t iterations) {
  if (iterations < kScramDefaultIterations || iterations > kScramMaxIterations)
    throw std::invalid_argument("SCRAM iteration count out of range");
  if (salt.empty() || salt.size() > kScramMaxSaltSize)
    throw std::invalid_argument("SCRAM salt must be 1..256 bytes");
  std::string prepared = prepare_password_or_throw(password);
  ScramKey salted = scram_salted_password(prepared, salt, iterations);
  OPENSSL_cleanse(prepared.data(), prepared.size());
  ScramSecret secret{std::string(salt), iterations, {}, {}};
  secret.stored_key = scram_hash(as_bytes(scram_hmac(as_bytes(salted), "Client Key")));
  secret.server_key = scram_hmac(as_bytes(salted), "Server Key");
  OPENSSL_cleanse(salted.data(), salted.size());
  return secret;
}

std::string serialize_scram_secret(const ScramSecret& secret) {
  return std::string(kTextPrefix) + std::to_string(secret.iterations) + ":" +
         base64_encode(secret.salt) + "$" + base64_encode(as_bytes(secret.stored_key)) + ":" +
         base64_encode(as_bytes(secret.server_key));
}

std::optional<ScramSecret> parse_scram_secret(std::string_view text) {
  if (text.starts_with(kTextPrefix)) return parse_text_form(text.substr(kTextPrefix.size()));
  if (istarts_with(text, kDovecotPrefix))
    return parse_dovecot_form(text.substr(kDovecotPrefix.size()));
  return std::nullopt;
}

bool verify_scram_password(std::string_view password, const ScramSecret& secret) {
  auto prepared = saslprep(password);
  if (!prepared || prepared->empty() || secret.iterations == 0 ||
      secret.iterations > kScramMaxIterations)
    return false;
  ScramKey salted = scram_salted_password(*prepared, secret.salt, secret.iterations);
  ScramKey stored_key = scram_hash(as_bytes(scram_hmac(as_bytes(salted), "Client Key")));
  OPENSSL_cleanse(salted.data(), salted.size());
  return CRYPTO_memcmp(stored_key.data(), secret.stored_key.data(), stored_key.size()) == 0;
}

}  // namespace kurier::auth
