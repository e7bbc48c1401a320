// UID sets as the store takes them: inclusive ranges, normalized before use so queries return
// each message once and in UID order (RFC 9051 9: "seq-range ... 4:2 is equivalent to 2:4").
#pragma once
#include "store/types.h"

namespace kurier::store {

constexpr size_t kMaxUidRanges = 100000;

// Orders each range, sorts and merges overlapping/adjacent ranges. Throws
// StoreError(invalid_argument) on UID 0 or more than kMaxUidRanges ranges.
UidSet normalize_uid_set(const UidSet& uids);

bool uid_set_contains(const UidSet& normalized, Uid uid);

// The UIDs of a list (any order, repeats allowed) as sorted, merged ranges.
UidSet uid_set_of(std::vector<Uid> uids);

}  // namespace kurier::store
