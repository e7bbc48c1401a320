// The IMAP server session (RFC 3501 IMAP4rev1 and RFC 9051 IMAP4rev2 with the extensions listed
// in session.cpp): one coroutine per client connection, on the connection's strand.
// protocols.cpp starts it for the "imap" (STARTTLS) and "imaps" (implicit TLS) listeners.
#pragma once
#include "net/asio_fwd.h"
#include "session/services.h"

namespace kurier::net {
class Connection;
}

namespace kurier::imap {

// Serves one client until LOGOUT, disconnect, idle timeout, too many bad commands or server
// shutdown. Never throws for protocol or storage errors (they become NO/BAD replies).
net::awaitable<void> serve_session(session::Services& services, net::Connection& conn);

}  // namespace kurier::imap
