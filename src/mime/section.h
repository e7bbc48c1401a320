// Resolves an IMAP FETCH section (RFC 3501 6.4.5, RFC 9051 6.4.5) to the bytes it names.
//   - An empty part path names the whole message; HEADER/TEXT/HEADER.FIELDS then address
//     the top-level header and body.
//   - A non-empty path names a body part: "1" of a non-multipart message is its body;
//     a number inside a message/rfc822 part indexes the embedded message's parts.
//   - With a path, HEADER, TEXT and HEADER.FIELDS[.NOT] are valid only for message/rfc822
//     (or message/global) parts and address the embedded message; MIME is the part's own
//     header and needs a path.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mime/part.h"

namespace kurier::mime {

enum class SectionKind { Full, Header, HeaderFields, HeaderFieldsNot, Text, Mime };

struct SectionSpec {
  std::vector<uint32_t> path;          // e.g. {1, 2} for "1.2"; empty for the whole message
  SectionKind kind = SectionKind::Full;
  std::vector<std::string> fields;     // for HEADER.FIELDS and HEADER.FIELDS.NOT
};

struct ByteRange {
  size_t offset = 0;
  size_t size = 0;
};

// What a section resolves to: a slice of the message, or (HEADER.FIELDS[.NOT]) the
// selected header fields followed by the blank line, as RFC 3501 6.4.5 requires.
struct SectionContent {
  ByteRange range;                   // valid when filtered is nullopt
  std::optional<std::string> filtered;
  std::string_view view(std::string_view msg) const {
    return filtered ? std::string_view(*filtered) : msg.substr(range.offset, range.size);
  }
};

// nullopt when the part does not exist, the section kind does not apply to it, or the
// Part does not fit inside msg (a stale cache entry).
std::optional<SectionContent> resolve_section(const Part& root, std::string_view msg,
                                              const SectionSpec& spec);

// The part a path names (RFC 3501 6.4.5 numbering), or nullptr.
const Part* find_part(const Part& root, const std::vector<uint32_t>& path);

// The fields of header_block whose names are (keep=true) or are not (keep=false) in names,
// each with its original bytes, followed by a blank line. Added line endings follow the
// block's own style (LF for a bare-LF message) so output conversion treats them alike.
std::string filter_header_fields(std::string_view header_block,
                                 const std::vector<std::string>& names, bool keep);

// IMAP sends CRLF (RFC 3501 2.2); for messages stored with bare LF these give the size of
// the bytes once converted (to announce a literal) and append the converted bytes.
// A byte range inside a message may start right after a CR; callers convert whole sections.
size_t crlf_size(std::string_view bytes);
void append_crlf(std::string& out, std::string_view bytes);

}  // namespace kurier::mime
