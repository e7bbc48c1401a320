// Implementation of imap_protocol/seqset.h.
#include "imap_protocol/seqset.h"

#include <algorithm>

#include "common/strings.h"

namespace kurier::imap {
namespace {

constexpr uint64_t kMaxNz = 4294967295ull;

Parsed<uint64_t> parse_seq_number(std::string_view s) {
  if (s == "*") return Parsed<uint64_t>::ok(kSeqStar);
  if (s.empty()) return Parsed<uint64_t>::fail("Empty number in sequence set");
  if (s[0] == '0') return Parsed<uint64_t>::fail("Sequence numbers start at 1 (0 or leading zero given)");
  auto n = s.size() <= 10 ? parse_uint(s) : std::nullopt;
  if (!n) return Parsed<uint64_t>::fail("Invalid number in sequence set");
  if (*n > kMaxNz) return Parsed<uint64_t>::fail("Sequence number above 4294967295");
  return Parsed<uint64_t>::ok(*n);
}

uint32_t resolve_one(uint64_t v, uint32_t max) { return v == kSeqStar ? max : uint32_t(v); }

void append_interval(std::string& out, uint32_t low, uint32_t high) {
  if (!out.empty()) out += ',';
  out += std::to_string(low);
  if (high != low) out += ':' + std::to_string(high);
}

}  // namespace

bool SequenceSet::has_star() const {
  return std::any_of(ranges.begin(), ranges.end(),
                     [](const SeqRange& r) { return r.first == kSeqStar || r.last == kSeqStar; });
}

bool SequenceSet::contains(uint32_t n, uint32_t max) const {
  for (const auto& r : ranges) {
    uint32_t a = resolve_one(r.first, max), b = resolve_one(r.last, max);
    if (std::min(a, b) <= n && n <= std::max(a, b)) return true;
  }
  return false;
}

store::UidSet SequenceSet::resolve(uint32_t max) const {
  store::UidSet out;
  out.reserve(ranges.size());
  for (const auto& r : ranges) {
    uint32_t a = resolve_one(r.first, max), b = resolve_one(r.last, max);
    if (a == 0 && b == 0) continue;  // "*" in an empty mailbox
    out.push_back({std::max<uint32_t>(1, std::min(a, b)), std::max(a, b)});
  }
  return normalize_ranges(std::move(out));
}

store::UidSet SequenceSet::resolve_clamped(uint32_t max) const {
  store::UidSet out;
  for (auto r : resolve(max)) {
    if (r.first > max) break;
    r.last = std::min(r.last, max);
    out.push_back(r);
  }
  return out;
}

uint64_t SequenceSet::highest_explicit() const {
  uint64_t h = 0;
  for (const auto& r : ranges) {
    if (r.first != kSeqStar) h = std::max(h, r.first);
    if (r.last != kSeqStar) h = std::max(h, r.last);
  }
  return h;
}

store::UidSet normalize_ranges(store::UidSet ranges) {
  std::sort(ranges.begin(), ranges.end(),
            [](const store::UidRange& a, const store::UidRange& b) { return a.first < b.first; });
  store::UidSet out;
  for (const auto& r : ranges) {
    if (!out.empty() && uint64_t(r.first) <= uint64_t(out.back().last) + 1)
      out.back().last = std::max(out.back().last, r.last);
    else
      out.push_back(r);
  }
  return out;
}

Parsed<SequenceSet> parse_sequence_set(std::string_view s, bool allow_saved, size_t max_ranges) {
  SequenceSet set;
  if (s == "$") {
    if (!allow_saved) return Parsed<SequenceSet>::fail("\"$\" is not allowed here");
    set.saved_result = true;
    return Parsed<SequenceSet>::ok(std::move(set));
  }
  if (s.empty()) return Parsed<SequenceSet>::fail("Empty sequence set");
  for (std::string_view item : split(s, ',')) {
    if (set.ranges.size() >= max_ranges)
      return Parsed<SequenceSet>::fail("Sequence set has too many ranges");
    size_t colon = item.find(':');
    auto first = parse_seq_number(item.substr(0, colon));
    if (!first) return Parsed<SequenceSet>::fail(first.error);
    SeqRange r{*first, *first};
    if (colon != std::string_view::npos) {
      auto last = parse_seq_number(item.substr(colon + 1));
      if (!last) return Parsed<SequenceSet>::fail(last.error);
      r.last = *last;
    }
    set.ranges.push_back(r);
  }
  return Parsed<SequenceSet>::ok(std::move(set));
}

std::string format_sequence_set(const SequenceSet& set) {
  if (set.saved_result) return "$";
  std::string out;
  auto num = [](uint64_t v) { return v == kSeqStar ? std::string("*") : std::to_string(v); };
  for (const auto& r : set.ranges) {
    if (!out.empty()) out += ',';
    out += num(r.first);
    if (r.last != r.first) out += ':' + num(r.last);
  }
  return out;
}

std::string format_ranges(const store::UidSet& ranges) {
  std::string out;
  for (const auto& r : ranges) append_interval(out, r.first, r.last);
  return out;
}

std::string format_number_set(std::vector<uint32_t> numbers) {
  std::sort(numbers.begin(), numbers.end());
  numbers.erase(std::unique(numbers.begin(), numbers.end()), numbers.end());
  return format_number_list_in_order(numbers);
}

std::string format_number_list_in_order(const std::vector<uint32_t>& numbers) {
  std::string out;
  size_t i = 0;
  while (i < numbers.size()) {
    size_t j = i;
    while (j + 1 < numbers.size() && numbers[j] != UINT32_MAX && numbers[j + 1] == numbers[j] + 1) ++j;
    append_interval(out, numbers[i], numbers[j]);
    i = j + 1;
  }
  return out;
}

}  // namespace kurier::imap
