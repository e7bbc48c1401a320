// The SASL exchange every protocol runs for its AUTH/AUTHENTICATE command (RFC 4422): it drives
// an auth::Mechanism, looks credentials up through the Authenticator (off the I/O threads),
// throttles failures per client IP, and leaves only the framing to the protocol:
//   IMAP "+ <b64>" / POP3 "+ <b64>" / SMTP "334 <b64>" / ManageSieve "{n}\r\n<b64>" challenges,
//   a base64 line back, "*" to cancel.
#pragma once
#include <functional>
#include <optional>
#include <string>

#include "directory/directory.h"
#include "net/asio_fwd.h"
#include "session/services.h"

namespace kurier::net {
class Connection;
}

namespace kurier::session {

struct SaslFraming {
  // Sends one challenge, already base64-encoded (may be empty). False if the connection failed.
  std::function<net::awaitable<bool>(const std::string& challenge_b64)> send_challenge;
  // Reads the client's next line (base64, or "*"); nullopt when the connection ended.
  std::function<net::awaitable<std::optional<std::string>>()> read_response;
  // SMTP (RFC 4954 §4) cannot carry data in its success reply: SCRAM's server-final message is
  // then sent as one more challenge and an empty response expected. IMAP can (RFC 9051 §6.2.2).
  bool final_data_in_success = true;
  // ManageSieve: an admin may log in with its own name and password and a user's address as
  // the authorization identity (within its domains). Elsewhere an authzid other than the
  // authcid fails.
  bool admins_may_act_for_users = false;
};

struct SaslOutcome {
  enum Status {
    Ok,
    Failed,         // wrong credentials, unknown user, disabled account or service
    Cancelled,      // the client sent "*"
    BadMechanism,   // unknown or not offered here (e.g. PLAIN without TLS)
    Malformed,      // the client sent invalid base64
    Unavailable,    // the directory could not be read: a temporary failure
    Disconnected,
  };
  Status status = Failed;
  directory::Account account;             // when Ok
  std::optional<std::string> final_data;  // base64 server-final data for the success reply
  std::string authcid;                    // for logs
};

// Plaintext passwords (PLAIN, LOGIN, IMAP LOGIN, POP3 USER/PASS) are allowed only with TLS,
// on the local socket, or on loopback when the configuration permits it.
bool plaintext_auth_allowed(const Services& services, const net::Connection& conn);

// initial_response: the protocol's initial-response argument, still base64 ("=" = empty).
net::awaitable<SaslOutcome> run_sasl(Services& services, net::Connection& conn, const std::string& mechanism,
                                     std::optional<std::string> initial_response, directory::Service service,
                                     SaslFraming& framing);

// A plain username/password login (IMAP LOGIN, POP3 USER/PASS) through the same checks and throttle.
net::awaitable<SaslOutcome> check_login(Services& services, net::Connection& conn, const std::string& user,
                                        const std::string& password, directory::Service service);

// Mechanisms to announce on this connection (CAPABILITY, EHLO).
std::vector<std::string> offered_mechanisms(const Services& services, const net::Connection& conn);

}  // namespace kurier::session
