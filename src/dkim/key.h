// DKIM signing keys: RSA 2048 with rsa-sha256 (RFC 6376 3.3.1; RFC 8301 requires at least 1024
// bits and recommends 2048) and Ed25519 with ed25519-sha256 (RFC 8463). Keys are kept as PKCS#8
// PEM; the public half is what goes into the DNS TXT record's p= tag.
#pragma once
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

namespace kurier::dkim {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

enum class Algorithm { rsa_sha256, ed25519_sha256 };

std::string_view algorithm_name(Algorithm a);  // the a= tag: "rsa-sha256", "ed25519-sha256"
std::string_view key_type(Algorithm a);        // the k= tag: "rsa", "ed25519"

// A private key. Immutable after creation, so one instance may sign on many threads at once.
class PrivateKey {
 public:
  ~PrivateKey();
  PrivateKey(const PrivateKey&) = delete;
  PrivateKey& operator=(const PrivateKey&) = delete;

  static std::shared_ptr<PrivateKey> generate(Algorithm a);
  // Throws Error if the PEM is not a private key of the expected algorithm.
  static std::shared_ptr<PrivateKey> from_pem(std::string_view pem, Algorithm a);

  Algorithm algorithm() const { return algorithm_; }
  std::string to_pem() const;  // PKCS#8, unencrypted
  // The p= value (RFC 6376 3.6.1): base64 of the DER SubjectPublicKeyInfo for RSA (what
  // opendkim-genkey publishes and verifiers expect), of the raw 32-byte key for Ed25519
  // (RFC 8463 4).
  std::string public_key_base64() const;

  // The b= signature over the canonicalized header data (RFC 6376 3.7): RSASSA-PKCS1-v1_5 with
  // SHA-256 for RSA; for Ed25519, PureEdDSA over the SHA-256 digest of the data (RFC 8463 3).
  std::string sign(std::string_view data) const;

 private:
  PrivateKey(void* pkey, Algorithm a) : pkey_(pkey), algorithm_(a) {}
  void* pkey_;  // EVP_PKEY*
  Algorithm algorithm_;
};

}  // namespace kurier::dkim
