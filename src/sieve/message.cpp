// ParsedMessage: the Sieve view of a message's bytes through mime/ (see message.h).
#include "sieve/message.h"

#include "common/strings.h"
#include "mime/header.h"
#include "mime/params.h"
#include "mime/part.h"
#include "mime/transfer_encoding.h"

namespace kurier::sieve {
namespace {

// RFC 5173 5.2: "text" matches any text/* part, "text/plain" only that, "" every part.
bool type_matches(const mime::Part& part, const std::vector<std::string>& types) {
  for (const std::string& t : types) {
    if (t.empty()) return true;
    size_t slash = t.find('/');
    if (slash == std::string::npos) {
      if (iequals(t, part.type)) return true;
    } else if (iequals(t.substr(0, slash), part.type) && iequals(t.substr(slash + 1), part.subtype)) {
      return true;
    }
  }
  return false;
}

// RFC 5173 5.3 allows a simplified text form of HTML: the tags go (each a word break), the text
// stays, and runs of blanks become one space.
std::string strip_html_tags(std::string_view html) {
  std::string out;
  bool in_tag = false;
  auto blank = [&] {
    if (!out.empty() && out.back() != ' ') out += ' ';
  };
  for (char c : html) {
    if (c == '<') {
      in_tag = true;
    } else if (c == '>' && in_tag) {
      in_tag = false;
      blank();
    } else if (!in_tag) {
      if (c == ' ' || c == '\t' || c == '\r' || c == '\n') blank();
      else out += c;
    }
  }
  return out;
}

std::string decoded_content(const mime::Part& part, std::string_view bytes, size_t max_size, bool as_text) {
  std::string_view raw = bytes.substr(part.body_offset, part.body_size);
  if (raw.size() > max_size * 2) raw = raw.substr(0, max_size * 2);  // base64 is 4/3 larger
  std::string text = mime::decode_transfer_encoding(raw, part.encoding).value_or(std::string(raw));
  if (part.is_text()) {
    const mime::Param* charset = mime::find_param(part.params, "charset");
    if (charset && !iequals(charset->value, "us-ascii") && !iequals(charset->value, "utf-8")) {
      if (auto utf8 = mime::convert_to_utf8(text, charset->value)) text = std::move(*utf8);
    }
    if (as_text && iequals(part.subtype, "html")) text = strip_html_tags(text);
  }
  if (text.size() > max_size) text.resize(max_size);
  return text;
}

// Appends the matching leaf parts while `budget` (bytes, for all parts together) lasts, so a
// message of many big parts never costs more memory than one max_size.
void collect_parts(const mime::Part& part, std::string_view bytes, const std::vector<std::string>& types,
                   size_t& budget, bool as_text, std::vector<std::string>& out) {
  if (budget == 0) return;
  if (part.is_multipart() || part.is_message()) {
    for (const mime::Part& child : part.children) collect_parts(child, bytes, types, budget, as_text, out);
    return;
  }
  if (!type_matches(part, types)) return;
  out.push_back(decoded_content(part, bytes, budget, as_text));
  budget -= std::min(budget, out.back().size());
}

}  // namespace

std::string HeaderLine::value() const { return mime::unfold(raw_value); }

ParsedMessage::ParsedMessage(std::string_view bytes) : bytes_(bytes) {
  for (const mime::HeaderField& f : mime::parse_header_fields(bytes)) {
    header_.push_back(HeaderLine{std::string(f.name), std::string(f.raw_value)});
  }
}

ParsedMessage::~ParsedMessage() = default;

const mime::Part& ParsedMessage::structure() const {
  if (!root_) root_ = std::make_unique<mime::Part>(mime::parse_message(bytes_));
  return *root_;
}

std::vector<std::string> ParsedMessage::body(BodyTransform transform, const std::vector<std::string>& types,
                                             size_t max_size) const {
  const mime::Part& root = structure();
  std::vector<std::string> out;
  switch (transform) {
    case BodyTransform::raw:
      out.emplace_back(bytes_.substr(root.body_offset, std::min(root.body_size, max_size)));
      break;
    case BodyTransform::content:
      collect_parts(root, bytes_, types, max_size, false, out);
      break;
    case BodyTransform::text:
      collect_parts(root, bytes_, {"text"}, max_size, true, out);
      break;
  }
  return out;
}

}  // namespace kurier::sieve
