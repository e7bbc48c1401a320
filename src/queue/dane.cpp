// TLSA matching for SMTP (see dane.h; RFC 6698 2.1, RFC 7672 3.1).
#include "queue/dane.h"

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <memory>

#include "queue/tls_verify.h"

namespace kurier::queue {
namespace {

constexpr uint8_t kDaneTa = 2, kDaneEe = 3;

struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};

std::string digest(const std::string& data, const EVP_MD* md) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), out, &len, md, nullptr) != 1) return "";
  return std::string(reinterpret_cast<char*>(out), len);
}

// The selected content (RFC 6698 2.1.2): the whole certificate or its SubjectPublicKeyInfo.
std::string selected(const std::string& cert_der, uint8_t selector) {
  if (selector == 0) return cert_der;
  const auto* p = reinterpret_cast<const unsigned char*>(cert_der.data());
  std::unique_ptr<X509, X509Free> cert(d2i_X509(nullptr, &p, long(cert_der.size())));
  if (!cert) return "";
  unsigned char* spki = nullptr;
  int len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert.get()), &spki);
  if (len <= 0) return "";
  std::string out(reinterpret_cast<char*>(spki), size_t(len));
  OPENSSL_free(spki);
  return out;
}

const char* usage_name(uint8_t u) { return u == kDaneTa ? "DANE-TA(2)" : "DANE-EE(3)"; }
const char* selector_name(uint8_t s) { return s == 0 ? "Cert" : "SPKI"; }
const char* matching_name(uint8_t m) { return m == 0 ? "Full" : m == 1 ? "SHA-256" : "SHA-512"; }

std::string describe(const TlsaRecord& r) {
  return std::string(usage_name(r.usage)) + " " + selector_name(r.selector) + " " + matching_name(r.matching);
}

bool matches(const TlsaRecord& r, const std::string& cert_der) {
  std::string assoc = tlsa_association(cert_der, r.selector, r.matching);
  return !assoc.empty() && assoc == r.data;
}

}  // namespace

bool tlsa_usable(const TlsaRecord& r) {
  return (r.usage == kDaneTa || r.usage == kDaneEe) && r.selector <= 1 && r.matching <= 2 && !r.data.empty();
}

std::vector<TlsaRecord> usable_tlsa(const std::vector<TlsaRecord>& records) {
  std::vector<TlsaRecord> out;
  for (const auto& r : records)
    if (tlsa_usable(r)) out.push_back(r);
  return out;
}

std::string tlsa_association(const std::string& cert_der, uint8_t selector, uint8_t matching) {
  std::string content = selected(cert_der, selector);
  if (content.empty()) return "";
  switch (matching) {
    case 0: return content;
    case 1: return digest(content, EVP_sha256());
    case 2: return digest(content, EVP_sha512());
    default: return "";
  }
}

DaneVerdict match_tlsa(const std::vector<TlsaRecord>& records, const std::vector<std::string>& chain_der,
                       const std::vector<std::string>& names) {
  if (chain_der.empty()) return {false, "the server sent no certificate"};
  std::string why = "no TLSA record matched the server's certificate chain";
  for (const auto& r : records) {
    if (!tlsa_usable(r)) continue;
    if (r.usage == kDaneEe) {
      // RFC 7672 3.1.1: only the leaf; no name or validity checks.
      if (matches(r, chain_der[0])) return {true, describe(r) + " matched the server certificate"};
      continue;
    }
    // DANE-TA: any certificate the server sent may be the anchor (RFC 7672 3.1.2 requires the
    // server to include it); the leaf must chain to it and carry a reference name.
    for (size_t i = 0; i < chain_der.size(); ++i) {
      if (!matches(r, chain_der[i])) continue;
      ChainCheck check = verify_to_anchor(chain_der[i], chain_der, names);
      if (check.ok) return {true, describe(r) + " matched certificate " + std::to_string(i) + " of the chain"};
      why = describe(r) + " matched certificate " + std::to_string(i) + ", but: " + check.error;
    }
  }
  return {false, why};
}

}  // namespace kurier::queue
