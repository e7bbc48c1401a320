// BODY / BODYSTRUCTURE writer; see bodystructure.h.
#include "mime/bodystructure.h"

#include "mime/envelope.h"
#include "mime/imap_string.h"

namespace kurier::mime {
namespace {

// RFC 3501 9: a multipart body needs at least one part.
constexpr std::string_view kEmptyBody = R"(("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 0 0)";
constexpr std::string_view kEmptyBodyExt = R"( NIL NIL NIL NIL)";

bool is_7bit(std::string_view s) {
  for (unsigned char c : s)
    if (c >= 0x80) return false;
  return true;
}

// RFC 2231 extended-value form for a UTF-8 value, e.g. utf-8''%C3%A9t%C3%A9.
std::string rfc2231_encode(std::string_view value) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out = "utf-8''";
  for (unsigned char c : value) {
    bool plain = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                 c == '.' || c == '-' || c == '_';
    if (plain) {
      out += char(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

void append_param(std::string& out, const Param& p) {
  bool encode = !is_7bit(p.value) && !p.name.empty() && p.name.back() != '*';
  append_imap_string(out, encode ? p.name + "*" : p.name);
  out += ' ';
  append_imap_string(out, encode ? rfc2231_encode(p.value) : p.value);
}

// body-fld-param: "(" string SP string *(SP string SP string) ")" / nil
void append_params(std::string& out, const std::vector<Param>& params, bool add_charset) {
  if (params.empty() && !add_charset) {
    out += "NIL";
    return;
  }
  out += '(';
  for (size_t i = 0; i < params.size(); ++i) {
    if (i) out += ' ';
    append_param(out, params[i]);
  }
  if (add_charset) out += params.empty() ? R"("charset" "us-ascii")" : R"( "charset" "us-ascii")";
  out += ')';
}

void append_content_params(std::string& out, const Part& part) {
  append_params(out, part.params, part.is_text() && !find_param(part.params, "charset"));
}

// body-fld-dsp = "(" string SP body-fld-param ")" / nil
void append_disposition(std::string& out, const Part& part) {
  if (!part.disposition) {
    out += "NIL";
    return;
  }
  out += '(';
  append_imap_string(out, *part.disposition);
  out += ' ';
  append_params(out, part.disposition_params, false);
  out += ')';
}

// body-fld-lang = nstring / "(" string *(SP string) ")"
void append_language(std::string& out, const Part& part) {
  if (part.language.empty()) {
    out += "NIL";
    return;
  }
  out += '(';
  for (size_t i = 0; i < part.language.size(); ++i) {
    if (i) out += ' ';
    append_imap_string(out, part.language[i]);
  }
  out += ')';
}

// Extension data shared by both kinds: body-fld-dsp SP body-fld-lang SP body-fld-loc.
void append_common_extension(std::string& out, const Part& part) {
  out += ' ';
  append_disposition(out, part);
  out += ' ';
  append_language(out, part);
  out += ' ';
  append_imap_nstring(out, part.location);
}

void append_body(std::string& out, const Part& part, std::string_view msg, bool extended);

// body-type-mpart = 1*body SP media-subtype [SP body-ext-mpart]
void append_multipart(std::string& out, const Part& part, std::string_view msg, bool extended) {
  for (const Part& child : part.children) append_body(out, child, msg, extended);
  if (part.children.empty()) {
    out += kEmptyBody;
    if (extended) out += kEmptyBodyExt;
    out += ')';
  }
  out += ' ';
  append_imap_string(out, part.subtype);
  if (!extended) return;
  out += ' ';
  append_params(out, part.params, false);
  append_common_extension(out, part);
}

// body-fields = body-fld-param SP body-fld-id SP body-fld-desc SP body-fld-enc SP octets
void append_fields(std::string& out, const Part& part) {
  append_imap_string(out, part.type);
  out += ' ';
  append_imap_string(out, part.subtype);
  out += ' ';
  append_content_params(out, part);
  out += ' ';
  append_imap_nstring(out, part.id);
  out += ' ';
  append_imap_nstring(out, part.description);
  out += ' ';
  append_imap_string(out, part.encoding.empty() ? "7bit" : part.encoding);
  out += ' ' + std::to_string(part.body_crlf_size);
}

// body-type-msg = media-message SP body-fields SP envelope SP body SP body-fld-lines
void append_message_tail(std::string& out, const Part& part, std::string_view msg,
                         bool extended) {
  const Part& inner = part.children.front();
  out += ' ';
  out += inner.envelope.empty()
             ? imap_envelope(msg.substr(inner.header_offset, inner.header_size))
             : inner.envelope;
  out += ' ';
  append_body(out, inner, msg, extended);
  out += ' ' + std::to_string(part.body_lines);
}

// body-type-1part = (body-type-basic / body-type-msg / body-type-text) [SP body-ext-1part]
void append_single(std::string& out, const Part& part, std::string_view msg, bool extended) {
  append_fields(out, part);
  if (part.is_message() && part.children.size() == 1) append_message_tail(out, part, msg, extended);
  else if (part.is_text()) out += ' ' + std::to_string(part.body_lines);
  if (!extended) return;
  out += ' ';
  append_imap_nstring(out, part.md5);
  append_common_extension(out, part);
}

void append_body(std::string& out, const Part& part, std::string_view msg, bool extended) {
  out += '(';
  if (part.is_multipart()) append_multipart(out, part, msg, extended);
  else append_single(out, part, msg, extended);
  out += ')';
}

}  // namespace

std::string imap_body(const Part& part, std::string_view msg) {
  std::string out;
  append_body(out, part, msg, false);
  return out;
}

std::string imap_bodystructure(const Part& part, std::string_view msg) {
  std::string out;
  append_body(out, part, msg, true);
  return out;
}

}  // namespace kurier::mime
