// MIME structure parser; see part.h.
//
// Implementation notes (each with the rule behind it):
// - The line ending before a boundary delimiter belongs to the delimiter, not to the
//   preceding part (RFC 2046 5.1.1), so body_size stops before it.
// - A delimiter line is "--" boundary, optionally "--" (close), then only blanks
//   (RFC 2046 5.1.1 transport-padding). Boundaries are matched innermost first, and an outer
//   boundary also ends every inner part whose own close delimiter is missing.
// - No or invalid Content-Type means text/plain; charset=us-ascii (RFC 2045 5.2), except
//   inside multipart/digest where it means message/rfc822 (RFC 2046 5.1.5).
// - Past kMaxNestingDepth / kMaxParts nothing more is split: a message part becomes
//   application/octet-stream, a multipart keeps its type but gets no children.
#include "mime/part.h"

#include <cstring>

#include "common/strings.h"
#include "mime/envelope.h"
#include "mime/header.h"
#include "mime/lines.h"

namespace kurier::mime {
namespace {

using detail::Line;
using detail::line_at;

constexpr size_t kMaxBoundaryLength = 998;  // RFC 2046 says 70; accept any one-line value

// --- Content-* header fields -------------------------------------------------------------

bool apply_content_type(Part& part, const std::string& value) {
  StructuredValue sv = parse_structured_value(value);
  size_t slash = sv.value.find('/');
  if (slash == std::string::npos) return false;
  std::string type = to_lower(std::string_view(sv.value).substr(0, slash));
  std::string subtype = to_lower(std::string_view(sv.value).substr(slash + 1));
  if (!is_mime_token(type) || !is_mime_token(subtype)) return false;
  part.type = std::move(type);
  part.subtype = std::move(subtype);
  part.params = std::move(sv.params);
  return true;
}

void apply_disposition(Part& part, const std::string& value) {
  StructuredValue sv = parse_structured_value(value);
  if (!is_mime_token(sv.value)) return;
  part.disposition = std::move(sv.value);
  part.disposition_params = std::move(sv.params);
}

// RFC 3282: Content-Language = 1#Language-tag.
std::vector<std::string> parse_languages(std::string_view value) {
  std::vector<std::string> out;
  for (std::string_view tag : split(value, ',')) {
    tag = trim(tag);
    if (is_mime_token(tag)) out.emplace_back(tag);
  }
  return out;
}

void set_default_type(Part& part, bool in_digest) {
  part.type = in_digest ? "message" : "text";
  part.subtype = in_digest ? "rfc822" : "plain";
  part.params.clear();
  if (!in_digest) part.params.push_back({"charset", "us-ascii"});
}

// Applies one Content-* field; the first occurrence of each field wins.
void apply_content_field(Part& part, std::string_view name, const HeaderField& f,
                         bool& seen_type) {
  if (iequals(name, "type")) {
    if (!seen_type) apply_content_type(part, f.value());  // invalid: the default stays
    seen_type = true;
  } else if (iequals(name, "transfer-encoding")) {
    std::string v = parse_structured_value(f.value()).value;  // drops comments
    if (part.encoding.empty() && is_mime_token(v)) part.encoding = to_lower(v);
  } else if (iequals(name, "id")) {
    if (!part.id) part.id = f.value();
  } else if (iequals(name, "description")) {
    if (!part.description) part.description = f.value();
  } else if (iequals(name, "md5")) {
    if (!part.md5) part.md5 = f.value();
  } else if (iequals(name, "disposition")) {
    if (!part.disposition) apply_disposition(part, f.value());
  } else if (iequals(name, "language")) {
    if (part.language.empty()) part.language = parse_languages(f.value());
  } else if (iequals(name, "location")) {
    if (!part.location) part.location = f.value();
  }
}

void apply_content_headers(Part& part, std::string_view header, bool in_digest) {
  set_default_type(part, in_digest);
  bool seen_type = false;
  for (const HeaderField& f : parse_header_fields(header)) {
    if (istarts_with(f.name, "content-")) apply_content_field(part, f.name.substr(8), f, seen_type);
  }
}

// --- Structure ---------------------------------------------------------------------------

class Parser {
 public:
  explicit Parser(std::string_view msg) : msg_(msg) {}

  Part parse_root() {
    Part root;
    parts_ = 1;
    parse_entity(root, 0, 0, false);
    root.envelope = imap_envelope(header_of(root));
    return root;
  }

 private:
  struct Delimiter {
    size_t index = 0;  // into boundaries_, 0 = outermost
    bool close = false;
  };
  struct Stop {
    size_t pos = 0;  // start of the delimiter line, or the message size
    std::optional<Delimiter> delim;
  };

  std::string_view header_of(const Part& p) const {
    return msg_.substr(p.header_offset, p.header_size);
  }

  bool within_limits(size_t depth) const {
    return depth + 1 < kMaxNestingDepth && parts_ < kMaxParts;
  }

  static bool only_blanks(std::string_view s) {
    for (char c : s)
      if (!detail::is_wsp(c)) return false;
    return true;
  }

