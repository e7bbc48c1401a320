// What a protocol session may use: the services below it (never SQL or files directly).
// One Services object lives for the whole `kurier serve`; sessions hold a reference.
#pragma once
#include "config/config.h"

namespace kurier::net {
class Runtime;
}
namespace kurier::directory {
class Directory;
}
namespace kurier::accounts {
class Authenticator;
class SieveScripts;
}
namespace kurier::store {
class MailStore;
class BlobStore;
class ChangeHub;
}  // namespace kurier::store
namespace kurier::delivery {
class DeliveryService;
}
namespace kurier::srs {
class Codec;
}
namespace kurier::http {
class Application;
}

namespace kurier::session {

struct Services {
  const config::Config& config;
  net::Runtime& runtime;
  directory::Directory& directory;
  accounts::Authenticator& authenticator;
  store::MailStore* mail_store = nullptr;
  store::BlobStore* blob_store = nullptr;
  store::ChangeHub* change_hub = nullptr;
  delivery::DeliveryService* delivery = nullptr;
  const srs::Codec* srs = nullptr;  // [srs] enabled: reverses bounces to forwarded mail at RCPT
  accounts::SieveScripts* sieve_scripts = nullptr;  // users' Sieve scripts (ManageSieve)
  http::Application* web_plain = nullptr;  // the web admin and API on the http port
  http::Application* web_tls = nullptr;    // and on https
};

}  // namespace kurier::session
