// IMAP BODY and BODYSTRUCTURE (RFC 3501 7.4.2, RFC 9051 7.5.2) from a parsed Part.
// Output matches Dovecot's: lowercase type names, "7bit" when no encoding is given,
// ("charset" "us-ascii") for text parts without a charset, sizes counted with CRLF line
// endings, and a 0-octet text/plain child for a multipart that has no parts.
// Parameters decoded from RFC 2231 to non-ASCII UTF-8 are sent re-encoded as
// name*="utf-8''%XX..." so the response stays 7-bit and clients can still read them.
#pragma once
#include <string>
#include <string_view>

#include "mime/part.h"

namespace kurier::mime {

// BODY: the non-extensible form, including its outer parentheses.
std::string imap_body(const Part& part, std::string_view msg);
// BODYSTRUCTURE: with extension data, including its outer parentheses.
std::string imap_bodystructure(const Part& part, std::string_view msg);

}  // namespace kurier::mime
