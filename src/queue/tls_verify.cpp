// Certificate path and name checks for outbound TLS (see tls_verify.h).
#include "queue/tls_verify.h"

#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <cstdlib>
#include <filesystem>
#include <stdexcept>

namespace kurier::queue {
namespace {

struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
using X509Ptr = std::unique_ptr<X509, X509Free>;

struct StackFree {
  void operator()(STACK_OF(X509) * s) const { sk_X509_pop_free(s, X509_free); }
};
using X509Stack = std::unique_ptr<STACK_OF(X509), StackFree>;

struct CtxFree {
  void operator()(X509_STORE_CTX* c) const { X509_STORE_CTX_free(c); }
};
struct StoreFree {
  void operator()(X509_STORE* s) const { X509_STORE_free(s); }
};

X509Ptr parse(const std::string& der) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  return X509Ptr(d2i_X509(nullptr, &p, long(der.size())));
}

std::string openssl_error() {
  unsigned long code = ERR_get_error();
  char buf[256] = "unknown error";
  if (code) ERR_error_string_n(code, buf, sizeof buf);
  ERR_clear_error();
  return buf;
}

bool name_matches(X509* leaf, const std::vector<std::string>& names) {
  if (names.empty()) return true;
  for (const auto& n : names) {
    std::string name = n;
    if (!name.empty() && name.back() == '.') name.pop_back();
    // An address (a route to "192.0.2.1:25") is matched against iPAddress names (RFC 6125 1.7.2).
    if (X509_check_ip_asc(leaf, name.c_str(), 0) == 1) return true;
    if (X509_check_host(leaf, name.data(), name.size(), X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS, nullptr) == 1)
      return true;
  }
  return false;
}

std::string names_text(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : " or ") + n;
  return out;
}

// Path validation of chain[0] with chain[1..] as untrusted intermediates.
ChainCheck verify(X509_STORE* store, const std::vector<std::string>& chain_der,
                  const std::vector<std::string>& names, bool partial_chain) {
  if (chain_der.empty()) return {false, "the server sent no certificate"};
  X509Ptr leaf = parse(chain_der[0]);
  if (!leaf) return {false, "the server's certificate cannot be parsed"};
  X509Stack untrusted(sk_X509_new_null());
  for (size_t i = 1; i < chain_der.size(); ++i)
    if (X509Ptr c = parse(chain_der[i])) sk_X509_push(untrusted.get(), c.release());
  std::unique_ptr<X509_STORE_CTX, CtxFree> ctx(X509_STORE_CTX_new());
  if (!ctx || X509_STORE_CTX_init(ctx.get(), store, leaf.get(), untrusted.get()) != 1)
    return {false, "certificate check: " + openssl_error()};
  X509_STORE_CTX_set_default(ctx.get(), "ssl_server");  // purpose: TLS server
  if (partial_chain) X509_STORE_CTX_set_flags(ctx.get(), X509_V_FLAG_PARTIAL_CHAIN);
  if (X509_verify_cert(ctx.get()) != 1) {
    int err = X509_STORE_CTX_get_error(ctx.get());
    return {false, std::string("certificate verify failed: ") + X509_verify_cert_error_string(err)};
  }
  if (!name_matches(leaf.get(), names))
    return {false, "certificate name mismatch: not valid for " + names_text(names)};
  return {true, ""};
}

// The system's CA bundle, read whole now: a hashed-directory lookup would read files while a
// certificate is checked, on an I/O thread. SSL_CERT_FILE overrides it, as for OpenSSL itself.
bool load_system_roots(X509_STORE* store) {
  const char* env = std::getenv(X509_get_default_cert_file_env());
  std::string file = env && *env ? env : X509_get_default_cert_file();
  if (std::filesystem::exists(file)) return X509_STORE_load_file(store, file.c_str()) == 1;
  return X509_STORE_set_default_paths(store) == 1;  // no bundle: the directory, looked up lazily
}

}  // namespace

TrustStore::TrustStore(bool system, const std::string& ca_file) : store_(X509_STORE_new()) {
  if (!store_) throw std::runtime_error("TLS trust store: " + openssl_error());
  if (system && !load_system_roots(store_)) {
    X509_STORE_free(store_);
    throw std::runtime_error("TLS trust store: system roots: " + openssl_error());
  }
  if (!ca_file.empty() && X509_STORE_load_file(store_, ca_file.c_str()) != 1) {
    std::string why = openssl_error();
    X509_STORE_free(store_);
    throw std::runtime_error("[outbound] ca_file '" + ca_file + "': " + why);
  }
}

TrustStore::~TrustStore() { X509_STORE_free(store_); }

ChainCheck verify_pkix(const TrustStore& trust, const std::vector<std::string>& chain_der,
                       const std::vector<std::string>& names) {
  return verify(trust.get(), chain_der, names, false);
}

ChainCheck verify_to_anchor(const std::string& anchor_der, const std::vector<std::string>& chain_der,
                            const std::vector<std::string>& names) {
  X509Ptr anchor = parse(anchor_der);
  if (!anchor) return {false, "trust anchor cannot be parsed"};
  std::unique_ptr<X509_STORE, StoreFree> store(X509_STORE_new());
  if (!store || X509_STORE_add_cert(store.get(), anchor.get()) != 1) return {false, "trust anchor: " + openssl_error()};
  // RFC 7672 3.1.2: the anchor may be an intermediate: it is trusted because DNSSEC said so.
  return verify(store.get(), chain_der, names, true);
}

}  // namespace kurier::queue
