#include "store/uid_set.h"

#include <algorithm>

#include "store/errors.h"

namespace kurier::store {

UidSet normalize_uid_set(const UidSet& uids) {
  if (uids.size() > kMaxUidRanges)
    throw StoreError(StoreErrc::invalid_argument, "UID set has too many ranges");
  UidSet ranges;
  ranges.reserve(uids.size());
  for (auto range : uids) {
    if (range.first > range.last) std::swap(range.first, range.last);
    if (range.first == 0) throw StoreError(StoreErrc::invalid_argument, "UID 0 is not valid");
    ranges.push_back(range);
  }
  std::sort(ranges.begin(), ranges.end(),
            [](const UidRange& a, const UidRange& b) { return a.first < b.first; });
  UidSet merged;
  for (const auto& range : ranges) {
    if (!merged.empty() && uint64_t(range.first) <= uint64_t(merged.back().last) + 1)
      merged.back().last = std::max(merged.back().last, range.last);
    else
      merged.push_back(range);
  }
  return merged;
}

bool uid_set_contains(const UidSet& normalized, Uid uid) {
  auto it = std::upper_bound(normalized.begin(), normalized.end(), uid,
                             [](Uid u, const UidRange& r) { return u < r.first; });
  return it != normalized.begin() && std::prev(it)->last >= uid;
}

UidSet uid_set_of(std::vector<Uid> uids) {
  std::sort(uids.begin(), uids.end());
  UidSet out;
  for (Uid u : uids) {
    if (!out.empty() && (out.back().last == u || out.back().last + 1 == u))
      out.back().last = u;
    else
      out.push_back({u, u});
  }
  return out;
}

}  // namespace kurier::store
