// The HTTP/1.1 connection loop of the web admin and API, on the shared net::Connection (TLS,
// timeouts, graceful shutdown come from there). Beast parses each request and serializes each
// response; this loop bounds the header and body sizes, applies the read and keep-alive idle
// timeouts, answers "Expect: 100-continue" (RFC 9110 10.1.1), adds the security headers to
// every response and gzips compressible bodies when the client accepts it.
#pragma once
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

#include "http/message.h"
#include "net/asio_fwd.h"

namespace kurier::net {
class Connection;
}

namespace kurier::http {

struct Limits {
  std::size_t max_header_bytes = 16 * 1024;
  std::size_t max_body_bytes = 1024 * 1024;
  std::chrono::milliseconds read_timeout{30000};   // to receive a whole request once it began
  std::chrono::milliseconds idle_timeout{60000};   // keep-alive: between requests
  unsigned max_requests_per_connection = 1000;
};

// What answers requests. handle() may suspend (offload blocking work); it never throws for a
// request's fault (exceptions become 500 and are logged).
class Application {
 public:
  virtual ~Application() = default;
  virtual net::awaitable<Response> handle(Request& request) = 0;
};

// Serves requests on conn until the client closes, a timeout, a protocol error or shutdown.
net::awaitable<void> serve_connection(net::Connection& conn, Application& app, Limits limits);

// Adds what every answer carries: CSP without inline script, frame-ancestors 'none', nosniff,
// Referrer-Policy, and HSTS over TLS. Exposed for tests.
void add_security_headers(Response& r, bool tls);
// Compresses the body when the request accepts gzip and the type compresses well.
void maybe_gzip(Response& r, const Request& req);

}  // namespace kurier::http
