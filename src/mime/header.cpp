// Header field splitting and unfolding (RFC 5322 2.2); see header.h.
#include "mime/header.h"

#include "common/strings.h"
#include "mime/lines.h"

namespace kurier::mime {
namespace {

using detail::Line;
using detail::is_wsp;
using detail::line_at;

// RFC 5322 2.2: field-name = 1*ftext; ftext = %d33-57 / %d59-126.
bool is_field_name(std::string_view name) {
  if (name.empty()) return false;
  for (unsigned char c : name) {
    if (c < 33 || c > 126 || c == ':') return false;
  }
  return true;
}

std::string_view trim_wsp_right(std::string_view s) {
  while (!s.empty() && is_wsp(s.back())) s.remove_suffix(1);
  return s;
}

// Builds a field from its first line, or nullopt when that line is not a valid field.
std::optional<HeaderField> start_field(std::string_view block, const Line& line) {
  std::string_view text = block.substr(line.begin, line.end - line.begin);
  size_t colon = text.find(':');
  if (colon == std::string_view::npos) return std::nullopt;
  std::string_view name = trim_wsp_right(text.substr(0, colon));
  if (!is_field_name(name)) return std::nullopt;
  HeaderField f;
  f.name = name;
  f.offset = line.begin;
  f.size = line.next - line.begin;
  f.raw_value = block.substr(line.begin + colon + 1, line.end - line.begin - colon - 1);
  return f;
}

void extend_field(std::string_view block, HeaderField& f, const Line& line) {
  size_t value_begin = size_t(f.raw_value.data() - block.data());
  f.raw_value = block.substr(value_begin, line.end - value_begin);
  f.size = line.next - f.offset;
}

}  // namespace

std::string unfold(std::string_view raw) {
  std::string out;
  out.reserve(raw.size());
  for (size_t i = 0; i < raw.size(); ++i) {
    char c = raw[i];
    if (c == '\n') continue;
    if (c == '\r' && i + 1 < raw.size() && raw[i + 1] == '\n') continue;
    out += c;
  }
  size_t b = 0, e = out.size();
  while (b < e && (is_wsp(out[b]) || out[b] == '\r')) ++b;
  while (e > b && (is_wsp(out[e - 1]) || out[e - 1] == '\r')) --e;
  return out.substr(b, e - b);
}

std::string HeaderField::value() const { return unfold(raw_value); }

std::vector<HeaderField> parse_header_fields(std::string_view block) {
  std::vector<HeaderField> fields;
  std::optional<HeaderField> current;
  for (size_t pos = 0; pos < block.size();) {
    Line line = line_at(block, pos);
    pos = line.next;
    if (line.empty()) break;  // the blank line ending the header
    if (is_wsp(block[line.begin])) {
      if (current) extend_field(block, *current, line);
      continue;  // a continuation of a skipped line is skipped too
    }
    if (current) fields.push_back(*current);
    current = start_field(block, line);
  }
  if (current) fields.push_back(*current);
  return fields;
}

std::optional<HeaderField> find_header_field(std::string_view block, std::string_view name) {
  for (const HeaderField& f : parse_header_fields(block)) {
    if (iequals(f.name, name)) return f;
  }
  return std::nullopt;
}

std::optional<std::string> header_value(std::string_view block, std::string_view name) {
  auto f = find_header_field(block, name);
  if (!f) return std::nullopt;
  return f->value();
}

}  // namespace kurier::mime
