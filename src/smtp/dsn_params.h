// The RFC 3461 parameters of MAIL (RET, ENVID) and RCPT (NOTIFY, ORCPT) as the session parsed
// them (command.h, decoded), turned into what delivery keeps for later notices and relays
// (delivery/dsn_params.h): ENVID and ORCPT back in wire form (xtext; RFC 6533
// utf-8-addr-xtext for an ORCPT of type "utf-8"), NOTIFY as bits.
#pragma once
#include <string>

#include "delivery/dsn_params.h"
#include "smtp_protocol/command.h"

namespace kurier::smtp {

delivery::MessageDsn message_dsn(const MailParams& mail);
delivery::RecipientDsn recipient_dsn(const RcptParams& rcpt);

// ORCPT=addr-type ";" xtext (RFC 3461 4.2), the inverse of the parser's decoding.
std::string orcpt_value(const OriginalRecipient& orcpt);
// RFC 6533 3: utf-8-addr-xtext; non-ASCII code points, "+", "=", "\" and controls as \x{HEX}.
std::string encode_utf8_addr_xtext(std::string_view utf8);

}  // namespace kurier::smtp
