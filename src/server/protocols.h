// Which protocol session serves which listener, and the lines each protocol uses to refuse a
// connection over the limits or to say goodbye at shutdown.
#pragma once
#include <functional>
#include <string>

#include "net/listener.h"
#include "session/services.h"

namespace kurier::server {

struct Protocol {
  bool implicit_tls = false;
  net::ServiceLines lines;
  std::function<net::Handler(session::Services&)> make_handler;
  net::Plane plane = net::Plane::mail;  // the web admin runs on the admin plane (net/runtime.h)
};

// name: a listener name of config::standard_listener_names(). Throws for an unknown name.
Protocol protocol_for(const std::string& name);

}  // namespace kurier::server
