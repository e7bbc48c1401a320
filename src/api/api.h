// The web admin's HTTP application: the JSON API /api/v1/ (every power of the CLI, through the
// same accounts::AdminService), the login session, /metrics, the embedded web UI assets and the
// http -> https redirect. Handlers are synchronous and run on the blocking pool (password checks
// on the login pool); roles are checked for every request (api/caller.cpp).
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "http/server.h"

namespace kurier::config {
struct Config;
}
namespace kurier::net {
class Runtime;
}
namespace kurier::directory {
class Directory;
}
namespace kurier::accounts {
class AdminService;
class Authenticator;
class SieveScripts;
}  // namespace kurier::accounts
namespace kurier::store {
class MailStore;
}
namespace kurier::queue {
class Spool;
}
namespace kurier::dkim {
class KeyStore;
}

namespace kurier::api {

// Everything the API uses; owned by `kurier serve`, living as long as the listeners.
struct Services {
  const config::Config& config;
  net::Runtime& runtime;
  directory::Directory& directory;
  accounts::AdminService& admin;
  accounts::Authenticator& authenticator;
  accounts::SieveScripts* sieve_scripts = nullptr;
  store::MailStore* mail_store = nullptr;
  queue::Spool* spool = nullptr;
  dkim::KeyStore* dkim = nullptr;
};

// `plain_listener`: this application serves the http (not https) port, where everything but
// loopback clients and /metrics is redirected to https.
std::unique_ptr<http::Application> make_application(Services services, bool plain_listener);

// Every API route as (method, path pattern), as the router has them (for the OpenAPI check).
std::vector<std::pair<std::string, std::string>> route_list();

}  // namespace kurier::api
