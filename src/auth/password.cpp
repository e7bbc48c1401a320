// Password hashing and verification through libxcrypt; see password.h.
#include "auth/password.h"

#include <crypt.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <memory>
#include <semaphore>
#include <stdexcept>
#include <thread>

#include "common/strings.h"

namespace kurier::auth {
namespace {

static_assert(kMaxPasswordLength < CRYPT_MAX_PASSPHRASE_SIZE);

constexpr std::string_view kYescryptPrefix = "$y$";
// Hash prefixes verify_password hands to crypt_rn. DES crypt (no prefix) and the other
// libxcrypt schemes are deliberately absent: we only accept what we know how to upgrade.
constexpr std::array<std::string_view, 7> kCryptPrefixes = {"$1$",  "$5$",  "$6$", "$2a$",
                                                            "$2b$", "$2y$", "$y$"};
// Dovecot scheme names that all mean "the rest is a crypt(3) string".
constexpr std::array<std::string_view, 5> kCryptSchemes = {"CRYPT", "MD5-CRYPT", "SHA256-CRYPT",
                                                           "SHA512-CRYPT", "BLF-CRYPT"};
constexpr std::array<std::string_view, 2> kPlainSchemes = {"PLAIN", "CLEARTEXT"};
// Schemes an external directory hands over (directory/external_sql_directory.h): MySQL's
// PASSWORD() ("*" and 40 upper-case hex digits of SHA1(SHA1(password))) and traditional DES
// crypt(3), 13 characters with a 2-character salt (Web-cyradm's $CRYPT settings).
constexpr std::string_view kMysql41Scheme = "MYSQL41";
constexpr std::string_view kDesCryptScheme = "DES-CRYPT";

struct SchemeAndValue {
  std::string scheme;  // upper-case name between braces, empty if there was no "{...}" prefix
  std::string_view value;
};

SchemeAndValue split_scheme(std::string_view stored) {
  if (stored.empty() || stored.front() != '{') return {"", stored};
  size_t close = stored.find('}');
  if (close == std::string_view::npos) return {"", stored};
  return {to_upper(stored.substr(1, close - 1)), stored.substr(close + 1)};
}

template <size_t N>
bool contains(const std::array<std::string_view, N>& list, std::string_view item) {
  for (auto entry : list)
    if (entry == item) return true;
  return false;
}

bool has_crypt_prefix(std::string_view hash) {
  for (auto prefix : kCryptPrefixes)
    if (hash.starts_with(prefix)) return true;
  return false;
}

bool is_acceptable_password(std::string_view password) {
  return password.size() <= kMaxPasswordLength && password.find('\0') == std::string_view::npos;
}

// Owns a zeroed struct crypt_data (make_unique value-initialises it, as crypt_rn requires) and
// wipes it when done, since it held the password.
struct CryptData {
  std::unique_ptr<crypt_data> data = std::make_unique<crypt_data>();
  ~CryptData() { OPENSSL_cleanse(data.get(), sizeof(crypt_data)); }
};

// Constant-time equality that does not leak where the strings differ. Lengths are compared
// first, which only reveals the length of the stored value (a crypt hash's length is public).
bool equal_constant_time(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

// For {PLAIN}: compares digests so that not even the secret's length leaks through timing.
bool equal_plain_constant_time(std::string_view given, std::string_view secret) {
  std::array<unsigned char, SHA256_DIGEST_LENGTH> given_digest, secret_digest;
  SHA256(reinterpret_cast<const unsigned char*>(given.data()), given.size(), given_digest.data());
  SHA256(reinterpret_cast<const unsigned char*>(secret.data()), secret.size(),
         secret_digest.data());
  return CRYPTO_memcmp(given_digest.data(), secret_digest.data(), given_digest.size()) == 0;
}

// yescrypt at its default cost takes ~16 MiB and tens of milliseconds of one core. Callers run on
// a large blocking pool (net::Runtime), so without a cap a burst of logins (or an attacker's
// burst of wrong ones) would hash on every pool thread at once: memory spikes and every other
// blocking job waits. At most one hash per core runs; the rest queue here.
const char* crypt_bounded(const char* phrase, const char* setting, crypt_data* data) {
  static std::counting_semaphore<> slots(std::max<std::ptrdiff_t>(1, std::thread::hardware_concurrency()));
  slots.acquire();
  const char* result = crypt_rn(phrase, setting, data, int(sizeof(crypt_data)));
  slots.release();
  return result;
}

bool verify_crypt(std::string_view password, std::string_view hash) {
  if (!has_crypt_prefix(hash) || hash.find('\0') != std::string_view::npos) return false;
  std::string password_z(password), hash_z(hash);
  CryptData work;
  const char* result = crypt_bounded(password_z.c_str(), hash_z.c_str(), work.data.get());
  OPENSSL_cleanse(password_z.data(), password_z.size());
  return result != nullptr && equal_constant_time(result, hash);
}

bool verify_mysql41(std::string_view password, std::string_view stored) {
  unsigned char once[SHA_DIGEST_LENGTH], twice[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(password.data()), password.size(), once);
  SHA1(once, sizeof once, twice);
  OPENSSL_cleanse(once, sizeof once);
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string expected = "*";
  for (unsigned char b : twice) {
    expected += kHex[b >> 4];
    expected += kHex[b & 15];
  }
  return equal_constant_time(expected, to_upper(stored));
}

bool verify_des_crypt(std::string_view password, std::string_view hash) {
  if (hash.size() != 13 || password.size() > 8 + 503) return false;  // DES reads 8 characters
  for (char c : hash)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '/')) return false;
  std::string password_z(password), hash_z(hash);
  CryptData work;
  const char* result = crypt_bounded(password_z.c_str(), hash_z.c_str(), work.data.get());
  OPENSSL_cleanse(password_z.data(), password_z.size());
  return result != nullptr && equal_constant_time(result, hash);
}

}  // namespace

