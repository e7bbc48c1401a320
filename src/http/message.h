// The HTTP request and response as kurier's web code sees them: plain values, no Beast types,
// so routers, handlers and their tests never include Boost. http/server.cpp converts from and to
// Beast's messages (Beast parses and serializes HTTP/1.1, RFC 9112; nothing here parses bytes).
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kurier::http {

// Header field names compare case-insensitively (RFC 9110 5.1).
struct CaseInsensitiveLess {
  bool operator()(std::string_view a, std::string_view b) const;
  using is_transparent = void;
};
using Headers = std::multimap<std::string, std::string, CaseInsensitiveLess>;

struct Request {
  std::string method;  // "GET", "POST", ... as sent (methods are case-sensitive, RFC 9110 9.1)
  std::string target;  // "/api/v1/accounts?limit=50"
  std::string path;    // percent-decoded path without the query: "/api/v1/accounts"
  std::vector<std::pair<std::string, std::string>> query;  // decoded, in order
  Headers headers;
  std::string body;
  // Of the connection, not of the message.
  std::string remote_ip;
  bool tls = false;
  bool loopback = false;

  // The first value of a header, or "" when absent.
  std::string header(std::string_view name) const;
  // The first value of a query parameter.
  std::optional<std::string> param(std::string_view name) const;
};

struct Response {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;  // besides Content-Type and -Length
  std::string content_type;  // "" means no body type (204, 304)
  std::string body;
  bool body_is_gzip = false;  // body already carries Content-Encoding: gzip

  void set_header(std::string name, std::string value);
  std::string header(std::string_view name) const;
};

// Methods that change state (RFC 9110 9.2.1 "safe" methods are GET, HEAD, OPTIONS, TRACE).
bool is_safe_method(std::string_view method);

}  // namespace kurier::http
