// Certificates made for tests with OpenSSL: a CA, leaves it signs with chosen names, and a
// self-signed leaf. DER out (as Connection::peer_certificate_chain gives them) and PEM files.
#pragma once
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace kurier::queue::testing {

struct Key {
  std::shared_ptr<EVP_PKEY> pkey;
  Key() : pkey(EVP_EC_gen("P-256"), EVP_PKEY_free) {
    if (!pkey) throw std::runtime_error("key generation failed");
  }
};

struct Cert {
  Key key;
  std::shared_ptr<X509> x509;
  std::string der() const {
    unsigned char* out = nullptr;
    int len = i2d_X509(x509.get(), &out);
    std::string s(reinterpret_cast<char*>(out), size_t(len));
    OPENSSL_free(out);
    return s;
  }
  void write_pem(const std::filesystem::path& path) const {
    FILE* f = fopen(path.c_str(), "w");
    PEM_write_X509(f, x509.get());
    fclose(f);
  }
};

inline void add_ext(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  if (!ext) throw std::runtime_error("bad extension " + value);
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

// issuer == nullptr: self-signed. names: DNS subjectAltNames (none for a CA).
inline Cert make_cert(const std::string& cn, const Cert* issuer, bool ca, const std::vector<std::string>& names,
                      long valid_from = -3600, long valid_for = 86400) {
  Cert c;
  c.x509.reset(X509_new(), X509_free);
  X509* x = c.x509.get();
  X509_set_version(x, 2);
  static long serial = 1;
  ASN1_INTEGER_set(X509_get_serialNumber(x), ++serial);
  X509_gmtime_adj(X509_getm_notBefore(x), valid_from);
  X509_gmtime_adj(X509_getm_notAfter(x), valid_for);
  X509_set_pubkey(x, c.key.pkey.get());
  X509_NAME* name = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer->x509.get()) : name);
  X509* signer = issuer ? issuer->x509.get() : x;
  add_ext(x, signer, NID_basic_constraints, ca ? "critical,CA:TRUE" : "CA:FALSE");
  add_ext(x, signer, NID_key_usage, ca ? "critical,keyCertSign,cRLSign" : "critical,digitalSignature");
  add_ext(x, signer, NID_subject_key_identifier, "hash");
  if (issuer) add_ext(x, signer, NID_authority_key_identifier, "keyid");
  if (!ca) add_ext(x, signer, NID_ext_key_usage, "serverAuth");
  std::string san;
  for (const auto& n : names) san += (san.empty() ? "" : ",") + std::string("DNS:") + n;
  if (!san.empty()) add_ext(x, signer, NID_subject_alt_name, san);
  EVP_PKEY* sign_key = issuer ? issuer->key.pkey.get() : c.key.pkey.get();
  if (X509_sign(x, sign_key, EVP_sha256()) == 0) throw std::runtime_error("signing failed");
  return c;
}

}  // namespace kurier::queue::testing