std::string hash_password(std::string_view password) {
  if (!is_acceptable_password(password))
    throw std::invalid_argument("password contains NUL or is longer than 511 bytes");
  char setting[CRYPT_GENSALT_OUTPUT_SIZE];
  // rbytes == nullptr: libxcrypt draws the salt from the OS random source
  // (CRYPT_GENSALT_IMPLEMENTS_AUTO_ENTROPY); count 0 picks yescrypt's default cost.
  if (crypt_gensalt_rn(kYescryptPrefix.data(), 0, nullptr, 0, setting, sizeof setting) == nullptr)
    throw std::runtime_error("crypt_gensalt_rn failed for yescrypt");
  std::string password_z(password);
  CryptData work;
  const char* result = crypt_bounded(password_z.c_str(), setting, work.data.get());
  OPENSSL_cleanse(password_z.data(), password_z.size());
  if (result == nullptr) throw std::runtime_error("crypt_rn failed for yescrypt");
  return result;
}

bool verify_password(std::string_view password, std::string_view stored) {
  if (password.empty() || !is_acceptable_password(password)) return false;
  if (stored.size() > kMaxStoredHashLength) return false;
  SchemeAndValue parts = split_scheme(stored);
  if (parts.scheme.empty()) return verify_crypt(password, stored);
  if (contains(kCryptSchemes, parts.scheme)) return verify_crypt(password, parts.value);
  if (contains(kPlainSchemes, parts.scheme))
    return equal_plain_constant_time(password, parts.value);
  if (parts.scheme == kMysql41Scheme) return verify_mysql41(password, parts.value);
  if (parts.scheme == kDesCryptScheme) return verify_des_crypt(password, parts.value);
  return false;
}

bool needs_rehash(std::string_view stored) {
  SchemeAndValue parts = split_scheme(stored);
  if (parts.scheme.empty()) return !stored.starts_with(kYescryptPrefix);
  return !(contains(kCryptSchemes, parts.scheme) && parts.value.starts_with(kYescryptPrefix));
}

}  // namespace kurier::auth
