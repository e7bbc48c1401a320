// The SMTP-family server session: ONE engine for LMTP (RFC 2033), inbound SMTP (RFC 5321) and
// message submission (RFC 6409), switched by a SessionMode. protocols.cpp starts it per listener.
//
// Served: LMTP on the "lmtp" TCP listener and the unix socket (config lmtp_socket), inbound SMTP
// on "smtp", submission on "submission" (STARTTLS) and "submissions" (implicit TLS).
#pragma once
#include <string_view>

#include "net/asio_fwd.h"
#include "session/services.h"

namespace kurier::net {
class Connection;
}

namespace kurier::smtp {

struct SessionMode {
  std::string_view name = "lmtp";  // for logs: "lmtp", "smtp", "submission", "submissions"
  // RFC 2033: the greeting verb is LHLO (HELO/EHLO are refused), and after DATA (or BDAT LAST)
  // there is one reply per accepted recipient instead of one for the message.
  bool lmtp = true;
  // RFC 6409 4.3 / RFC 4954: MAIL needs a successful AUTH first (submission ports).
  bool require_auth = false;
  // RFC 4954: AUTH is offered (after TLS, or where session::plaintext_auth_allowed says).
  bool offer_auth = false;
  // RFC 3207: STARTTLS is offered on a plaintext connection.
  bool offer_starttls = false;
  // RFC 6409: the submission policy — sender must belong to the authenticated account, From:
  // checked and a login name rewritten, Date and Message-ID added; any recipient (remote ones
  // relayed).
  bool submission = false;
};

SessionMode lmtp_mode();
SessionMode smtp_mode();         // inbound MX, port 25 (RFC 5321): STARTTLS, no AUTH, no relaying
SessionMode submission_mode();   // port 587 (RFC 6409): STARTTLS, AUTH required
SessionMode submissions_mode();  // port 465 (RFC 8314): implicit TLS, AUTH required

// Serves one client until QUIT, disconnect, idle timeout, too many bad commands or server
// shutdown. Never throws for protocol or storage errors: they become replies.
net::awaitable<void> serve_session(session::Services& services, net::Connection& conn, SessionMode mode);
net::awaitable<void> serve_lmtp(session::Services& services, net::Connection& conn);

}  // namespace kurier::smtp