  std::optional<Delimiter> match_delimiter(const Line& line) const {
    std::string_view text = msg_.substr(line.begin, line.end - line.begin);
    if (text.size() < 2 || text[0] != '-' || text[1] != '-') return std::nullopt;
    text.remove_prefix(2);
    for (size_t i = boundaries_.size(); i-- > 0;) {
      const std::string& b = boundaries_[i];
      if (text.substr(0, b.size()) != b) continue;
      std::string_view tail = text.substr(b.size());
      if (tail.substr(0, 2) == "--") return Delimiter{i, true};
      if (only_blanks(tail)) return Delimiter{i, false};
    }
    return std::nullopt;
  }

  // Finds the first delimiter line (of any open boundary) at or after the line at pos.
  Stop scan_body(size_t pos) const {
    if (boundaries_.empty()) return {msg_.size(), std::nullopt};
    for (size_t line = pos; line < msg_.size();) {
      if (msg_.compare(line, 2, "--") == 0) {
        if (auto d = match_delimiter(line_at(msg_, line))) return {line, d};
      }
      size_t hit = msg_.find("\n--", line);
      if (hit == std::string_view::npos) break;
      line = hit + 1;
    }
    return {msg_.size(), std::nullopt};
  }

  // Like scan_body, but this multipart's own non-close delimiters count as content.
  Stop scan_past_own(size_t pos, size_t own) const {
    Stop stop = scan_body(pos);
    while (stop.delim && stop.delim->index == own && !stop.delim->close)
      stop = scan_body(line_at(msg_, stop.pos).next);
    return stop;
  }

  // Returns the body offset: after the blank line, or at a delimiter line / end of message.
  size_t scan_header(size_t pos) const {
    while (pos < msg_.size()) {
      Line line = line_at(msg_, pos);
      if (line.empty()) return line.next;
      if (msg_[pos] == '-' && match_delimiter(line)) return pos;
      pos = line.next;
    }
    return msg_.size();
  }

  void set_body_end(Part& part, const Stop& stop) const {
    size_t end = stop.pos;
    if (stop.delim) end -= std::min(detail::eol_before(msg_, end), end - part.body_offset);
    part.body_size = end - part.body_offset;
    part.body_lines = 0;
    size_t bare = 0;
    const char* base = msg_.data();
    for (size_t i = part.body_offset; i < end;) {
      const void* p = std::memchr(base + i, '\n', end - i);
      if (!p) break;
      size_t lf = size_t(static_cast<const char*>(p) - base);
      ++part.body_lines;
      if (lf == part.body_offset || base[lf - 1] != '\r') ++bare;
      i = lf + 1;
    }
    part.body_crlf_size = part.body_size + bare;
  }

  Stop parse_entity(Part& part, size_t pos, size_t depth, bool in_digest) {
    part.header_offset = pos;
    part.body_offset = scan_header(pos);
    part.header_size = part.body_offset - pos;
    apply_content_headers(part, header_of(part), in_digest);
    Stop stop = parse_body(part, depth);
    set_body_end(part, stop);
    return stop;
  }

  Stop parse_body(Part& part, size_t depth) {
    if (part.is_multipart()) {
      const Param* b = find_param(part.params, "boundary");
      bool usable = b && !b->value.empty() && b->value.size() <= kMaxBoundaryLength;
      if (usable && within_limits(depth)) return parse_multipart(part, b->value, depth);
    } else if (part.is_message()) {
      if (within_limits(depth)) return parse_embedded(part, depth);
      part.type = "application";
      part.subtype = "octet-stream";
    }
    return scan_body(part.body_offset);
  }

  Stop parse_multipart(Part& part, std::string boundary, size_t depth) {
    bool digest = part.subtype == "digest";
    boundaries_.push_back(std::move(boundary));
    size_t own = boundaries_.size() - 1;
    Stop stop = scan_body(part.body_offset);  // the preamble
    while (stop.delim && stop.delim->index == own && !stop.delim->close) {
      size_t next = line_at(msg_, stop.pos).next;
      if (parts_ >= kMaxParts) {
        stop = scan_past_own(next, own);
        break;
      }
      ++parts_;
      part.children.emplace_back();
      stop = parse_entity(part.children.back(), next, depth + 1, digest);
    }
    boundaries_.pop_back();
    if (stop.delim && stop.delim->index == own)  // close delimiter: skip the epilogue
      stop = scan_body(line_at(msg_, stop.pos).next);
    return stop;
  }

  Stop parse_embedded(Part& part, size_t depth) {
    ++parts_;
    part.children.emplace_back();
    Part& child = part.children.back();
    Stop stop = parse_entity(child, part.body_offset, depth + 1, false);
    child.envelope = imap_envelope(header_of(child));
    return stop;
  }

  std::string_view msg_;
  std::vector<std::string> boundaries_;
  size_t parts_ = 0;
};

}  // namespace

Part parse_message(std::string_view msg) { return Parser(msg).parse_root(); }

}  // namespace kurier::mime
