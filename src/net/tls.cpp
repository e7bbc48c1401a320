// TLS context construction (see tls.h).
#include "net/tls.h"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <stdexcept>

#include "net/asio.h"

namespace kurier::net {
namespace ssl = boost::asio::ssl;
namespace {

// Mozilla "intermediate" TLS 1.2 suites: ECDHE only, AEAD only. TLS 1.3 suites are OpenSSL's.
constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";
constexpr const char* kGroups = "X25519:P-256:P-384";

std::string openssl_reason() {
  unsigned long code = ERR_get_error();
  std::string text;
  while (code != 0) {  // the last queued error is usually the most specific; keep them all
    char buf[256];
    ERR_error_string_n(code, buf, sizeof buf);
    if (!text.empty()) text += "; ";
    text += buf;
    code = ERR_get_error();
  }
  return text.empty() ? "unknown OpenSSL error" : text;
}

void check_readable(const std::string& what, const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("TLS " + what + " file '" + path + "': " + std::strerror(errno));
}

void apply_common_policy(SSL_CTX* ctx) {
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
                               SSL_OP_NO_SESSION_RESUMPTION_ON_RENEGOTIATION);
  if (SSL_CTX_set_cipher_list(ctx, kTls12Ciphers) != 1)
    throw std::runtime_error("TLS cipher list rejected: " + openssl_reason());
  if (SSL_CTX_set1_groups_list(ctx, kGroups) != 1)
    throw std::runtime_error("TLS groups rejected: " + openssl_reason());
}

void load_certificate(SSL_CTX* ctx, const std::string& cert_path, const std::string& key_path) {
  check_readable("certificate", cert_path);
  check_readable("private key", key_path);
  ERR_clear_error();
  if (SSL_CTX_use_certificate_chain_file(ctx, cert_path.c_str()) != 1)
    throw std::runtime_error("TLS certificate file '" + cert_path + "': " + openssl_reason());
  if (SSL_CTX_use_PrivateKey_file(ctx, key_path.c_str(), SSL_FILETYPE_PEM) != 1)
    throw std::runtime_error("TLS private key file '" + key_path + "': " + openssl_reason());
  if (SSL_CTX_check_private_key(ctx) != 1)
    throw std::runtime_error("TLS private key '" + key_path + "' does not match certificate '" +
                             cert_path + "': " + openssl_reason());
}

}  // namespace

std::shared_ptr<ssl::context> make_server_tls_context(const std::string& cert_path,
                                                      const std::string& key_path) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
  SSL_CTX* native = ctx->native_handle();
  apply_common_policy(native);
  SSL_CTX_set_options(native, SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_SINGLE_ECDH_USE);
  load_certificate(native, cert_path, key_path);
  return ctx;
}

std::shared_ptr<ssl::context> make_client_tls_context(bool verify) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
  apply_common_policy(ctx->native_handle());
  if (verify) {
    ctx->set_default_verify_paths();
    ctx->set_verify_mode(ssl::verify_peer);
  } else {
    ctx->set_verify_mode(ssl::verify_none);
  }
  return ctx;
}

std::vector<std::string> peer_certificate_chain(SSL* ssl) {
  std::vector<std::string> out;
  STACK_OF(X509)* chain = ssl ? SSL_get_peer_cert_chain(ssl) : nullptr;
  for (int i = 0; chain && i < sk_X509_num(chain); ++i) {
    unsigned char* der = nullptr;
    int len = i2d_X509(sk_X509_value(chain, i), &der);
    if (len <= 0) continue;
    out.emplace_back(reinterpret_cast<char*>(der), size_t(len));
    OPENSSL_free(der);
  }
  return out;
}

}  // namespace kurier::net
