#include "imap_protocol/datetime.h"

#include <gtest/gtest.h>

namespace kurier::imap {
namespace {

TEST(DateTime, ParsesRfcExample) {
  auto dt = parse_date_time("17-Jul-1996 02:44:25 -0700");
  ASSERT_TRUE(dt) << dt.error;
  EXPECT_EQ(dt->date, (Date{1996, 7, 17}));
  EXPECT_EQ(dt->hour, 2);
  EXPECT_EQ(dt->minute, 44);
  EXPECT_EQ(dt->second, 25);
  EXPECT_EQ(dt->zone_minutes, -420);
  EXPECT_EQ(to_time_t(*dt), 837596665);  // 1996-07-17 09:44:25 UTC
  EXPECT_EQ(format_date_time(*dt), "17-Jul-1996 02:44:25 -0700");
}

TEST(DateTime, SpacePaddedDay) {
  auto dt = parse_date_time(" 7-jul-1996 02:44:25 +0130");
  ASSERT_TRUE(dt) << dt.error;
  EXPECT_EQ(dt->date.day, 7);
  EXPECT_EQ(dt->zone_minutes, 90);
  EXPECT_EQ(format_date_time(*dt), " 7-Jul-1996 02:44:25 +0130");
  EXPECT_TRUE(parse_date_time("7-Jul-1996 02:44:25 +0000"));
}

TEST(DateTime, Rejects) {
  for (const char* s : {"", "17-Jul-1996", "17-Jul-1996 02:44:25", "17-Jul-1996 02:44:25 0700",
                        "32-Jul-1996 02:44:25 -0700", "29-Feb-1900 00:00:00 +0000",
                        "17-Jux-1996 02:44:25 -0700", "17-Jul-96 02:44:25 -0700",
                        "17-Jul-1996 24:00:00 -0700", "17-Jul-1996 02:60:00 -0700",
                        "17-Jul-1996 2:44:25 -0700", "17-Jul-1996 02:44:25 -07000",
                        "17-Jul-1996 02:44:25 +0760", "17-Jul-1996  02:44:25 -0700",
                        "17-Jul-1996 02:44:25 -0700 ", "123-Jul-1996 02:44:25 -0700"})
    EXPECT_FALSE(parse_date_time(s)) << s;
}

TEST(DateTime, LongDayIsRefusedWithoutOverflow) {
  // Found by fuzz/imap_command_fuzz: SEARCH SINCE 14444444444-... overflowed int (UBSan).
  auto d = parse_date("14444444444444444444-Jan-2024");
  EXPECT_FALSE(d);
  EXPECT_EQ(d.error, "Invalid day in date");
}

TEST(DateTime, LeapDay) {
  EXPECT_TRUE(parse_date_time("29-Feb-2000 12:00:00 +0000"));
  EXPECT_TRUE(parse_date_time("29-Feb-2024 12:00:00 +0000"));
  EXPECT_FALSE(parse_date_time("29-Feb-2023 12:00:00 +0000"));
}

TEST(DateTime, RoundTripsThroughTimeT) {
  for (std::time_t t : {std::time_t(0), std::time_t(837596665), std::time_t(951782400),
                        std::time_t(1700000000), std::time_t(-86400), std::time_t(4102444799)}) {
    for (int zone : {0, -420, 330, 840, -720}) {
      std::string text = format_date_time(t, zone);
      auto back = parse_date_time(text);
      ASSERT_TRUE(back) << text << ": " << back.error;
      EXPECT_EQ(to_time_t(*back), t) << text;
      EXPECT_EQ(back->zone_minutes, zone);
    }
  }
  EXPECT_EQ(format_date_time(0, 0), " 1-Jan-1970 00:00:00 +0000");
  EXPECT_EQ(format_date_time(0, -60), "31-Dec-1969 23:00:00 -0100");
}

TEST(Date, ParsesAndFormats) {
  auto d = parse_date("1-Feb-1994");
  ASSERT_TRUE(d);
  EXPECT_EQ(*d, (Date{1994, 2, 1}));
  EXPECT_EQ(format_date(*d), "1-Feb-1994");
  EXPECT_EQ(*parse_date("01-FEB-1994"), *d);
  EXPECT_EQ(to_time_t(*d), 760060800);
  EXPECT_EQ(date_from_time_t(760060800 + 3600), *d);
  EXPECT_EQ(date_from_time_t(760060800, -60), (Date{1994, 1, 31}));
}

TEST(Date, Rejects) {
  for (const char* s : {"", "1-Feb", "1-Feb-94", "0-Feb-1994", "30-Feb-1994", "1-Febr-1994",
                        "1--1994", "-Feb-1994", "001-Feb-1994", "1-Feb-1994-", "a-Feb-1994",
                        "1 Feb 1994", "31-Apr-2020"})
    EXPECT_FALSE(parse_date(s)) << s;
}

}  // namespace
}  // namespace kurier::imap
