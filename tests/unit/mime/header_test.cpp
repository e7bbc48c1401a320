// Tests for mime/header.h: field splitting, unfolding, RFC 2047 decoding, date parsing.
#include "mime/header.h"

#include <gtest/gtest.h>

using namespace kurier::mime;

TEST(HeaderFields, SplitsFoldedFieldsWithExactOffsets) {
  std::string_view block =
      "From: a@b.c\r\n"
      "Subject: hello\r\n"
      "  world\r\n"
      "X-Empty:\r\n"
      "\r\n"
      "body";
  auto fields = parse_header_fields(block);
  ASSERT_EQ(fields.size(), 3u);
  EXPECT_EQ(fields[0].name, "From");
  EXPECT_EQ(fields[1].name, "Subject");
  EXPECT_EQ(fields[1].raw_value, " hello\r\n  world");
  EXPECT_EQ(fields[1].value(), "hello  world");
  EXPECT_EQ(block.substr(fields[1].offset, fields[1].size), "Subject: hello\r\n  world\r\n");
  EXPECT_EQ(fields[2].value(), "");
}

TEST(HeaderFields, LfOnlyAndLineWithoutColon) {
  std::string_view block =
      "From user@host Mon Jan  1 00:00:00 2024\n"  // mbox line: invalid field name
      "garbage line\n"
      " continuation of garbage\n"
      "To: x@y\n"
      "Name With Space : v\n";
  auto fields = parse_header_fields(block);
  ASSERT_EQ(fields.size(), 1u);
  EXPECT_EQ(fields[0].name, "To");
  EXPECT_EQ(fields[0].value(), "x@y");
}

TEST(HeaderFields, ObsoleteBlankBeforeColonAndEightBit) {
  std::string_view block = "Subject  : caf\xc3\xa9\n";
  auto f = find_header_field(block, "subject");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->name, "Subject");
  EXPECT_EQ(f->value(), "caf\xc3\xa9");
}

TEST(HeaderFields, FirstFieldByNameCaseInsensitive) {
  std::string_view block = "received: 1\nReceived: 2\n\nReceived: 3\n";
  EXPECT_EQ(header_value(block, "RECEIVED"), "1");
  EXPECT_EQ(header_value(block, "missing"), std::nullopt);
  EXPECT_EQ(parse_header_fields(block).size(), 2u);  // stops at the blank line
}

TEST(HeaderFields, LastFieldWithoutLineEnding) {
  std::string_view block = "A: 1\nB: 2";
  auto fields = parse_header_fields(block);
  ASSERT_EQ(fields.size(), 2u);
  EXPECT_EQ(fields[1].value(), "2");
  EXPECT_EQ(fields[1].offset + fields[1].size, block.size());
}

TEST(EncodedWords, QAndBInUtf8) {
  EXPECT_EQ(decode_encoded_words("=?UTF-8?Q?caf=C3=A9_au_lait?="), "caf\xc3\xa9 au lait");
  EXPECT_EQ(decode_encoded_words("=?utf-8?b?w6l0w6k=?="), "\xc3\xa9t\xc3\xa9");
}

TEST(EncodedWords, Latin1AndWindows1252ViaIconv) {
  EXPECT_EQ(decode_encoded_words("=?ISO-8859-1?Q?Andr=E9?= Pirard"), "Andr\xc3\xa9 Pirard");
  EXPECT_EQ(decode_encoded_words("=?windows-1252?Q?=80uro?="), "\xe2\x82\xacuro");
}

TEST(EncodedWords, Iso2022JpSplitAcrossWords) {
  // "日本語" in ISO-2022-JP, split into two B words in the middle of the escape sequence run.
  std::string jp = "\x1b$BF|K\\8l\x1b(B";
  EXPECT_EQ(decode_encoded_words("=?ISO-2022-JP?B?GyRCRnxLXDhsGyhC?="), "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e");
  EXPECT_EQ(convert_to_utf8(jp, "iso-2022-jp"), "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e");
  EXPECT_EQ(decode_encoded_words("=?UTF-8?B?5pel?= =?UTF-8?B?5pys?="), "\xe6\x97\xa5\xe6\x9c\xac");
  // A UTF-8 character split across two words still decodes (bytes joined first).
  EXPECT_EQ(decode_encoded_words("=?UTF-8?Q?=C3?= =?UTF-8?Q?=A9?="), "\xc3\xa9");
}

TEST(EncodedWords, WhitespaceRulesRfc2047Section8) {
  EXPECT_EQ(decode_encoded_words("(=?ISO-8859-1?Q?a?=)"), "(a)");
  EXPECT_EQ(decode_encoded_words("(=?ISO-8859-1?Q?a?= b)"), "(a b)");
  EXPECT_EQ(decode_encoded_words("(=?ISO-8859-1?Q?a?= =?ISO-8859-1?Q?b?=)"), "(ab)");
  EXPECT_EQ(decode_encoded_words("(=?ISO-8859-1?Q?a?=\r\n    =?ISO-8859-1?Q?b?=)"), "(ab)");
  EXPECT_EQ(decode_encoded_words("(=?ISO-8859-1?Q?a_b?=)"), "(a b)");
  EXPECT_EQ(decode_encoded_words("(=?ISO-8859-1?Q?a?= =?ISO-8859-2?Q?_b?=)"), "(a b)");
}

