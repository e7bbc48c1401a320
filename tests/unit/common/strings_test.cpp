#include "common/log.h"
#include "common/strings.h"

#include <gtest/gtest.h>

using namespace kurier;

TEST(Strings, ParseSizeAcceptsSuffixes) {
  EXPECT_EQ(parse_size("1234"), 1234u);
  EXPECT_EQ(parse_size("10K"), 10240u);
  EXPECT_EQ(parse_size("20m"), 20u * 1024 * 1024);
  EXPECT_EQ(parse_size("1G"), 1024ull * 1024 * 1024);
  EXPECT_EQ(parse_size("5MB"), 5u * 1024 * 1024);
}

TEST(Strings, ParseSizeRejectsGarbage) {
  for (auto bad : {"", "K", "-1", "1.5M", "10X", "1 M", "99999999999999999999", "20000000000G"})
    EXPECT_FALSE(parse_size(bad).has_value()) << bad;
}

TEST(Strings, FormatSizeRoundTrips) {
  for (uint64_t v : {0ull, 1ull, 1024ull, 1536ull, 20ull << 20, 3ull << 30})
    EXPECT_EQ(parse_size(format_size(v)), v);
}

TEST(Strings, CaseAndTrim) {
  EXPECT_TRUE(iequals("InBoX", "INBOX"));
  EXPECT_FALSE(iequals("INBOX", "INBOX2"));
  EXPECT_EQ(trim("  a b \r\n"), "a b");
  EXPECT_EQ(split("a,,b", ',').size(), 3u);
  EXPECT_EQ(to_lower("ExAmple.TEST"), "example.test");
}

TEST(Log, QuotesValuesThatNeedIt) {
  auto line = log::format_line(log::Level::info, "imap.login", {{"user", "a@b"}, {"reason", "bad password"}, {"n", 3}});
  EXPECT_NE(line.find(" info imap.login user=a@b reason=\"bad password\" n=3"), std::string::npos) << line;
  auto evil = log::format_line(log::Level::warn, "x", {{"v", "a\r\nb\"c"}});
  EXPECT_NE(evil.find("v=\"a\\r\\nb\\\"c\""), std::string::npos) << evil;
}
