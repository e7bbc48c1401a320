// The Server: listens on every configured service (SMTP, LMTP, IMAP, POP3, ManageSieve, HTTP) in
// one process, starts one coroutine per accepted connection on its own strand, enforces
// connection limits and runs the graceful shutdown. Implicit-TLS services (RFC 8314) complete
// the handshake before the protocol handler runs.
#pragma once
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "net/asio_fwd.h"
#include "net/connection.h"
#include "net/runtime.h"

namespace kurier::net {

enum class TlsMode { plain, implicit };

// A protocol session: runs until the client is done. The Connection is closed after it returns.
using Handler = std::function<awaitable<void>(Connection&)>;

// Service-specific lines, written with CRLF appended.
struct ServiceLines {
  std::string too_many;  // refusal over a limit: "421 4.7.0 Too many connections", "* BYE ..."
  std::string farewell;  // on shutdown to idle clients: "421 4.3.2 Shutting down", "* BYE ..."
};

struct ServerLimits {
  std::size_t max_connections = 4000;
  std::size_t max_per_ip = 50;  // unix-socket connections are not counted per IP
  std::chrono::milliseconds tls_handshake_timeout{30000};
};

class Server {
 public:
  // Listeners run on runtime.context(); accepted connections are spread over
  // runtime.next_context(), or go to runtime.admin_context() for an admin-plane service.
  explicit Server(Runtime& runtime, ServerLimits limits = {});
  ~Server();  // stops accepting; running sessions are not awaited
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // The TLS context for implicit TLS and STARTTLS of connections accepted from now on (a SIGHUP
  // reload may swap it). Thread-safe.
  void set_tls_context(std::shared_ptr<boost::asio::ssl::context> context);

  // Binds and starts accepting. bind_address: "0.0.0.0", "::", "[::1]", "*" (any IPv4). IPv6
  // sockets are v6-only so "0.0.0.0" and "::" can both be listed. Throws std::runtime_error
  // naming the service, address:port and the system error if binding fails, or for implicit TLS
  // without a TLS context. Returns the bound port (useful with port 0). plane: whose threads
  // serve the connections (see net/runtime.h).
  std::uint16_t add_tcp(std::string name, std::string bind_address, std::uint16_t port, TlsMode tls,
                        Handler handler, ServiceLines lines, Plane plane = Plane::mail);
  // A unix-domain stream socket (LMTP for a local MTA). A stale socket file is replaced; any
  // other existing file is an error.
  void add_unix(std::string name, std::string path, Handler handler, ServiceLines lines,
                unsigned permissions = 0660);

  void stop_accepting();
  // Stops accepting, asks every connection to finish (idle ones get their farewell line at once,
  // busy ones finish their command), waits up to `grace`, then closes what is left.
  awaitable<void> shutdown(std::chrono::milliseconds grace);
  std::size_t connection_count() const;

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace kurier::net
