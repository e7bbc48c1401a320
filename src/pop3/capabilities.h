// The CAPA answer (RFC 2449 5 and 6): one list, each capability with the RFC behind it, and
// what decides whether it is announced on this connection now. Pure: the session says what
// the connection allows.
#pragma once
#include <string>
#include <vector>

namespace kurier::pop3 {

struct CapaContext {
  bool authenticated = false;      // TRANSACTION state: login capabilities are not listed
  bool offer_stls = false;         // not TLS yet, and a certificate is configured
  bool plaintext_allowed = false;  // session::plaintext_auth_allowed: USER/PASS may be used
  std::vector<std::string> mechanisms;  // SASL mechanisms offered on this connection
};

// The capability lines, without the "+OK" line and the final ".".
std::vector<std::string> capability_lines(const CapaContext& context);

}  // namespace kurier::pop3
