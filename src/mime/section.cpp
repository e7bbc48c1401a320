// FETCH section resolution (RFC 3501 6.4.5); see section.h.
#include "mime/section.h"

#include "common/strings.h"
#include "mime/header.h"

namespace kurier::mime {
namespace {

ByteRange header_range(const Part& p) { return {p.header_offset, p.header_size}; }
ByteRange body_range(const Part& p) { return {p.body_offset, p.body_size}; }

bool fits(const ByteRange& r, std::string_view msg) {
  return r.offset <= msg.size() && r.size <= msg.size() - r.offset;
}

bool name_listed(std::string_view name, const std::vector<std::string>& names) {
  for (const std::string& n : names)
    if (iequals(name, n)) return true;
  return false;
}

bool ends_with_eol(std::string_view s) { return !s.empty() && s.back() == '\n'; }

// The message entity whose header/text a section with this path addresses.
const Part* message_entity(const Part& root, const std::vector<uint32_t>& path) {
  if (path.empty()) return &root;
  const Part* p = find_part(root, path);
  if (!p || !p->is_message() || p->children.size() != 1) return nullptr;
  return &p->children.front();
}

std::optional<SectionContent> header_section(const Part& entity, std::string_view msg,
                                             const SectionSpec& spec) {
  ByteRange r = header_range(entity);
  if (!fits(r, msg)) return std::nullopt;
  if (spec.kind == SectionKind::Header) return SectionContent{r, std::nullopt};
  bool keep = spec.kind == SectionKind::HeaderFields;
  return SectionContent{{}, filter_header_fields(msg.substr(r.offset, r.size), spec.fields, keep)};
}

}  // namespace

size_t crlf_size(std::string_view bytes) {
  size_t bare = 0;
  for (size_t i = 0; i < bytes.size(); ++i)
    if (bytes[i] == '\n' && (i == 0 || bytes[i - 1] != '\r')) ++bare;
  return bytes.size() + bare;
}

void append_crlf(std::string& out, std::string_view bytes) {
  for (size_t i = 0; i < bytes.size(); ++i) {
    if (bytes[i] == '\n' && (i == 0 || bytes[i - 1] != '\r')) out += '\r';
    out += bytes[i];
  }
}

const Part* find_part(const Part& root, const std::vector<uint32_t>& path) {
  const Part* entity = &root;  // a message: the root or an embedded message
  const Part* part = nullptr;
  for (uint32_t n : path) {
    if (part) {
      if (!part->is_message() || part->children.size() != 1) {
        entity = part;  // a multipart's parts are numbered directly
      } else {
        entity = &part->children.front();
      }
    }
    if (entity->is_multipart()) {
      if (n == 0 || n > entity->children.size()) return nullptr;
      part = &entity->children[n - 1];
    } else {
      if (n != 1 || (part && !part->is_message())) return nullptr;
      part = entity;
    }
  }
  return part;
}

// The line ending the block uses: LF for bare-LF messages, CRLF otherwise.
std::string_view eol_style(std::string_view block) {
  size_t lf = block.find('\n');
  return (lf != std::string_view::npos && (lf == 0 || block[lf - 1] != '\r')) ? "\n" : "\r\n";
}

std::string filter_header_fields(std::string_view header_block,
                                 const std::vector<std::string>& names, bool keep) {
  std::string_view eol = eol_style(header_block);
  std::string out;
  for (const HeaderField& f : parse_header_fields(header_block)) {
    if (name_listed(f.name, names) != keep) continue;
    std::string_view raw = header_block.substr(f.offset, f.size);
    out.append(raw);
    if (!ends_with_eol(raw)) out += eol;
  }
  out += eol;
  return out;
}

std::optional<SectionContent> resolve_section(const Part& root, std::string_view msg,
                                              const SectionSpec& spec) {
  if (spec.kind == SectionKind::Full || spec.kind == SectionKind::Mime) {
    if (spec.path.empty()) {
      if (spec.kind == SectionKind::Mime) return std::nullopt;  // MIME needs a part number
      ByteRange all{0, msg.size()};
      return SectionContent{all, std::nullopt};
    }
    const Part* p = find_part(root, spec.path);
    if (!p) return std::nullopt;
    ByteRange r = spec.kind == SectionKind::Mime ? header_range(*p) : body_range(*p);
    if (!fits(r, msg)) return std::nullopt;
    return SectionContent{r, std::nullopt};
  }
  const Part* entity = message_entity(root, spec.path);
  if (!entity) return std::nullopt;
  if (spec.kind == SectionKind::Text) {
    ByteRange r = body_range(*entity);
    if (!fits(r, msg)) return std::nullopt;
    return SectionContent{r, std::nullopt};
  }
  return header_section(*entity, msg, spec);
}

}  // namespace kurier::mime
