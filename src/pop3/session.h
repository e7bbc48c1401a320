// The POP3 server session (RFC 1939, with CAPA and the response codes of RFC 2449, AUTH of
// RFC 5034, STLS of RFC 2595 and the codes of RFC 3206): one coroutine per client connection,
// on the connection's strand. protocols.cpp starts it for the "pop3" (STLS) and "pop3s"
// (implicit TLS) listeners.
#pragma once
#include "net/asio_fwd.h"
#include "session/services.h"

namespace kurier::net {
class Connection;
}

namespace kurier::pop3 {

// Serves one client until QUIT, disconnect, idle timeout, too many bad commands or server
// shutdown. Never throws for protocol or storage errors (they become -ERR answers).
net::awaitable<void> serve_session(session::Services& services, net::Connection& conn);

}  // namespace kurier::pop3