TEST(EncodedWords, InvalidWordsLeftAsIs) {
  EXPECT_EQ(decode_encoded_words("=?x-unknown-cs?Q?abc?="), "=?x-unknown-cs?Q?abc?=");
  EXPECT_EQ(decode_encoded_words("=?UTF-8?X?abc?="), "=?UTF-8?X?abc?=");
  EXPECT_EQ(decode_encoded_words("=?UTF-8?B?!!!?="), "=?UTF-8?B?!!!?=");
  EXPECT_EQ(decode_encoded_words("=?UTF-8?Q?bad=ZZ?="), "=?UTF-8?Q?bad=ZZ?=");
  EXPECT_EQ(decode_encoded_words("a =? b ?= c"), "a =? b ?= c");
  EXPECT_EQ(decode_encoded_words("=?UTF-8?Q?unterminated"), "=?UTF-8?Q?unterminated");
  EXPECT_EQ(decode_encoded_words("plain text"), "plain text");
}

TEST(EncodedWords, LanguageSuffixRfc2231) {
  EXPECT_EQ(decode_encoded_words("=?US-ASCII*EN?Q?Keith_Moore?="), "Keith Moore");
}

TEST(Charset, InvalidBytesBecomeReplacementCharacter) {
  auto s = convert_to_utf8("a\xff" "b", "iso-2022-jp");
  ASSERT_TRUE(s);
  EXPECT_EQ(*s, "a\xef\xbf\xbd" "b");
  EXPECT_EQ(convert_to_utf8("x", "no-such-charset"), std::nullopt);
}

TEST(Date, Rfc5322Forms) {
  EXPECT_EQ(parse_date("Thu, 15 Feb 2007 01:02:03 +0200"), 1171494123);
  EXPECT_EQ(parse_date("15 Feb 2007 01:02:03 +0200"), 1171494123);
  EXPECT_EQ(parse_date("Thu, 15 Feb 2007 01:02 +0200"), 1171494120);
  EXPECT_EQ(parse_date("Thu, 1 Jan 1970 00:00:00 +0000"), 0);
  EXPECT_EQ(parse_date("Sat, 29 Feb 2020 23:59:60 -0130"), 1583026200);
}

TEST(Date, ObsoleteForms) {
  EXPECT_EQ(parse_date("Thu, 15 Feb 07 01:02:03 +0200"), 1171494123);  // 2-digit year
  EXPECT_EQ(parse_date("Fri, 21 Nov 97 09:55:06 GMT"), 880106106);
  EXPECT_EQ(parse_date("Fri, 21 Nov 097 09:55:06 GMT"), 880106106);   // 3-digit year
  EXPECT_EQ(parse_date("Fri, 21 Nov 1997 04:55:06 EST"), 880106106);
  EXPECT_EQ(parse_date("Fri, 21 Nov 1997 09:55:06 Z"), 880106106);      // military
  EXPECT_EQ(parse_date("Fri, 21 Nov 1997 09:55:06 UT"), 880106106);
  EXPECT_EQ(parse_date("Fri, 21 Nov 1997 09:55:06 -0000 (GMT)"), 880106106);
  EXPECT_EQ(parse_date("Fri,21 Nov 1997 09:55:06 +0000"), 880106106);
  EXPECT_EQ(parse_date("(comment) Friday, 21 November 1997 09:55:06 +0000"), 880106106);
  EXPECT_EQ(parse_date("21 Nov 1997 09:55:06"), 880106106);             // zone missing
}

TEST(Date, ZoneIsKeptAsWritten) {
  // 23:30 at -0800 is 07:30 UTC the next day; the zone says which calendar day was written.
  auto late = parse_zoned_date("Mon, 1 Jan 2024 23:30:00 -0800");
  ASSERT_TRUE(late);
  EXPECT_EQ(late->utc, 1704180600);
  EXPECT_EQ(late->zone_minutes, -480);
  auto early = parse_zoned_date("Tue, 02 Jan 2024 00:15:00 +0530 (IST)");
  ASSERT_TRUE(early);
  EXPECT_EQ(early->zone_minutes, 330);
  EXPECT_EQ(parse_zoned_date("Fri, 21 Nov 1997 04:55:06 EST")->zone_minutes, -300);
  EXPECT_EQ(parse_zoned_date("21 Nov 1997 09:55:06")->zone_minutes, 0);
  EXPECT_EQ(parse_zoned_date("not a date"), std::nullopt);
}

TEST(Date, GarbageIsRejected) {
  EXPECT_EQ(parse_date(""), std::nullopt);
  EXPECT_EQ(parse_date("yesterday"), std::nullopt);
  EXPECT_EQ(parse_date("Thu, 31 Feb 2007 01:02:03 +0200"), std::nullopt);
  EXPECT_EQ(parse_date("Thu, 15 Foo 2007 01:02:03 +0200"), std::nullopt);
  EXPECT_EQ(parse_date("Thu, 15 Feb 2007 25:02:03 +0200"), std::nullopt);
  EXPECT_EQ(parse_date("Thu, 15 Feb 2007 01:02:03 +02"), std::nullopt);
  EXPECT_EQ(parse_date("Thu, 15 Feb 2007 01:02:03 +0299"), std::nullopt);
  EXPECT_EQ(parse_date("Thu, 15 Feb 99999999999 01:02:03 +0200"), std::nullopt);
  EXPECT_EQ(parse_date("Thu, -1 Feb 2007 01:02:03 +0200"), std::nullopt);
}

TEST(EncodedWords, ManyUnterminatedWordsStayFast) {
  std::string text;
  for (int i = 0; i < 200000; ++i) text += "=?a?b?";
  EXPECT_EQ(decode_encoded_words(text), text);
}
