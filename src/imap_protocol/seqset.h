// IMAP sequence sets: message sequence numbers or UIDs, as in "1:3,5,7:*" or "$".
//   RFC 9051 9 (formal syntax): sequence-set = (seq-number / seq-range) ["," sequence-set]
//       seq-range = seq-number ":" seq-number; seq-number = nz-number / "*"
//     "*" is the largest number in use; "a:b" includes every number between a and b
//     whichever is larger ("*:1" is the same as "1:*"). nz-number is 1 .. 4294967295.
//   RFC 5182 (SEARCHRES): "$" stands for the result saved by SEARCH RETURN (SAVE).
// Formatting turns a list of numbers into the compact form used by COPYUID (RFC 4315),
// VANISHED (RFC 7162) and ESEARCH ALL (RFC 4731).
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "imap_protocol/parsed.h"
#include "store/types.h"

namespace kurier::imap {

inline constexpr uint64_t kSeqStar = UINT64_MAX;   // "*" inside a SeqRange
inline constexpr size_t kDefaultMaxRanges = 10000;

struct SeqRange {
  uint64_t first = 1;  // as written; either end may be kSeqStar
  uint64_t last = 1;
};

struct SequenceSet {
  std::vector<SeqRange> ranges;  // as written, in order
  bool saved_result = false;     // "$": ranges is empty, the session substitutes its saved set

  bool has_star() const;
  // True when n is in the set, "*" meaning max. Always false for "$" (resolve it first).
  bool contains(uint32_t n, uint32_t max) const;
  // Sorted, merged intervals (store::UidRange [first, last], also for sequence numbers) with "*"
  // replaced by max. A range such as "5:*" with max 3 gives [3,5]: RFC 3501 6.4.8 says "559:*"
  // always includes the last message. Not clamped to max.
  store::UidSet resolve(uint32_t max) const;
  // As resolve(), intersected with [1, max].
  store::UidSet resolve_clamped(uint32_t max) const;
  // Highest number written (other than "*"), 0 if none: lets a session reject sequence
  // numbers beyond the mailbox size.
  uint64_t highest_explicit() const;
};

// Strict parse of a whole string; "$" only when allow_saved (SEARCHRES advertised).
Parsed<SequenceSet> parse_sequence_set(std::string_view s, bool allow_saved = true,
                                       size_t max_ranges = kDefaultMaxRanges);

// Writes the set back as written ("1:3,5,*" or "$").
std::string format_sequence_set(const SequenceSet& set);
// Compact form of resolved intervals: "1:3,5".
std::string format_ranges(const store::UidSet& ranges);
// Compact form of numbers after sorting and removing duplicates: {5,1,2,3} -> "1:3,5".
std::string format_number_set(std::vector<uint32_t> numbers);
// Compact form keeping the given order, joining only ascending runs: {3,4,1} -> "3:4,1".
// COPYUID needs this: its source and destination sets must pair up position by position.
std::string format_number_list_in_order(const std::vector<uint32_t>& numbers);
// Merges and sorts arbitrary intervals.
store::UidSet normalize_ranges(store::UidSet ranges);

}  // namespace kurier::imap
