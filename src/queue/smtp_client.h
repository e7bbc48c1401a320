// kurier's SMTP client for one connection to one remote host (RFC 5321), used by the queue:
// greeting, EHLO (HELO when EHLO is refused), STARTTLS (RFC 3207; opportunistic, or required
// with the server's certificate checked by the queue's TLS policy right after the handshake,
// before anything else is sent, see queue/tls_policy.h), then one or more
// transactions of at most max_recipients_per_transaction recipients: MAIL FROM with SIZE
// (RFC 1870), BODY=8BITMIME (RFC 6152), SMTPUTF8 (RFC 6531), RET/ENVID (RFC 3461) as the server
// offers them; RCPT TO with NOTIFY/ORCPT; DATA with the body dot-stuffed while it streams.
// With PIPELINING (RFC 2920) MAIL, every RCPT and DATA go out in one write.
//
// The outcome is per recipient. A recipient stays unsettled (nullopt) when this host gave no
// answer for it — refused greeting, EHLO failure, TLS failure, lost connection — so the queue
// tries the next MX address for exactly those.
#pragma once
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "net/asio_fwd.h"
#include "queue/envelope.h"
#include "queue/route.h"
#include "queue/tls_policy.h"

namespace kurier::net {
class Connection;
}

namespace kurier::queue {

// Streams the message: next() returns the following piece, an empty view at the end. Throws
// on a read error.
class BodyReader {
 public:
  virtual ~BodyReader() = default;
  virtual net::awaitable<std::string_view> next() = 0;
};
// A reader from the start of the message (a connection may send the body several times).
using BodyOpener = std::function<std::unique_ptr<BodyReader>()>;

struct ClientSettings {
  std::string helo_name = "localhost";
  bool use_starttls = true;   // opportunistic: use STARTTLS when offered
  bool require_tls = false;   // a host without (working) STARTTLS is not used
  // Checks the certificates the server sent (leaf first, DER) after the handshake; unset =
  // opportunistic, nothing checked. With require_verified a failed check ends the session
  // (QUIT) and leaves the recipients unsettled.
  std::function<PeerCheck(const std::vector<std::string>& chain)> check_peer;
  bool require_verified = false;
  std::chrono::milliseconds timeout{std::chrono::minutes(5)};  // RFC 5321 4.5.3.2 (per read/write)
  size_t max_recipients_per_transaction = 100;  // RFC 5321 4.5.3.1.8 minimum a server must take
};

struct ClientMessage {
  std::string sender;  // "" for <>
  uint64_t size = 0;
  bool eight_bit = false;
  bool smtputf8 = false;
  Ret ret = Ret::unspecified;
  std::string envid;
};

struct ClientRecipient {
  std::string address;
  unsigned notify = 0;
  std::string orcpt;
};

struct RecipientResult {
  enum class Kind { delivered, temporary, permanent };
  Kind kind = Kind::temporary;
  std::string status;      // enhanced status, "5.1.1"
  std::string diagnostic;  // "smtp; 550 5.1.1 no such user"
  std::string detail;      // for logs: "host mx[ip] said: ... (in reply to RCPT TO command)"
  bool remote_dsn = false; // the server took our NOTIFY (it offered DSN)
};

struct SessionOutcome {
  std::vector<std::optional<RecipientResult>> results;  // one per recipient given
  std::string host_error;  // why recipients stayed unsettled
  bool tls_failed = false; // STARTTLS or its handshake failed (retry without TLS may work)
  std::string tls = "none";  // "none", "unverified", "verified", "failed" (check failed)
  std::string tls_detail;    // what the certificate check found
};

// Runs the whole conversation on an open connection and ends with QUIT.
net::awaitable<SessionOutcome> run_client_session(net::Connection& conn, const ClientSettings& settings,
                                                   const Target& target, const ClientMessage& message,
                                                   const std::vector<ClientRecipient>& recipients,
                                                   const BodyOpener& body);

// What the server's EHLO reply offered (RFC 5321 4.1.1.1); exposed for tests.
struct Extensions {
  bool esmtp = false;
  bool starttls = false;
  bool pipelining = false;
  bool eight_bit_mime = false;
  bool dsn = false;
  bool smtputf8 = false;
  bool size = false;
  uint64_t size_limit = 0;  // 0 = none announced
};
Extensions parse_ehlo(const std::vector<std::string>& lines);

}  // namespace kurier::queue
