// Comparators and match types; see match.h.
#include "sieve/match.h"

#include <regex.h>
#include <string.h>

#include "common/strings.h"

namespace kurier::sieve {
namespace {

// Bytes of the UTF-8 character starting with lead byte b (1 for a stray byte).
size_t utf8_char_size(unsigned char b) {
  if (b < 0xC0) return 1;
  if (b < 0xE0) return 2;
  if (b < 0xF0) return 3;
  if (b < 0xF8) return 4;
  return 1;
}

struct GlobToken {
  enum class Kind { literal, one, many } kind;
  char c = 0;
};
using Segment = std::vector<GlobToken>;

// Splits a pattern at its "*"s: n stars give n + 1 segments of literals and "?".
std::vector<Segment> split_pattern(std::string_view pattern) {
  std::vector<Segment> segments(1);
  for (size_t i = 0; i < pattern.size(); ++i) {
    char ch = pattern[i];
    if (ch == '\\' && i + 1 < pattern.size()) {
      segments.back().push_back({GlobToken::Kind::literal, pattern[++i]});
    } else if (ch == '*') {
      segments.emplace_back();
    } else if (ch == '?') {
      segments.back().push_back({GlobToken::Kind::one, 0});
    } else {
      segments.back().push_back({GlobToken::Kind::literal, ch});
    }
  }
  return segments;
}

// Matches a star-free segment at value[pos...] (octet comparison: the caller folds for
// casemap); on success sets end and appends the "?" captures, taken from `original` (the
// unfolded value, same offsets).
bool segment_at(std::string_view value, std::string_view original, size_t pos, const Segment& seg, size_t& end,
                std::vector<std::string>* caps) {
  size_t first_cap = caps ? caps->size() : 0;
  for (const GlobToken& t : seg) {
    bool ok = pos < value.size() && (t.kind != GlobToken::Kind::literal || value[pos] == t.c);
    if (!ok) {
      if (caps) caps->resize(first_cap);
      return false;
    }
    if (t.kind == GlobToken::Kind::literal) {
      ++pos;
    } else {
      size_t n = std::min(utf8_char_size(static_cast<unsigned char>(value[pos])), value.size() - pos);
      if (caps) caps->emplace_back(original.substr(pos, n));
      pos += n;
    }
  }
  end = pos;
  return true;
}

constexpr uint64_t kMaxGlobWork = uint64_t(1) << 24;  // character comparisons per glob_match

// The first position >= from where needle occurs; glibc's memmem is the two-way algorithm,
// linear in the worst case. Case-insensitive search folds copies first.
size_t find_from(Comparator c, std::string_view hay, size_t from, std::string_view needle) {
  if (from > hay.size()) return std::string_view::npos;
  if (needle.empty()) return from;
  std::string_view h = hay.substr(from), n = needle;
  std::string folded_hay, folded_needle;
  if (c != Comparator::octet) {
    folded_hay = to_lower(h);
    folded_needle = to_lower(n);
    h = folded_hay;
    n = folded_needle;
  }
  const void* hit = memmem(h.data(), h.size(), n.data(), n.size());
  if (!hit) return std::string_view::npos;
  return from + size_t(static_cast<const char*>(hit) - h.data());
}

bool is_literal(const Segment& seg) {
  for (const GlobToken& t : seg)
    if (t.kind != GlobToken::Kind::literal) return false;
  return true;
}

std::string literal_text(const Segment& seg) {
  std::string out;
  for (const GlobToken& t : seg) out += t.c;
  return out;
}

size_t leading_digits(std::string_view s) {
  size_t n = 0;
  while (n < s.size() && s[n] >= '0' && s[n] <= '9') ++n;
  return n;
}

int compare_numeric(std::string_view a, std::string_view b) {
  size_t na = leading_digits(a), nb = leading_digits(b);
  if (na == 0 || nb == 0) return (na == 0 ? 1 : 0) - (nb == 0 ? 1 : 0);  // infinity
  std::string_view da = a.substr(0, na), db = b.substr(0, nb);
  while (da.size() > 1 && da[0] == '0') da.remove_prefix(1);
  while (db.size() > 1 && db[0] == '0') db.remove_prefix(1);
  if (da.size() != db.size()) return da.size() < db.size() ? -1 : 1;
  int r = da.compare(db);
  return r < 0 ? -1 : (r > 0 ? 1 : 0);
}

}  // namespace

std::optional<Comparator> comparator_from_name(std::string_view name) {
  if (iequals(name, "i;octet")) return Comparator::octet;
  if (iequals(name, "i;ascii-casemap")) return Comparator::ascii_casemap;
  if (iequals(name, "i;ascii-numeric")) return Comparator::ascii_numeric;
  return std::nullopt;
}

std::optional<Relation> relation_from_name(std::string_view name) {
  static constexpr std::pair<std::string_view, Relation> names[] = {
      {"gt", Relation::gt}, {"ge", Relation::ge}, {"lt", Relation::lt},
      {"le", Relation::le}, {"eq", Relation::eq}, {"ne", Relation::ne}};
  for (const auto& [n, r] : names)
    if (iequals(name, n)) return r;
  return std::nullopt;
}

bool supports(Comparator c, MatchType m) {
  if (c != Comparator::ascii_numeric) return true;
  return m == MatchType::is || m == MatchType::value || m == MatchType::count;
}

int compare(Comparator c, std::string_view a, std::string_view b) {
  if (c == Comparator::ascii_numeric) return compare_numeric(a, b);
  size_t n = std::min(a.size(), b.size());
  for (size_t i = 0; i < n; ++i) {
    unsigned char x = static_cast<unsigned char>(c == Comparator::octet ? a[i] : ascii_lower(a[i]));
    unsigned char y = static_cast<unsigned char>(c == Comparator::octet ? b[i] : ascii_lower(b[i]));
    if (x != y) return x < y ? -1 : 1;
  }
  if (a.size() == b.size()) return 0;
  return a.size() < b.size() ? -1 : 1;
}

bool relation_holds(Relation r, int o) {
  switch (r) {
    case Relation::gt: return o > 0;
    case Relation::ge: return o >= 0;
    case Relation::lt: return o < 0;
    case Relation::le: return o <= 0;
    case Relation::eq: return o == 0;
    case Relation::ne: return o != 0;
  }
  return false;
}

bool contains(Comparator c, std::string_view haystack, std::string_view needle) {
  return find_from(c, haystack, 0, needle) != std::string_view::npos;
}

// The segments between stars are placed as early as possible, which is both correct (an
// earlier place never leaves less room for the rest) and the non-greedy capture RFC 5229 wants;
// the last segment is anchored at the end. Under i;ascii-casemap the value and the pattern are
// folded once (ASCII folding keeps byte offsets, so captures come from the original value).
bool glob_match(Comparator c, std::string_view original, std::string_view pattern,
                std::vector<std::string>* caps) {
  std::string folded_value, folded_pattern;
  std::string_view value = original;
  if (c != Comparator::octet) {
    folded_value = to_lower(original);
    value = folded_value;
    folded_pattern = to_lower(pattern);
    pattern = folded_pattern;
  }
  std::vector<Segment> segments = split_pattern(pattern);
  std::vector<std::string> local;
  std::vector<std::string>* out = caps ? &local : nullptr;
  auto piece = [&](size_t from, size_t n) { return std::string(original.substr(from, n)); };
  if (out) out->push_back(std::string(original));
  size_t end = 0;
  if (!segment_at(value, original, 0, segments[0], end, out)) return false;
  size_t pos = end;
  if (segments.size() == 1) {
    if (pos != value.size()) return false;
    if (caps) *caps = std::move(local);
    return true;
  }
  uint64_t work = 0;
  for (size_t s = 1; s + 1 < segments.size(); ++s) {
    const Segment& seg = segments[s];
    size_t start = std::string_view::npos;
    if (is_literal(seg)) {
      start = find_from(Comparator::octet, value, pos, literal_text(seg));
      if (start != std::string_view::npos) end = start + seg.size();
    } else {
      for (size_t at = pos; at <= value.size(); ++at) {
        work += seg.size();
        if (work > kMaxGlobWork) throw MatchTooComplex{};
        if (segment_at(value, original, at, seg, end, nullptr)) {
          start = at;
          break;
        }
      }
    }
    if (start == std::string_view::npos) return false;
    if (out) {
      out->push_back(piece(pos, start - pos));  // the "*" before this segment
      segment_at(value, original, start, seg, end, out);
    }
    pos = end;
  }
  // The last segment ends the value: try the starts from the left (a "?" may span bytes).
  const Segment& last = segments.back();
  size_t first_start = value.size() >= last.size() * 4 ? std::max(pos, value.size() - last.size() * 4) : pos;
  for (size_t start = first_start; start <= value.size(); ++start) {
    std::vector<std::string> tail;
    work += last.size() + 1;
    if (work > kMaxGlobWork) throw MatchTooComplex{};
    if (!segment_at(value, original, start, last, end, out ? &tail : nullptr) || end != value.size())
      continue;
    if (out) {
      out->push_back(piece(pos, start - pos));
      for (std::string& t : tail) out->push_back(std::move(t));
      *caps = std::move(local);
    }
    return true;
  }
  return false;
}

struct Regex::Impl {
  regex_t re;
};

namespace {

// Back-references are not part of POSIX extended expressions (glibc accepts them anyway) and
// make matching exponential, so they are refused; so are very long patterns.
bool has_back_reference(std::string_view pattern) {
  for (size_t i = 0; i + 1 < pattern.size(); ++i) {
    if (pattern[i] != '\\') continue;
    if (pattern[i + 1] >= '1' && pattern[i + 1] <= '9') return true;
    ++i;
  }
  return false;
}

constexpr size_t kMaxPattern = 4096;
constexpr size_t kMaxRegexSubject = 64 * 1024;

}  // namespace

std::shared_ptr<const Regex> Regex::compile(std::string_view pattern, bool icase, std::string* error) {
  if (pattern.size() > kMaxPattern) {
    if (error) *error = "pattern too long";
    return nullptr;
  }
  if (has_back_reference(pattern)) {
    if (error) *error = "back-references are not supported";
    return nullptr;
  }
  auto r = std::shared_ptr<Regex>(new Regex());
  r->impl_ = std::make_unique<Impl>();
  std::string p(pattern);
  int rc = regcomp(&r->impl_->re, p.c_str(), REG_EXTENDED | (icase ? REG_ICASE : 0));
  if (rc != 0) {
    char buf[256];
    regerror(rc, &r->impl_->re, buf, sizeof buf);
    if (error) *error = buf;
    r->impl_.reset();
    return nullptr;
  }
  return r;
}

Regex::~Regex() {
  if (impl_) regfree(&impl_->re);
}

bool Regex::search(std::string_view value, std::vector<std::string>* captures) const {
  std::string subject(value.substr(0, kMaxRegexSubject));
  regmatch_t m[10];
  if (regexec(&impl_->re, subject.c_str(), 10, m, 0) != 0) return false;
  if (captures) {
    captures->clear();
    for (const regmatch_t& g : m) {
      if (g.rm_so < 0) captures->emplace_back();
      else captures->push_back(subject.substr(size_t(g.rm_so), size_t(g.rm_eo - g.rm_so)));
    }
  }
  return true;
}

size_t utf8_length(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s)
    if ((c & 0xC0) != 0x80) ++n;
  return n;
}

}  // namespace kurier::sieve
