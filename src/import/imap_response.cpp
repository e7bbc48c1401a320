// IMAP response parsing for the import client (imap_response.h).
#include "import/imap_response.h"

#include <charconv>

#include "common/strings.h"
#include "store/flags.h"

namespace kurier::mail_import {
namespace {

constexpr size_t kMaxDepth = 16;

std::optional<uint64_t> number(std::string_view s) {
  uint64_t v = 0;
  if (s.empty()) return std::nullopt;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

// Walks the segments as one stream of tokens; a literal sits where its "{n}" was.
class Tokenizer {
 public:
  explicit Tokenizer(const std::vector<Segment>& segments) : segs_(segments) {}

  bool parse_values(std::vector<Value>& out, std::string& error, size_t depth, bool in_list) {
    if (depth > kMaxDepth) return fail(error, "lists nested too deeply");
    for (;;) {
      skip_spaces();
      if (at_segment_end()) {
        if (in_list) return fail(error, "unterminated list");
        return true;
      }
      char c = cur();
      if (c == ')') {
        if (!in_list) return fail(error, "unexpected ')'");
        ++pos_;
        return true;
      }
      Value v;
      if (!parse_value(v, error, depth)) return false;
      out.push_back(std::move(v));
    }
  }

  std::string rest_of_first_line() const { return segs_.empty() ? "" : segs_[0].text; }
  void set_position(size_t p) { pos_ = p; }

 private:
  static bool fail(std::string& error, std::string why) {
    error = std::move(why);
    return false;
  }
  const std::string& text() const { return segs_[seg_].text; }
  // The literal marker at the end of a segment is not text to tokenize.
  size_t text_end() const {
    const Segment& s = segs_[seg_];
    if (!s.has_literal) return s.text.size();
    size_t brace = s.text.rfind('{');
    return brace == std::string::npos ? s.text.size() : brace;
  }
  bool at_segment_end() const { return seg_ >= segs_.size() || (pos_ >= text_end() && !literal_here()); }
  bool literal_here() const {
    return seg_ < segs_.size() && segs_[seg_].has_literal && pos_ >= text_end();
  }
  char cur() const { return pos_ < text_end() ? text()[pos_] : '{'; }
  void skip_spaces() {
    while (seg_ < segs_.size() && pos_ < text_end() && text()[pos_] == ' ') ++pos_;
  }

  bool parse_value(Value& v, std::string& error, size_t depth) {
    if (literal_here()) {
      const Segment& s = segs_[seg_];
      if (s.external >= 0) {
        v.kind = Value::Kind::external;
        v.external = s.external;
      } else {
        v.kind = Value::Kind::string;
        v.text = s.literal;
      }
      ++seg_;  // the text after the literal continues in the next segment
      pos_ = 0;
      return true;
    }
    char c = cur();
    if (c == '(') {
      ++pos_;
      v.kind = Value::Kind::list;
      return parse_values(v.items, error, depth + 1, true);
    }
    if (c == '"') return parse_quoted(v, error);
    return parse_atom(v, error);
  }

  bool parse_quoted(Value& v, std::string& error) {
    ++pos_;
    v.kind = Value::Kind::string;
    while (pos_ < text_end()) {
      char c = text()[pos_++];
      if (c == '"') return true;
      if (c == '\\') {
        if (pos_ >= text_end()) break;
        c = text()[pos_++];
      }
      v.text += c;
    }
    return fail(error, "unterminated quoted string");
  }

  // Atoms, numbers, flags (\Seen) and section names: "BODY[]" and "BODY[HEADER.FIELDS (A B)]"
  // keep their bracketed part whole, spaces included.
  bool parse_atom(Value& v, std::string& error) {
    size_t start = pos_;
    int brackets = 0;
    while (pos_ < text_end()) {
      char c = text()[pos_];
      if (c == '[') ++brackets;
      if (c == ']' && brackets > 0) --brackets;
      if (brackets == 0 && (c == ' ' || c == '(' || c == ')' || c == '"')) break;
      if (static_cast<unsigned char>(c) < 0x20) return fail(error, "control character in atom");
      ++pos_;
    }
    if (pos_ == start) return fail(error, std::string("unexpected '") + text()[pos_] + "'");
    v.text = text().substr(start, pos_ - start);
    v.kind = iequals(v.text, "NIL") ? Value::Kind::nil : Value::Kind::atom;
    return true;
  }

  const std::vector<Segment>& segs_;
  size_t seg_ = 0;
  size_t pos_ = 0;
};

store::Flags flags_of(const Value& list) {
  store::Flags flags;
  for (const auto& f : list.items) {
    if (f.kind != Value::Kind::atom) continue;
    const std::string& n = f.text;
    if (iequals(n, "\\Seen")) flags.system |= store::kSeen;
    else if (iequals(n, "\\Answered")) flags.system |= store::kAnswered;
    else if (iequals(n, "\\Flagged")) flags.system |= store::kFlagged;
    else if (iequals(n, "\\Deleted")) flags.system |= store::kDeleted;
    else if (iequals(n, "\\Draft")) flags.system |= store::kDraft;
    else if (!n.starts_with("\\") && store::is_valid_keyword(n)) flags.keywords.push_back(n);
  }
  return flags;
}

std::optional<std::string> string_value(const Value& v) {
  if (v.kind == Value::Kind::string || v.kind == Value::Kind::atom) return v.text;
  return std::nullopt;
}

}  // namespace

bool Value::is_atom(std::string_view name) const { return kind == Kind::atom && iequals(text, name); }

std::optional<uint64_t> trailing_literal_size(std::string_view line) {
  if (line.size() < 3 || line.back() != '}') return std::nullopt;
  size_t brace = line.rfind('{');
  if (brace == std::string_view::npos) return std::nullopt;
  std::string_view digits = line.substr(brace + 1, line.size() - brace - 2);
  if (!digits.empty() && digits.back() == '+') digits.remove_suffix(1);
  if (digits.size() > 19) return std::nullopt;
  return number(digits);
}

std::optional<Response> parse_response(const std::vector<Segment>& segments, std::string& error) {
  if (segments.empty() || segments[0].text.empty()) {
    error = "empty response";
    return std::nullopt;
  }
  const std::string& first = segments[0].text;
  size_t sp = first.find(' ');
  Response r;
  r.tag = first.substr(0, sp);
  if (r.tag == "+") {
    r.text = sp == std::string::npos ? "" : first.substr(sp + 1);
    return r;
  }
  if (sp == std::string::npos) {
    error = "response without data: \"" + first.substr(0, 60) + "\"";
    return std::nullopt;
  }
  r.text = first.substr(sp + 1);
  Tokenizer t(segments);
  t.set_position(sp + 1);
  // Human-readable text after OK/NO/BAD/BYE need not tokenize (it may hold '"' or ')').
  std::vector<Value> values;
  std::string why;
  if (t.parse_values(values, why, 0, false)) {
    r.values = std::move(values);
  } else {
    std::string_view head = std::string_view(r.text).substr(0, r.text.find(' '));
    bool status = iequals(head, "OK") || iequals(head, "NO") || iequals(head, "BAD") ||
                  iequals(head, "BYE") || iequals(head, "PREAUTH");
    if (!status) {
      error = why + " in \"" + first.substr(0, 80) + "\"";
      return std::nullopt;
    }
    r.values.push_back(Value{Value::Kind::atom, std::string(head), {}, -1});
  }
  return r;
}

std::vector<std::string> response_code(const Response& r) {
  std::vector<std::string> out;
  size_t open = r.text.find('[');
  size_t close = r.text.find(']', open == std::string::npos ? 0 : open);
  if (open == std::string::npos || close == std::string::npos) return out;
  for (auto w : split(std::string_view(r.text).substr(open + 1, close - open - 1), ' '))
    if (!w.empty()) out.emplace_back(w);
  return out;
}

std::optional<ListEntry> parse_list(const Response& r) {
  const auto& v = r.values;
  if (r.tag != "*" || v.size() != 4 || !(v[0].is_atom("LIST") || v[0].is_atom("LSUB")) ||
      v[1].kind != Value::Kind::list)
    return std::nullopt;
  ListEntry e;
  for (const auto& a : v[1].items) e.attributes.push_back(a.text);
  if (v[2].kind != Value::Kind::nil) e.delimiter = v[2].text;
  auto name = string_value(v[3]);
  if (!name) return std::nullopt;
  e.name = *name;
  return e;
}

std::optional<std::map<std::string, uint64_t>> parse_status(const Response& r) {
  const auto& v = r.values;
  if (r.tag != "*" || v.size() != 3 || !v[0].is_atom("STATUS") || v[2].kind != Value::Kind::list)
    return std::nullopt;
  std::map<std::string, uint64_t> out;
  const auto& items = v[2].items;
  for (size_t i = 0; i + 1 < items.size(); i += 2) {
    auto n = number(items[i + 1].text);
    if (n) out[to_upper(items[i].text)] = *n;
  }
  return out;
}

std::optional<FetchData> parse_fetch(const Response& r) {
  const auto& v = r.values;
  if (r.tag != "*" || v.size() != 3 || !v[1].is_atom("FETCH") || v[2].kind != Value::Kind::list)
    return std::nullopt;
  auto seq = number(v[0].text);
  if (!seq || *seq == 0 || *seq > UINT32_MAX) return std::nullopt;
  FetchData f;
  f.seq = uint32_t(*seq);
  const auto& items = v[2].items;
  for (size_t i = 0; i + 1 < items.size(); i += 2) {
    const Value& name = items[i];
    const Value& value = items[i + 1];
    if (name.is_atom("UID")) {
      auto n = number(value.text);
      if (n && *n > 0 && *n <= UINT32_MAX) f.uid = store::Uid(*n);
    } else if (name.is_atom("FLAGS") && value.kind == Value::Kind::list) {
      f.flags = flags_of(value);
    } else if (name.is_atom("INTERNALDATE")) {
      f.internal_date = string_value(value);
    } else if (name.is_atom("RFC822.SIZE")) {
      f.size = number(value.text);
    } else if (name.is_atom("BODY[]") || name.is_atom("RFC822")) {
      f.body = value;
    }
  }
  return f;
}

}  // namespace kurier::mail_import
