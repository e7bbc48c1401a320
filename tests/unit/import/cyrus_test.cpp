// Cyrus cyrus.header and cyrus.index in the layout cyrus-imapd 3.6 writes (import/cyrus.h).
// The real files a running Cyrus wrote are read by tests/integration/test_import.py.
#include <gtest/gtest.h>

#include "import/cyrus.h"

namespace kurier::mail_import {
namespace {

void put32(std::string& b, size_t at, uint32_t v) {
  b[at] = char(v >> 24);
  b[at + 1] = char(v >> 16);
  b[at + 2] = char(v >> 8);
  b[at + 3] = char(v);
}

struct Rec {
  uint32_t uid, date, flags, user0;
};

// Version 17: a 160-byte header, 112-byte records, CRC32 in the last 4 bytes of each.
std::string make_index(const std::vector<Rec>& recs, uint32_t version = 17) {
  std::string b(160, '\0');
  put32(b, 8, version);
  put32(b, 12, 160);
  put32(b, 16, 112);
  put32(b, 20, uint32_t(recs.size()));
  put32(b, 28, recs.empty() ? 0 : recs.back().uid);
  put32(b, 44, 1699999999);
  put32(b, 156, cyrus_crc32(std::string_view(b).substr(0, 156)));
  for (const auto& r : recs) {
    std::string rec(112, '\0');
    put32(rec, 0, r.uid);
    put32(rec, 4, r.date);
    put32(rec, 12, 100);
    put32(rec, 32, r.flags);
    put32(rec, 36, r.user0);
    put32(rec, 108, cyrus_crc32(std::string_view(rec).substr(0, 108)));
    b += rec;
  }
  return b;
}

TEST(CyrusIndex, ReadsHeaderAndRecords) {
  std::string err;
  auto idx = parse_cyrus_index(make_index({{1, 1700000000, 0x10 | 0x1, 0}, {4, 1700000100, 0x2 | 0x80000000u, 0x5}}), err);
  ASSERT_TRUE(idx) << err;
  EXPECT_EQ(idx->header.uidvalidity, 1699999999u);
  EXPECT_EQ(idx->header.minor_version, 17u);
  ASSERT_EQ(idx->records.size(), 2u);
  EXPECT_EQ(idx->records[0].uid, 1u);
  EXPECT_EQ(idx->records[0].internal_date, 1700000000);
  EXPECT_FALSE(idx->records[0].expunged());
  EXPECT_TRUE(idx->records[1].expunged());
  CyrusHeader h;
  h.user_flags = {"$Work", "Bad Flag", "Later"};
  auto f0 = cyrus_flags(idx->records[0], h);
  EXPECT_EQ(f0.system, store::kSeen | store::kAnswered);
  auto f1 = cyrus_flags(idx->records[1], h);
  EXPECT_EQ(f1.system, uint32_t(store::kFlagged));
  EXPECT_EQ(f1.keywords, (std::vector<std::string>{"$Work", "Later"}));
}

TEST(CyrusIndex, DamageIsReportedNotMisread) {
  std::string err;
  std::string good = make_index({{1, 1, 0, 0}, {2, 2, 0, 0}});
  EXPECT_FALSE(parse_cyrus_index(good.substr(0, 30), err));
  EXPECT_NE(err.find("truncated"), std::string::npos);
  auto cut = parse_cyrus_index(good.substr(0, good.size() - 50), err);
  ASSERT_TRUE(cut);
  EXPECT_EQ(cut->records.size(), 1u);
  EXPECT_EQ(cut->errors.size(), 1u);
  std::string flipped = good;
  flipped[160 + 112 + 5] ^= 1;  // the second record's date
  auto bad = parse_cyrus_index(flipped, err);
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->records.size(), 1u);
  EXPECT_NE(bad->errors[0].find("checksum"), std::string::npos);
  std::string header_hit = good;
  header_hit[44] ^= 1;
  EXPECT_FALSE(parse_cyrus_index(header_hit, err));
  EXPECT_FALSE(parse_cyrus_index(make_index({}, 20), err));
  EXPECT_NE(err.find("version 20"), std::string::npos);
}

TEST(CyrusHeader, MagicIdsAndUserFlags) {
  std::string text =
      "\241\002\213\015Cyrus mailbox header\n"
      "\"The best thing about this system was that it had lots of goals.\"\n"
      "\t--Jim Morris on Andrew\n"
      "user.bob\t4f1c2b7e-uuid\n"
      "$Work Later \n"
      "bob\tlrswipkxtecdan\t\n";
  std::string err;
  auto h = parse_cyrus_header(text, err);
  ASSERT_TRUE(h) << err;
  EXPECT_EQ(h->quotaroot, "user.bob");
  EXPECT_EQ(h->uniqueid, "4f1c2b7e-uuid");
  EXPECT_EQ(h->user_flags, (std::vector<std::string>{"$Work", "Later"}));
  EXPECT_FALSE(parse_cyrus_header("not a header", err));
  EXPECT_FALSE(parse_cyrus_header(text.substr(0, 40), err));
}

// The form cyrus-imapd 3.6 writes (seen in a spool it made; mailbox_parse_header_data).
TEST(CyrusHeader, DlistFormOfCyrus3) {
  std::string magic =
      "\241\002\213\015Cyrus mailbox header\n"
      "\"The best thing about this system was that it had lots of goals.\"\n"
      "\t--Jim Morris on Andrew\n";
  std::string err;
  auto h = parse_cyrus_header(magic + "%(T el N user.bob.Archive.2019 I t7w4c64u A %(bob lrswipkxtecdan) U ($Work \"Odd One\" Later) Q user.bob)\n", err);
  ASSERT_TRUE(h) << err;
  EXPECT_EQ(h->name, "user.bob.Archive.2019");
  EXPECT_EQ(h->uniqueid, "t7w4c64u");
  EXPECT_EQ(h->quotaroot, "user.bob");
  EXPECT_EQ(h->user_flags, (std::vector<std::string>{"$Work", "Odd One", "Later"}));
  auto lit = parse_cyrus_header(magic + "%(N {3+}\r\nabc U (x))", err);
  ASSERT_TRUE(lit) << err;
  EXPECT_EQ(lit->name, "abc");
  EXPECT_FALSE(parse_cyrus_header(magic + "%(N user.bob U ($Work", err));
  EXPECT_FALSE(parse_cyrus_header(magic + "%(N {99}\r\nabc)", err));
  EXPECT_FALSE(parse_cyrus_header(magic + "%(N " + std::string(40, '(') , err));
}

TEST(CyrusCrc, IsZlibsCrc32) { EXPECT_EQ(cyrus_crc32("123456789"), 0xcbf43926u); }

// The bytes Cyrus 3.6 wrote for bob after SUBSCRIBE INBOX, INBOX/Archive/2019, INBOX/Dot.ted
// (tests/integration/test_import.py reads a real one).
TEST(CyrusSubscriptions, Cyrus3FlatFileVersion2) {
  std::string text = "\x1fVER\x1f\t2\nNINBOX\t\nNINBOX\x1f" "Archive\x1f" "2019\t\nNINBOX\x1f" "Dot.ted\t\n"
                     "NINBOX\x1f" "Entw&APw-rfe\t\nNuser\x1f" "alice\x1f" "shared\t\nNINBOX\x1f" "bad&-x/y\t\n";
  auto subs = parse_cyrus_subscriptions(text, "bob");
  EXPECT_EQ(subs.folders, (std::vector<std::string>{"INBOX", "Archive/2019", "Dot.ted", "Entw\u00fcrfe"}));
  EXPECT_EQ(subs.skipped, (std::vector<std::string>{"Nuser/alice/shared", "NINBOX/bad&-x/y"}));
}

TEST(CyrusSubscriptions, Cyrus2InternalNames) {
  std::string text =
      "user.bob\t\nuser.bob.Archive.2019\t\nuser.bob.Dot^ted\t\nexample.org!user.bob.Sent\t\n"
      "user.bobby.Other\t\nuser.alice.Shared\t\nshared.folder\t\n";
  auto subs = parse_cyrus_subscriptions(text, "bob");
  EXPECT_EQ(subs.folders, (std::vector<std::string>{"INBOX", "Archive/2019", "Dot.ted", "Sent"}));
  EXPECT_EQ(subs.skipped, (std::vector<std::string>{"user.bobby.Other", "user.alice.Shared", "shared.folder"}));
  EXPECT_TRUE(parse_cyrus_subscriptions("", "bob").folders.empty());
}

}  // namespace
}  // namespace kurier::mail_import
