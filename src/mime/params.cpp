// Parameter parsing for Content-Type / Content-Disposition (RFC 2045 5.1, RFC 2231).
#include "mime/params.h"

#include <algorithm>
#include <map>

#include "common/strings.h"
#include "mime/header.h"
#include "mime/quoted_string.h"

namespace kurier::mime {
namespace {

constexpr size_t kMaxParams = 200;
constexpr uint32_t kMaxSection = 1000;

bool is_tspecial(char c) { return std::string_view("()<>@,;:\\\"/[]?=").find(c) != std::string_view::npos; }
bool is_token_char(char c) { return (unsigned char)c > 32 && (unsigned char)c < 127 && !is_tspecial(c); }

class Cursor {
 public:
  explicit Cursor(std::string_view s) : s_(s) {}
  bool done() const { return pos_ >= s_.size(); }
  char peek() const { return done() ? '\0' : s_[pos_]; }
  void bump() { ++pos_; }

  // Skips whitespace and RFC 822 comments (nested, with quoted-pairs).
  void skip_cfws() {
    int depth = 0;
    for (; !done(); ++pos_) {
      char c = s_[pos_];
      if (depth > 0 && c == '\\' && pos_ + 1 < s_.size()) ++pos_;
      else if (c == '(') ++depth;
      else if (c == ')' && depth > 0) --depth;
      else if (depth == 0 && c != ' ' && c != '\t' && c != '\r' && c != '\n') return;
    }
  }
  std::string token() {
    size_t b = pos_;
    while (!done() && is_token_char(s_[pos_])) ++pos_;
    return std::string(s_.substr(b, pos_ - b));
  }
  std::string quoted() { return detail::read_quoted_string(s_, pos_); }
  // Lenient value: quoted-string, or everything up to ';' with trailing blanks removed
  // (real mail often has unquoted '/', '@', 8-bit bytes or spaces in values).
  std::string value() {
    if (peek() == '"') return quoted();
    size_t b = pos_;
    while (!done() && s_[pos_] != ';') ++pos_;
    return std::string(trim(s_.substr(b, pos_ - b)));
  }
  // The main value: everything before the first ';', comments and blanks removed.
  std::string main_value() {
    std::string out;
    for (skip_cfws(); !done() && peek() != ';'; skip_cfws()) {
      if (peek() == '"') out += quoted();
      else out += s_[pos_++];
    }
    return out;
  }

 private:
  std::string_view s_;
  size_t pos_ = 0;
};

// One raw parameter split per RFC 2231 3/4: name*N* = section N, extended (percent-encoded).
struct RawParam {
  std::string base;
  std::optional<uint32_t> section;
  bool extended = false;
  std::string value;
};

RawParam split_name(std::string name, std::string value) {
  RawParam p;
  p.value = std::move(value);
  if (!name.empty() && name.back() == '*') {
    p.extended = true;
    name.pop_back();
  }
  size_t star = name.rfind('*');
  if (star != std::string::npos) {
    auto n = parse_uint(std::string_view(name).substr(star + 1));
    if (n && *n <= kMaxSection) {
      p.section = uint32_t(*n);
      name.resize(star);
    }
  }
  p.base = std::move(name);
  return p;
}

std::vector<RawParam> read_raw_params(Cursor& c) {
  std::vector<RawParam> out;
  while (!c.done() && out.size() < kMaxParams) {
    c.skip_cfws();
    if (c.peek() != ';') { c.bump(); continue; }  // stray garbage
    c.bump();
    c.skip_cfws();
    std::string name = to_lower(c.token());
    c.skip_cfws();
    if (name.empty() || c.peek() != '=') continue;
    c.bump();
    c.skip_cfws();
    out.push_back(split_name(std::move(name), c.value()));
  }
  return out;
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = ascii_lower(c);
  return (c >= 'a' && c <= 'f') ? c - 'a' + 10 : -1;
}

std::string percent_decode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    int hi = -1, lo = -1;
    if (s[i] == '%' && i + 2 < s.size()) {
      hi = hex_digit(s[i + 1]);
      lo = hex_digit(s[i + 2]);
    }
    if (hi < 0 || lo < 0) {
      out += s[i];
      continue;
    }
    out += char(hi * 16 + lo);
    i += 2;
  }
  return out;
}

// RFC 2231 4: the first (extended) section starts with charset'language'.
struct Joined {
  std::string charset;
  std::string bytes;
  std::string raw;  // all sections concatenated as written, for the unknown-charset fallback
  bool extended = false;
};

void append_section(Joined& j, const RawParam& p, bool first) {
  j.raw += p.value;
  std::string_view v = p.value;
  if (!p.extended) {
    j.bytes += v;
    return;
  }
  j.extended = true;
  if (first) {
    size_t q1 = v.find('\''), q2 = q1 == v.npos ? v.npos : v.find('\'', q1 + 1);
    if (q2 != v.npos) {
      j.charset = std::string(v.substr(0, q1));
      v = v.substr(q2 + 1);
    }
  }
  j.bytes += percent_decode(v);
}

Param finish(const std::string& base, Joined& j) {
  if (!j.extended || j.charset.empty()) return {base, std::move(j.bytes)};
  auto utf8 = convert_to_utf8(j.bytes, j.charset);
  if (!utf8) return {base + "*", std::move(j.raw)};
  return {base, std::move(*utf8)};
}

// Joins name*0, name*1... in section order; stops at the first missing section.
Param join_sections(const std::string& base, std::vector<const RawParam*> secs) {
  std::stable_sort(secs.begin(), secs.end(),
                   [](auto* a, auto* b) { return *a->section < *b->section; });
  Joined j;
  for (size_t i = 0; i < secs.size() && *secs[i]->section == i; ++i)
    append_section(j, *secs[i], i == 0);
  return finish(base, j);
}

std::vector<Param> assemble(const std::vector<RawParam>& raw) {
  std::vector<std::string> order;
  std::map<std::string, std::vector<const RawParam*>> sections;
  std::map<std::string, const RawParam*> whole;
  for (const RawParam& p : raw) {
    if (!sections.count(p.base) && !whole.count(p.base)) order.push_back(p.base);
    if (p.section) sections[p.base].push_back(&p);
    else if (!whole.count(p.base) || (p.extended && !whole[p.base]->extended)) whole[p.base] = &p;
  }
  std::vector<Param> out;
  for (const std::string& base : order) {
    if (whole.count(base) && (whole[base]->extended || !sections.count(base))) {
      Joined j;
      append_section(j, *whole[base], true);
      out.push_back(finish(base, j));
    } else {
      out.push_back(join_sections(base, sections[base]));
    }
  }
  return out;
}

}  // namespace

bool is_mime_token(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), is_token_char);
}

StructuredValue parse_structured_value(std::string_view unfolded) {
  Cursor c(unfolded);
  StructuredValue out;
  out.value = c.main_value();
  out.params = assemble(read_raw_params(c));
  return out;
}

const Param* find_param(const std::vector<Param>& params, std::string_view name) {
  for (const Param& p : params)
    if (p.name == name) return &p;
  return nullptr;
}

}  // namespace kurier::mime
