// Unit tests for the pure pieces of the IMAP session: MailboxView (sequence numbers <-> UIDs,
// RFC 9051 2.3.1.2).
#include <gtest/gtest.h>

#include "imap/mailbox_view.h"
#include "imap_protocol/seqset.h"

namespace kurier::imap {
namespace {

MailboxView view_of(std::initializer_list<store::Uid> uids) {
  std::vector<MailboxView::Entry> e;
  for (auto u : uids) e.push_back({u, 1});
  return MailboxView(std::move(e));
}

SequenceSet set(std::string_view s) { return *parse_sequence_set(s); }

TEST(MailboxView, MapsSequenceNumbersAndUids) {
  auto v = view_of({3, 7, 9, 20});
  EXPECT_EQ(v.size(), 4u);
  EXPECT_EQ(v.seq_of(9), 3u);
  EXPECT_EQ(v.seq_of(8), 0u);
  EXPECT_EQ(v.uid_at(4), 20u);
  EXPECT_EQ(v.max_uid(), 20u);
}

TEST(MailboxView, RemoveShiftsLaterSequenceNumbers) {
  auto v = view_of({3, 7, 9, 20});
  EXPECT_EQ(v.remove(7), 2u);
  EXPECT_EQ(v.remove(7), 0u);
  EXPECT_EQ(v.seq_of(9), 2u);
  EXPECT_EQ(v.seq_of(20), 3u);
}

TEST(MailboxView, AppendOnlyAcceptsHigherUids) {
  auto v = view_of({3});
  EXPECT_TRUE(v.append(4, 2));
  EXPECT_FALSE(v.append(4, 2));
  EXPECT_FALSE(v.append(1, 2));
  EXPECT_EQ(v.modseq_of(4), 2u);
  v.set_modseq(4, 9);
  EXPECT_EQ(v.modseq_of(4), 9u);
}

TEST(MailboxView, ResolvesMessageSequenceSets) {
  auto v = view_of({3, 7, 9, 20});
  EXPECT_EQ(*v.resolve_seqs(set("2:*")), (std::vector<uint32_t>{2, 3, 4}));
  EXPECT_EQ(*v.resolve_seqs(set("*")), (std::vector<uint32_t>{4}));
  EXPECT_EQ(*v.resolve_seqs(set("4,1,2:1")), (std::vector<uint32_t>{1, 2, 4}));
  EXPECT_FALSE(v.resolve_seqs(set("5")));  // beyond the mailbox: BAD
  auto empty = view_of({});
  EXPECT_TRUE(empty.resolve_seqs(set("1:*"))->empty());
  EXPECT_FALSE(empty.resolve_seqs(set("1")));
}

TEST(MailboxView, ResolvesUidSetsToKnownMessagesOnly) {
  auto v = view_of({3, 7, 9, 20});
  EXPECT_EQ(v.resolve_uids(set("1:8")), (std::vector<uint32_t>{1, 2}));
  EXPECT_EQ(v.resolve_uids(set("10:15")), (std::vector<uint32_t>{}));
  // RFC 9051 6.4.8: "*" is the highest UID, so "25:*" still names the last message.
  EXPECT_EQ(v.resolve_uids(set("25:*")), (std::vector<uint32_t>{4}));
  EXPECT_TRUE(view_of({}).resolve_uids(set("1:*")).empty());
}

TEST(MailboxView, UidSetsAreMerged) {
  auto s = store::uid_set_of({5, 1, 2, 3, 9, 10});
  ASSERT_EQ(s.size(), 3u);
  EXPECT_EQ(s[0].first, 1u);
  EXPECT_EQ(s[0].last, 3u);
  EXPECT_EQ(s[1].first, 5u);
  EXPECT_EQ(s[2].last, 10u);
}

}  // namespace
}  // namespace kurier::imap

#include "imap_protocol/list_pattern.h"

namespace kurier::imap {
namespace {

TEST(ListPattern, WildcardsFollowRfc9051) {
  EXPECT_TRUE(list_pattern_matches("*", "a/b/c"));
  EXPECT_TRUE(list_pattern_matches("%", "INBOX"));
  EXPECT_FALSE(list_pattern_matches("%", "a/b"));
  EXPECT_TRUE(list_pattern_matches("a/%", "a/b"));
  EXPECT_FALSE(list_pattern_matches("a/%", "a/b/c"));
  EXPECT_TRUE(list_pattern_matches("a/*", "a/b/c"));
  EXPECT_TRUE(list_pattern_matches("%/%/c", "a/b/c"));
  EXPECT_TRUE(list_pattern_matches("Pro*s", "Projects"));
  EXPECT_FALSE(list_pattern_matches("Pro*s", "Project"));
  EXPECT_FALSE(list_pattern_matches("", "a"));
  EXPECT_TRUE(list_pattern_matches("", ""));
  EXPECT_TRUE(list_pattern_matches("a%", "a"));
}

TEST(ListPattern, ManyWildcardsStayFast) {
  std::string pattern(2000, '*');
  pattern += "x";
  std::string name(1000, 'a');
  EXPECT_FALSE(list_pattern_matches(pattern, name));
}

// RFC 3501 2.3.2: \Recent belongs to the session that claimed the messages; an expunged
// message leaves the count.
TEST(MailboxView, RecentFollowsClaimsAppendsAndExpunges) {
  auto v = view_of({3, 7, 9});
  EXPECT_EQ(v.recent_count(), 0u);
  v.mark_recent_from(7);
  EXPECT_FALSE(v.is_recent(3));
  EXPECT_TRUE(v.is_recent(7));
  EXPECT_TRUE(v.is_recent(9));
  EXPECT_TRUE(v.append(12, 2, true));
  EXPECT_TRUE(v.append(13, 2));
  EXPECT_EQ(v.recent_count(), 3u);
  v.remove(9);
  EXPECT_EQ(v.recent_count(), 2u);
  EXPECT_FALSE(v.is_recent(13));
  EXPECT_FALSE(v.is_recent(99));
}

}  // namespace
}  // namespace kurier::imap
