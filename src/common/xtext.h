// The xtext codec of RFC 3461 4, the one place ENVID and ORCPT values are encoded and decoded:
// the SMTP parser (smtp/), delivery's DSN parameters, the queue's DSNs and the CLI use it.
#pragma once
#include <optional>
#include <string>
#include <string_view>

namespace kurier {

// RFC 3461 4: xtext = *( xchar / hexchar ); xchar is "!".."~" except "+" and "=",
// hexchar is "+" followed by two upper-case hex digits (lower case is tolerated on input).
std::optional<std::string> decode_xtext(std::string_view s);
std::string encode_xtext(std::string_view s);

}  // namespace kurier
