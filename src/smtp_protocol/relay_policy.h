// Who may relay through inbound SMTP (RFC 5321 3.6.2, RFC 5068 3: no open relay): an
// authenticated client, or a client address inside one of config [smtp] trusted_networks.
// Nothing is trusted by default, not even loopback (docs/INTERFACE.md "Mail-flow answers").
#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace kurier::smtp {

// True when `ip` ("192.0.2.1", "2001:db8::1") lies in one of `networks` ("10.0.0.0/8",
// "2001:db8::/32", or a single address). Unparsable entries and addresses never match.
bool ip_in_networks(std::string_view ip, const std::vector<std::string>& networks);

}  // namespace kurier::smtp
