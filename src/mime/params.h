// Structured MIME header values: "value *(; name=value)" as in Content-Type and
// Content-Disposition (RFC 2045 5.1, RFC 2183), with RFC 2231 parameter continuations,
// charsets and languages reassembled into plain UTF-8 values.
#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace kurier::mime {

struct Param {
  std::string name;   // lowercased; ends in '*' only if an RFC 2231 charset was unknown
  std::string value;  // UTF-8 when decoded; the raw charset'lang'%xx form otherwise
  bool operator==(const Param&) const = default;
};

struct StructuredValue {
  std::string value;  // the part before the first ';', comments and blanks removed
  std::vector<Param> params;
};

// Parses an unfolded header value. Never fails: malformed parameters are skipped.
StructuredValue parse_structured_value(std::string_view unfolded);
// RFC 2045 5.1 token: 1*<any CHAR except SPACE, CTLs or tspecials>.
bool is_mime_token(std::string_view s);
// First parameter called name (already lowercase), or nullptr.
const Param* find_param(const std::vector<Param>& params, std::string_view name);

}  // namespace kurier::mime
