// Password hashing for stored account passwords, through libxcrypt.
// New hashes are yescrypt ("$y$", libxcrypt's default and strongest scheme). Verification also
// accepts the hashes an operator imports from other servers: MD5-crypt "$1$", SHA-crypt "$5$"
// and "$6$", bcrypt "$2a$"/"$2b$"/"$2y$", optionally behind a Dovecot-style scheme prefix
// ("{CRYPT}", "{MD5-CRYPT}", "{SHA256-CRYPT}", "{SHA512-CRYPT}", "{BLF-CRYPT}"), and
// "{PLAIN}secret" / "{CLEARTEXT}secret", and what the seed's Web-cyradm wrote: MySQL PASSWORD()
// as "{MYSQL41}*HEX" and traditional DES crypt as "{DES-CRYPT}xxxxxxxxxxxxx". Everything here is thread-safe: each call uses its own
// struct crypt_data (32 KiB, heap-allocated so it never lands on a coroutine stack).
#pragma once
#include <cstddef>
#include <string>
#include <string_view>

namespace kurier::auth {

// Longest password we hash or verify; longer ones are refused, not truncated. This is
// libxcrypt's limit (CRYPT_MAX_PASSPHRASE_SIZE - 1).
inline constexpr size_t kMaxPasswordLength = 511;
// Longest stored hash we look at (libxcrypt's own output limit is 384).
inline constexpr size_t kMaxStoredHashLength = 4096;

// Hashes with yescrypt, default cost, a fresh salt from the OS random source.
// Throws std::invalid_argument for a password that contains NUL or exceeds kMaxPasswordLength,
// std::runtime_error if libcrypt fails (which it should not).
std::string hash_password(std::string_view password);

// True when password matches stored. An empty password never matches; unknown schemes, malformed
// hashes, DES crypt and passwords containing NUL all give false. Comparisons are constant-time.
bool verify_password(std::string_view password, std::string_view stored);

// True for anything that is not yescrypt, so an imported hash is replaced by hash_password()
// at the next successful login.
bool needs_rehash(std::string_view stored);

}  // namespace kurier::auth
