// Maildir names, dovecot-keywords and dovecot-uidlist (import/maildir.h).
#include <gtest/gtest.h>

#include "import/maildir.h"

namespace kurier::mail_import {
namespace {

TEST(MaildirName, FlagsSizesAndKeywordLetters) {
  auto n = parse_maildir_name("1700000000.M12P34.host,S=1234,W=1260:2,FRSTac");
  EXPECT_EQ(n.base, "1700000000.M12P34.host,S=1234,W=1260");
  EXPECT_EQ(n.size, 1234u);
  EXPECT_EQ(n.vsize, 1260u);
  EXPECT_EQ(n.system_flags, store::kFlagged | store::kAnswered | store::kSeen | store::kDeleted);
  EXPECT_EQ(n.keyword_indexes, (std::vector<int>{0, 2}));
  std::string unknown;
  auto flags = maildir_flags(n, {"$Work", "Junk"}, &unknown);
  EXPECT_EQ(flags.keywords, (std::vector<std::string>{"$Work"}));
  EXPECT_EQ(unknown, "c");
}

TEST(MaildirName, NoInfoDraftPassedAndOtherVersions) {
  EXPECT_EQ(parse_maildir_name("1.2.host").system_flags, 0u);
  EXPECT_EQ(parse_maildir_name("1.2.host").base, "1.2.host");
  auto d = parse_maildir_name("1.2.host:2,DP");
  EXPECT_EQ(d.system_flags, uint32_t(store::kDraft));
  EXPECT_TRUE(d.passed);
  EXPECT_EQ(maildir_flags(d, {}).keywords, (std::vector<std::string>{"$Forwarded"}));
  EXPECT_EQ(parse_maildir_name("1.2.host:1,S").system_flags, 0u);  // experimental info only
  EXPECT_FALSE(parse_maildir_name("x,S=abc:2,").size.has_value());
}

TEST(MaildirName, FormatRoundTrips) {
  std::vector<std::string> index{"$Work"};
  store::Flags f;
  f.system = store::kSeen | store::kAnswered | store::kDraft;
  f.keywords = {"$Work", "Later", "$Forwarded"};
  std::string name = format_maildir_name("1.2.h", f, index);
  EXPECT_EQ(name, "1.2.h:2,DPRSab");
  EXPECT_EQ(index, (std::vector<std::string>{"$Work", "Later"}));
  auto back = maildir_flags(parse_maildir_name(name), index);
  EXPECT_EQ(back.system, f.system);
  EXPECT_EQ(back.keywords.size(), 3u);
}

TEST(DovecotKeywords, ParsesIndexesAndSkipsJunk) {
  size_t bad = 0;
  auto k = parse_dovecot_keywords("0 $Work\n2 Later\nnonsense\n30 TooHigh\n1\n", &bad);
  EXPECT_EQ(k, (std::vector<std::string>{"$Work", "", "Later"}));
  EXPECT_EQ(bad, 3u);
  EXPECT_EQ(parse_dovecot_keywords(format_dovecot_keywords(k)), k);
}

TEST(DovecotUidlist, Version3WithExtensions) {
  std::string err;
  auto l = parse_dovecot_uidlist(
      "3 V1700000001 N5 G0123abcd\n"
      "1 G9f8e W1260 S1234 :1700000000.M1P1.host,S=1234,W=1260:2,S\n"
      "3 P00000003uidl :1700000001.M2P1.host\n"
      "4 :1700000002.M3P1.host\n",
      err);
  ASSERT_TRUE(l) << err;
  EXPECT_EQ(l->version, 3);
  EXPECT_EQ(l->uidvalidity, 1700000001u);
  EXPECT_EQ(l->next_uid, 5u);
  EXPECT_EQ(l->guid, "0123abcd");
  ASSERT_EQ(l->entries.size(), 3u);
  EXPECT_EQ(l->entries[0].uid, 1u);
  EXPECT_EQ(l->entries[0].extensions.at('W'), "1260");
  EXPECT_EQ(l->entries[0].filename, "1700000000.M1P1.host,S=1234,W=1260:2,S");
  EXPECT_EQ(l->entries[1].extensions.at('P'), "00000003uidl");
  EXPECT_TRUE(l->errors.empty());
  std::string again_err;
  auto again = parse_dovecot_uidlist(format_dovecot_uidlist(*l), again_err);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->entries.size(), 3u);
  EXPECT_EQ(again->entries[1].extensions.at('P'), "00000003uidl");
}

TEST(DovecotUidlist, Version1) {
  std::string err;
  auto l = parse_dovecot_uidlist("1 1234567 10\n3 a.b.c\n7 d.e.f:2,S\n", err);
  ASSERT_TRUE(l) << err;
  EXPECT_EQ(l->uidvalidity, 1234567u);
  EXPECT_EQ(l->next_uid, 10u);
  ASSERT_EQ(l->entries.size(), 2u);
  EXPECT_EQ(l->entries[1].filename, "d.e.f:2,S");
}

TEST(DovecotUidlist, GarbageIsRefusedOrSkippedWithReasons) {
  std::string err;
  EXPECT_FALSE(parse_dovecot_uidlist("", err));
  EXPECT_FALSE(parse_dovecot_uidlist("7 V1 N2\n", err));
  EXPECT_NE(err.find("version"), std::string::npos);
  EXPECT_FALSE(parse_dovecot_uidlist("3 Vabc N2\n", err));
  EXPECT_FALSE(parse_dovecot_uidlist("\x01\x02garbage\n", err));
  auto l = parse_dovecot_uidlist("3 V5 N3\nx :name\n2 :a\n1 :b\n4 no-colon\n5 :../evil\n6 :ok\n7 :\r\r\n", err);
  ASSERT_TRUE(l);
  ASSERT_EQ(l->entries.size(), 2u);
  EXPECT_EQ(l->entries[1].uid, 6u);
  EXPECT_EQ(l->errors.size(), 5u);  // the last: a control character in the name (found by maildir_fuzz)
  EXPECT_EQ(l->next_uid, 7u);  // never below a listed UID
}

TEST(MaildirPlusPlus, FolderNames) {
  EXPECT_EQ(maildirpp_folder_name(".Sent"), "Sent");
  EXPECT_EQ(maildirpp_folder_name(".Archive.2019"), "Archive/2019");
  EXPECT_EQ(maildirpp_folder_name(".Entw&APw-rfe"), "Entw\xC3\xBCrfe");
  EXPECT_FALSE(maildirpp_folder_name(".."));
  EXPECT_FALSE(maildirpp_folder_name("cur"));
  EXPECT_FALSE(maildirpp_folder_name(".a..b"));
  EXPECT_EQ(maildirpp_dir_name("Archive/2019"), ".Archive.2019");
  EXPECT_EQ(maildirpp_dir_name("Entw\xC3\xBCrfe"), ".Entw&APw-rfe");
  EXPECT_FALSE(maildirpp_dir_name("v1.2"));
}

}  // namespace
}  // namespace kurier::mail_import
