#include "server/protocols.h"

#include "net/asio.h"  // first: it sets Boost.Asio's compile options

#include <stdexcept>

#include "imap/session.h"
#include "managesieve/session.h"
#include "net/connection.h"
#include "pop3/session.h"
#include "smtp/session.h"

namespace kurier::server {
namespace {

// A protocol whose issue has not landed yet answers with a clear greeting and closes, so a
// client (or monitoring) sees what is going on instead of a silent socket.
net::Handler not_implemented(session::Services& s, std::string line) {
  return [&s, line](net::Connection& conn) -> net::awaitable<void> {
    std::string greeting = line;
    auto pos = greeting.find("HOST");
    if (pos != std::string::npos) greeting.replace(pos, 4, s.config.hostname);
    co_await conn.write(greeting + "\r\n");
  };
}

Protocol placeholder(bool implicit_tls, net::ServiceLines lines, std::string greeting) {
  return {implicit_tls, lines, [greeting](session::Services& s) { return not_implemented(s, greeting); }};
}

const net::ServiceLines kSmtpLines{"421 4.7.0 Too many connections, try again later", "421 4.3.2 Server shutting down"};
const net::ServiceLines kImapLines{"* BYE Too many connections, try again later", "* BYE Server shutting down"};
const net::ServiceLines kPop3Lines{"-ERR [SYS/TEMP] Too many connections, try again later", "-ERR Server shutting down"};
const net::ServiceLines kSieveLines{"BYE \"Too many connections, try again later\"", "BYE \"Server shutting down\""};
const net::ServiceLines kHttpLines{"", ""};

}  // namespace

Protocol protocol_for(const std::string& name) {
  if (name == "smtp" || name == "submission" || name == "submissions")
    return {name == "submissions", kSmtpLines, [name](session::Services& s) -> net::Handler {
              smtp::SessionMode mode = name == "smtp"         ? smtp::smtp_mode()
                                       : name == "submission" ? smtp::submission_mode()
                                                              : smtp::submissions_mode();
              return [&s, mode](net::Connection& conn) { return smtp::serve_session(s, conn, mode); };
            }};
  if (name == "lmtp")
    return {false, kSmtpLines, [](session::Services& s) -> net::Handler {
              return [&s](net::Connection& conn) { return smtp::serve_lmtp(s, conn); };
            }};
  if (name == "imap" || name == "imaps")
    return {name == "imaps", kImapLines, [](session::Services& s) -> net::Handler {
              return [&s](net::Connection& conn) { return imap::serve_session(s, conn); };
            }};
  if (name == "managesieve")
    return {false, kSieveLines, [](session::Services& s) -> net::Handler {
              return [&s](net::Connection& conn) { return managesieve::serve_session(s, conn); };
            }};
  if (name == "pop3" || name == "pop3s")
    return {name == "pop3s", kPop3Lines, [](session::Services& s) -> net::Handler {
              return [&s](net::Connection& conn) { return pop3::serve_session(s, conn); };
            }};
  const std::string http503 =
      "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nConnection: close\r\nContent-Length: 46\r\n\r\n"
      "kurier: the web admin is not implemented yet";
  if (name == "http") return placeholder(false, kHttpLines, http503);
  if (name == "https") return placeholder(true, kHttpLines, http503);
  throw std::invalid_argument("unknown service: " + name);
}

}  // namespace kurier::server
