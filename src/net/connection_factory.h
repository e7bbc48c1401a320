// Builds Connections from sockets. Needs full Asio; used by the Server, tests and the outbound
// SMTP client (which connects a tcp::socket itself, then wraps it here).
#pragma once
#include <memory>
#include <string>

#include "net/asio.h"
#include "net/connection.h"

namespace kurier::net {

// The socket's executor must be the strand the connection's coroutine runs on. `tls` is the
// context used by start_tls() (server) or start_tls_client() (client); it may be null.
std::unique_ptr<Connection> make_tcp_connection(boost::asio::ip::tcp::socket socket,
                                                std::shared_ptr<boost::asio::ssl::context> tls);
// A unix-domain connection (the LMTP socket): is_local() is true, TLS is never offered.
std::unique_ptr<Connection> make_unix_connection(boost::asio::local::stream_protocol::socket socket,
                                                 std::string socket_path);

}  // namespace kurier::net
