// A ManageSieve session (RFC 5804) on a connection: users list, upload, check, activate, rename
// and delete their Sieve scripts. Scripts and their rules are accounts::SieveScripts'.
#pragma once
#include "net/asio_fwd.h"
#include "session/services.h"

namespace kurier::net {
class Connection;
}

namespace kurier::managesieve {

net::awaitable<void> serve_session(session::Services& services, net::Connection& conn);

}  // namespace kurier::managesieve
