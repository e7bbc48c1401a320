// The MIME structure of one message (RFC 5322 header/body, RFC 2045-2049 MIME entities,
// RFC 2046 5.1 multipart bodies, RFC 2046 5.2.1 message/rfc822, RFC 6532 message/global).
// All offsets are exact byte offsets into the original message, which is never copied:
// line endings may be CRLF or bare LF. Only small header values are copied into Part.
#pragma once
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mime/params.h"

namespace kurier::mime {

// Parsing limits: past them the remaining content is treated as an opaque body.
inline constexpr size_t kMaxNestingDepth = 100;
inline constexpr size_t kMaxParts = 10000;

struct Part {
  size_t header_offset = 0;
  size_t header_size = 0;  // includes the blank line ending the header, when there is one
  size_t body_offset = 0;
  size_t body_size = 0;    // excludes the line ending that belongs to a following boundary
  size_t body_lines = 0;   // number of LF in the body (RFC 3501 7.4.2 body-fld-lines)
  size_t body_crlf_size = 0;  // body size once bare LFs are sent as CRLF, as IMAP reports it

  std::string type = "text";  // lowercased
  std::string subtype = "plain";
  std::vector<Param> params;  // Content-Type parameters, in header order
  std::optional<std::string> id;           // Content-ID, raw
  std::optional<std::string> description;  // Content-Description, raw (not RFC 2047 decoded)
  std::string encoding;                    // Content-Transfer-Encoding, lowercased; "" if absent
  std::optional<std::string> md5;          // Content-MD5
  std::optional<std::string> disposition;  // Content-Disposition value, as written
  std::vector<Param> disposition_params;
  std::vector<std::string> language;       // Content-Language tags
  std::optional<std::string> location;     // Content-Location

  // The IMAP ENVELOPE of this entity's header (see envelope.h); set only on entities that
  // are messages: the root and the child of a message/rfc822 or message/global part.
  std::string envelope;

  // Multipart: the body parts. message/rfc822 and message/global: exactly one child, the
  // embedded message, whose header starts at this part's body_offset.
  std::vector<Part> children;

  bool is_multipart() const { return type == "multipart"; }
  bool is_message() const {
    return type == "message" && (subtype == "rfc822" || subtype == "global");
  }
  bool is_text() const { return type == "text"; }
  size_t end() const { return body_offset + body_size; }
};

// Parses a whole message. Never fails: malformed MIME degrades to opaque bodies.
Part parse_message(std::string_view msg);

}  // namespace kurier::mime
