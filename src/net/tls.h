// TLS contexts for kurier's listeners (STARTTLS per RFC 3207 / RFC 2595 and implicit TLS per
// RFC 8314) and for the outbound SMTP client. Policy: TLS 1.2 minimum (RFC 8996 deprecates 1.0
// and 1.1), no compression (CRIME), no renegotiation, ECDHE key exchange with AEAD ciphers,
// the server's cipher preference.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "net/asio_fwd.h"

typedef struct ssl_st SSL;  // OpenSSL's connection type, without its headers

namespace kurier::net {

// Loads a PEM certificate chain (leaf first) and its PEM private key. Throws std::runtime_error
// naming the file and the OpenSSL reason when a file is missing, unreadable or does not match.
std::shared_ptr<boost::asio::ssl::context> make_server_tls_context(const std::string& cert_path,
                                                                   const std::string& key_path);

// A client context for outbound SMTP. With `verify`, peers must present a chain that verifies
// against the system trust store (the host name is checked per connection, see
// Connection::start_tls_client).
std::shared_ptr<boost::asio::ssl::context> make_client_tls_context(bool verify);

// The certificates a TLS peer sent, DER-encoded, leaf first (on a client connection OpenSSL's
// chain includes the leaf). Empty before a handshake.
std::vector<std::string> peer_certificate_chain(SSL* ssl);

}  // namespace kurier::net
