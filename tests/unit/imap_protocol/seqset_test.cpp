#include "imap_protocol/seqset.h"

#include <gtest/gtest.h>

namespace kurier::imap {
namespace {

SequenceSet parse(std::string_view s) {
  auto p = parse_sequence_set(s);
  EXPECT_TRUE(p) << s << ": " << p.error;
  return p ? *p : SequenceSet{};
}

TEST(SeqSet, ParsesAndFormatsBack) {
  for (const char* s : {"1", "1:3,5,7:*", "*", "*:1", "4294967295", "1:4294967295", "2,1,3"})
    EXPECT_EQ(format_sequence_set(parse(s)), s);
}

TEST(SeqSet, SavedResult) {
  auto p = parse_sequence_set("$");
  ASSERT_TRUE(p);
  EXPECT_TRUE(p->saved_result);
  EXPECT_EQ(format_sequence_set(*p), "$");
  EXPECT_FALSE(parse_sequence_set("$", false));
  EXPECT_FALSE(parse_sequence_set("1,$"));
}

TEST(SeqSet, RejectsInvalid) {
  for (const char* s : {"", "0", "0:5", "5:0", "01", "4294967296", "99999999999", "1:", ":1",
                        "1,,2", "1,", ",1", "1:2:3", "a", "1 2", "-1", "**", "1:*:*", "$:1"})
    EXPECT_FALSE(parse_sequence_set(s)) << s;
}

TEST(SeqSet, RangeLimit) {
  std::string many;
  for (int i = 1; i <= 11; ++i) {
    if (i > 1) many += ',';
    many += std::to_string(i);
  }
  EXPECT_TRUE(parse_sequence_set(many, true, 11));
  EXPECT_FALSE(parse_sequence_set(many, true, 10));
}

TEST(SeqSet, ContainsWithStar) {
  auto s = parse("1:3,5,7:*");
  EXPECT_TRUE(s.contains(1, 10));
  EXPECT_TRUE(s.contains(3, 10));
  EXPECT_FALSE(s.contains(4, 10));
  EXPECT_TRUE(s.contains(5, 10));
  EXPECT_FALSE(s.contains(6, 10));
  EXPECT_TRUE(s.contains(10, 10));
  EXPECT_FALSE(s.contains(11, 10));
  EXPECT_TRUE(s.has_star());
  EXPECT_FALSE(parse("1:3").has_star());
}

TEST(SeqSet, ReversedRangesAreTheSame) {
  EXPECT_EQ(parse("*:1").resolve(5), parse("1:*").resolve(5));
  EXPECT_EQ(parse("9:3").resolve(20), (store::UidSet{{3, 9}}));
  EXPECT_TRUE(parse("*:4").contains(6, 8));
}

TEST(SeqSet, ResolveMergesAndSorts) {
  auto r = parse("7:*,1:3,2,4,20").resolve(10);
  EXPECT_EQ(r, (store::UidSet{{1, 4}, {7, 10}, {20, 20}}));
  EXPECT_EQ(format_ranges(r), "1:4,7:10,20");
  EXPECT_EQ(parse("7:*,1:3,20").resolve_clamped(10), (store::UidSet{{1, 3}, {7, 10}}));
}

TEST(SeqSet, StarBelowLowestIncludesLast) {
  // RFC 3501 6.4.8: "559:*" always includes the last message even above the highest UID.
  auto r = parse("559:*").resolve(100);
  EXPECT_EQ(r, (store::UidSet{{100, 559}}));
  EXPECT_EQ(parse("559:*").resolve_clamped(100), (store::UidSet{{100, 100}}));
}

TEST(SeqSet, EmptyMailbox) {
  EXPECT_TRUE(parse("*").resolve(0).empty());
  EXPECT_TRUE(parse("1:*").resolve_clamped(0).empty());
  EXPECT_FALSE(parse("*").contains(1, 0));
}

TEST(SeqSet, MaxBound) {
  auto s = parse("4294967290:4294967295");
  EXPECT_TRUE(s.contains(4294967295u, 4294967295u));
  EXPECT_EQ(s.resolve(1), (store::UidSet{{4294967290u, 4294967295u}}));
  EXPECT_EQ(s.highest_explicit(), 4294967295u);
  EXPECT_EQ(format_number_set({4294967294u, 4294967295u}), "4294967294:4294967295");
}

TEST(SeqSet, FormatNumbers) {
  EXPECT_EQ(format_number_set({}), "");
  EXPECT_EQ(format_number_set({5, 1, 2, 3, 3}), "1:3,5");
  EXPECT_EQ(format_number_set({9}), "9");
  EXPECT_EQ(format_number_list_in_order({3, 4, 1, 7, 8, 9}), "3:4,1,7:9");
}

}  // namespace
}  // namespace kurier::imap
