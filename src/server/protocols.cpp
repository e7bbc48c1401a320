#include "server/protocols.h"

#include "net/asio.h"  // first: it sets Boost.Asio's compile options

#include <stdexcept>

#include "http/server.h"
#include "imap/session.h"
#include "managesieve/session.h"
#include "net/connection.h"
#include "pop3/session.h"
#include "smtp/session.h"

namespace kurier::server {
namespace {

http::Limits web_limits(const config::Config& c) {
  http::Limits l;
  l.max_body_bytes = c.web.max_body_size;
  l.read_timeout = std::chrono::seconds(c.web.request_timeout_seconds);
  l.idle_timeout = std::chrono::seconds(c.web.keepalive_seconds);
  return l;
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
  if (name == "http" || name == "https")
    return {name == "https", kHttpLines, [name](session::Services& s) -> net::Handler {
              http::Application* app = name == "https" ? s.web_tls : s.web_plain;
              if (!app) throw std::logic_error("no web application for " + name);
              http::Limits limits = web_limits(s.config);
              return [app, limits](net::Connection& conn) { return http::serve_connection(conn, *app, limits); };
            },
            net::Plane::admin};
  throw std::invalid_argument("unknown service: " + name);
}

}  // namespace kurier::server
