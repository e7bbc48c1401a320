// Certificate checks for outbound SMTP over TLS, done on the chain the server sent after the
// handshake (the handshake itself never verifies, so a failure is reported here with a reason
// the log and the DSN can give). Pure apart from reading the trust store files once.
//  - PKIX (RFC 5280 path validation, RFC 6125 names) against the system trust store plus
//    [outbound] ca_file: for require_tls and MTA-STS (RFC 8461 4.1: the certificate must be
//    valid for the MX host name, wildcards allowed).
//  - a chain to one given anchor (DANE-TA, RFC 7672 3.1.2): dane.cpp.
#pragma once
#include <memory>
#include <string>
#include <vector>

typedef struct x509_store_st X509_STORE;

namespace kurier::queue {

// The trusted roots. Thread-safe for verification once built.
class TrustStore {
 public:
  // system: OpenSSL's default paths (/etc/ssl/certs); ca_file: an extra PEM bundle ("" = none).
  // Throws std::runtime_error naming the file when ca_file cannot be loaded.
  TrustStore(bool system, const std::string& ca_file);
  ~TrustStore();
  TrustStore(const TrustStore&) = delete;
  TrustStore& operator=(const TrustStore&) = delete;
  X509_STORE* get() const { return store_; }

 private:
  X509_STORE* store_ = nullptr;
};

struct ChainCheck {
  bool ok = false;
  std::string error;  // "certificate verify failed: unable to get local issuer certificate"
};

// chain_der: leaf first, as the server sent it. names: acceptable host names (any one matches,
// "*.example.com" certificates match one label). An empty names list skips the name check.
ChainCheck verify_pkix(const TrustStore& trust, const std::vector<std::string>& chain_der,
                       const std::vector<std::string>& names);
// The leaf must chain to anchor_der (which need not be self-signed) and carry one of names.
ChainCheck verify_to_anchor(const std::string& anchor_der, const std::vector<std::string>& chain_der,
                            const std::vector<std::string>& names);

}  // namespace kurier::queue
