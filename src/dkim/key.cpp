#include "dkim/key.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <vector>

#include "common/base64.h"

namespace kurier::dkim {
namespace {

constexpr int kRsaBits = 2048;

EVP_PKEY* pkey_of(void* p) { return static_cast<EVP_PKEY*>(p); }

[[noreturn]] void fail(const std::string& what) {
  unsigned long code = ERR_get_error();
  char reason[256] = "";
  if (code) ERR_error_string_n(code, reason, sizeof reason);
  ERR_clear_error();
  throw Error("dkim: " + what + (code ? std::string(": ") + reason : std::string()));
}

struct MdCtx {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  ~MdCtx() { EVP_MD_CTX_free(ctx); }
};

std::string sha256(std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), out, &len, EVP_sha256(), nullptr) != 1) fail("sha256 failed");
  return std::string(reinterpret_cast<char*>(out), len);
}

}  // namespace

std::string_view algorithm_name(Algorithm a) {
  return a == Algorithm::rsa_sha256 ? "rsa-sha256" : "ed25519-sha256";
}

std::string_view key_type(Algorithm a) { return a == Algorithm::rsa_sha256 ? "rsa" : "ed25519"; }

PrivateKey::~PrivateKey() { EVP_PKEY_free(pkey_of(pkey_)); }

std::shared_ptr<PrivateKey> PrivateKey::generate(Algorithm a) {
  EVP_PKEY* key = a == Algorithm::rsa_sha256 ? EVP_RSA_gen(kRsaBits) : EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
  if (!key) fail(std::string("cannot generate a ") + std::string(key_type(a)) + " key");
  return std::shared_ptr<PrivateKey>(new PrivateKey(key, a));
}

std::shared_ptr<PrivateKey> PrivateKey::from_pem(std::string_view pem, Algorithm a) {
  BIO* bio = BIO_new_mem_buf(pem.data(), int(pem.size()));
  if (!bio) fail("out of memory");
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  if (!key) fail("not a PEM private key");
  int expected = a == Algorithm::rsa_sha256 ? EVP_PKEY_RSA : EVP_PKEY_ED25519;
  if (EVP_PKEY_get_base_id(key) != expected) {
    EVP_PKEY_free(key);
    throw Error(std::string("dkim: the key is not an ") + std::string(key_type(a)) + " key");
  }
  if (a == Algorithm::rsa_sha256 && EVP_PKEY_get_bits(key) < 1024) {  // RFC 8301 3.2
    EVP_PKEY_free(key);
    throw Error("dkim: RSA keys must have at least 1024 bits (RFC 8301)");
  }
  return std::shared_ptr<PrivateKey>(new PrivateKey(key, a));
}

std::string PrivateKey::to_pem() const {
  BIO* bio = BIO_new(BIO_s_mem());
  if (!bio) fail("out of memory");
  if (PEM_write_bio_PKCS8PrivateKey(bio, pkey_of(pkey_), nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    BIO_free(bio);
    fail("cannot encode the key");
  }
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  std::string pem(data, size_t(len));
  BIO_free(bio);
  return pem;
}

std::string PrivateKey::public_key_base64() const {
  if (algorithm_ == Algorithm::ed25519_sha256) {
    unsigned char raw[32];
    size_t len = sizeof raw;
    if (EVP_PKEY_get_raw_public_key(pkey_of(pkey_), raw, &len) != 1) fail("cannot read the Ed25519 public key");
    return base64_encode(std::string_view(reinterpret_cast<char*>(raw), len));
  }
  int len = i2d_PUBKEY(pkey_of(pkey_), nullptr);
  if (len <= 0) fail("cannot encode the RSA public key");
  std::string der(size_t(len), '\0');
  auto* p = reinterpret_cast<unsigned char*>(der.data());
  i2d_PUBKEY(pkey_of(pkey_), &p);
  return base64_encode(der);
}

std::string PrivateKey::sign(std::string_view data) const {
  MdCtx md;
  if (!md.ctx) fail("out of memory");
  std::string input;
  const EVP_MD* digest = EVP_sha256();
  if (algorithm_ == Algorithm::ed25519_sha256) {
    input = sha256(data);  // RFC 8463 3: Ed25519 signs the SHA-256 hash
    data = input;
    digest = nullptr;      // PureEdDSA: no pre-hash by OpenSSL
  }
  if (EVP_DigestSignInit(md.ctx, nullptr, digest, nullptr, pkey_of(pkey_)) != 1) fail("cannot start signing");
  size_t len = 0;
  auto* in = reinterpret_cast<const unsigned char*>(data.data());
  if (EVP_DigestSign(md.ctx, nullptr, &len, in, data.size()) != 1) fail("cannot size the signature");
  std::vector<unsigned char> sig(len);
  if (EVP_DigestSign(md.ctx, sig.data(), &len, in, data.size()) != 1) fail("signing failed");
  return base64_encode(std::string_view(reinterpret_cast<char*>(sig.data()), len));
}

}  // namespace kurier::dkim
