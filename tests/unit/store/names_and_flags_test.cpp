#include <gtest/gtest.h>

#include "store/errors.h"
#include "store/flags.h"
#include "store/mailbox_name.h"
#include "store/uid_set.h"

namespace kurier::store {
namespace {

TEST(MailboxNameTest, NormalizesInboxCaseOnly) {
  EXPECT_EQ(normalize_mailbox_name("inbox"), "INBOX");
  EXPECT_EQ(normalize_mailbox_name("InBox/Sub"), "INBOX/Sub");
  EXPECT_EQ(normalize_mailbox_name("Inboxes"), "Inboxes");
  EXPECT_EQ(normalize_mailbox_name("Sent"), "Sent");
  EXPECT_EQ(normalize_mailbox_name("Entwürfe"), "Entwürfe");
}

TEST(MailboxNameTest, RejectsMalformedNames) {
  for (const std::string& bad : std::vector<std::string>{"", "/a", "a/", "a//b", "a*", "b%", std::string("a\0b", 3), "a\r\n",
                          "\xc3\x28", "\xed\xa0\x80", std::string(1001, 'x')}) {
    EXPECT_THROW(normalize_mailbox_name(bad), StoreError) << bad;
  }
  std::string deep = "a";
  for (int i = 0; i < 40; ++i) deep += "/a";
  EXPECT_THROW(normalize_mailbox_name(deep), StoreError);
}

TEST(MailboxNameTest, Hierarchy) {
  EXPECT_EQ(ancestor_names("a/b/c"), (std::vector<std::string>{"a", "a/b"}));
  EXPECT_TRUE(ancestor_names("a").empty());
  EXPECT_TRUE(is_inferior("a/b", "a"));
  EXPECT_FALSE(is_inferior("ab", "a"));
  EXPECT_FALSE(is_inferior("a", "a"));
}

TEST(FlagsTest, CanonicalDeduplicatesAndSorts) {
  Flags f;
  f.system = kSeen;
  f.keywords = {"$Junk", "Work", "$junk", "alpha"};
  Flags c = canonical_flags(f);
  EXPECT_EQ(c.keywords, (std::vector<std::string>{"$Junk", "alpha", "Work"}));
  EXPECT_EQ(c.system, kSeen);
}

TEST(FlagsTest, RejectsBadKeywords) {
  for (const std::string& bad : std::vector<std::string>{"", "two words", "\\Seen", "a(b", "x]", "quote\"", "star*",
                          std::string(200, 'k'), "caf\xc3\xa9"}) {
    Flags f;
    f.keywords = {bad};
    EXPECT_THROW(canonical_flags(f), StoreError) << bad;
  }
  Flags bits;
  bits.system = 1u << 10;
  EXPECT_THROW(canonical_flags(bits), StoreError);
}

TEST(FlagsTest, ApplyAddRemoveReplace) {
  Flags current{kSeen, {"A", "b"}};
  Flags change{kFlagged | kSeen, {"B", "c"}};
  EXPECT_EQ(apply_flags(current, FlagMode::add, change), (Flags{kSeen | kFlagged, {"A", "b", "c"}}));
  EXPECT_EQ(apply_flags(current, FlagMode::remove, change), (Flags{0, {"A"}}));
  EXPECT_EQ(apply_flags(current, FlagMode::replace, change), change);
}

TEST(FlagsTest, KeywordColumnRoundTrip) {
  std::vector<std::string> kw = {"$Forwarded", "Work"};
  EXPECT_EQ(split_keywords(join_keywords(kw)), kw);
  EXPECT_TRUE(split_keywords("").empty());
}

TEST(UidSetTest, NormalizeMergesAndOrders) {
  UidSet set = normalize_uid_set({{9, 7}, {1, 3}, {4, 4}, {20, 30}, {25, 40}});
  ASSERT_EQ(set.size(), 3u);
  EXPECT_EQ(set[0].first, 1u);
  EXPECT_EQ(set[0].last, 4u);
  EXPECT_EQ(set[1].first, 7u);
  EXPECT_EQ(set[1].last, 9u);
  EXPECT_EQ(set[2].first, 20u);
  EXPECT_EQ(set[2].last, 40u);
  EXPECT_TRUE(uid_set_contains(set, 8));
  EXPECT_FALSE(uid_set_contains(set, 5));
  EXPECT_FALSE(uid_set_contains(set, 41));
  EXPECT_THROW(normalize_uid_set({{0, 5}}), StoreError);
  EXPECT_EQ(normalize_uid_set({{UINT32_MAX, 1}}).size(), 1u);
}

}  // namespace
}  // namespace kurier::store
