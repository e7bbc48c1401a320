#include "imap_protocol/utf7.h"

#include <gtest/gtest.h>

#include <random>

namespace kurier::imap {
namespace {

TEST(Utf7, Rfc3501Example) {
  // RFC 3501 5.1.3: "~peter/mail/台北/日本語"
  const std::string utf8 = "~peter/mail/\xe5\x8f\xb0\xe5\x8c\x97/\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e";
  auto enc = utf7_encode(utf8);
  ASSERT_TRUE(enc);
  EXPECT_EQ(*enc, "~peter/mail/&U,BTFw-/&ZeVnLIqe-");
  auto dec = utf7_decode(*enc);
  ASSERT_TRUE(dec);
  EXPECT_EQ(*dec, utf8);
}

TEST(Utf7, Ampersand) {
  EXPECT_EQ(*utf7_encode("Tom & Jerry"), "Tom &- Jerry");
  EXPECT_EQ(*utf7_decode("Tom &- Jerry"), "Tom & Jerry");
  EXPECT_EQ(*utf7_decode("&-&-"), "&&");
}

TEST(Utf7, Examples) {
  EXPECT_EQ(*utf7_encode("Entw\xc3\xbc rfe"), "Entw&APw- rfe");
  EXPECT_EQ(*utf7_encode("\xc3\xa4"), "&AOQ-");
  EXPECT_EQ(*utf7_encode("\xf0\x9f\x98\x80"), "&2D3eAA-");  // U+1F600 as a surrogate pair
  EXPECT_EQ(*utf7_decode("&2D3eAA-"), "\xf0\x9f\x98\x80");
  EXPECT_EQ(*utf7_encode(""), "");
}

TEST(Utf7, RejectsMalformed) {
  for (const char* s : {
           "&",           // unterminated
           "&AOQ",        // unterminated
           "&AOQ=-",      // padding character
           "&AOR-",       // non-zero leftover bits
           "&A-",         // too short: 6 bits
           "&AGE-",       // encodes "a", which must be written directly
           "&AOQ-&AOQ-",  // two shifts back to back
           "&2D0-",       // lone high surrogate
           "&3gA-",       // lone low surrogate
           "&AAA-",       // U+0000
           "a/b\x01",     // control character
           "\xc3\xa4",    // raw 8-bit
           "&AOQ/-",      // "/" is not in the modified alphabet
       })
    EXPECT_FALSE(utf7_decode(s)) << s;
}

TEST(Utf7, EncodeRejectsInvalidUtf8) {
  for (const char* s : {"\xc3", "\xc0\x80", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xff", "a\xe6\x97"})
    EXPECT_FALSE(utf7_encode(s)) << s;
  EXPECT_FALSE(is_valid_mailbox_utf8(std::string("a\0b", 3)));
}

TEST(Utf7, RandomRoundTrips) {
  std::mt19937 rng(42);
  std::uniform_int_distribution<uint32_t> cp_dist(1, 0x10ffff);
  for (int n = 0; n < 500; ++n) {
    std::string utf8;
    int len = int(rng() % 8);
    for (int i = 0; i < len; ++i) {
      uint32_t cp = rng() % 3 == 0 ? 0x20 + rng() % 0x5f : cp_dist(rng);
      if (cp >= 0xd800 && cp <= 0xdfff) cp = 0x4e2d;
      if (cp < 0x20 || cp == 0x7f) cp = 'x';
      if (cp < 0x80) utf8 += char(cp);
      else if (cp < 0x800) utf8 += {char(0xc0 | (cp >> 6)), char(0x80 | (cp & 0x3f))};
      else if (cp < 0x10000)
        utf8 += {char(0xe0 | (cp >> 12)), char(0x80 | ((cp >> 6) & 0x3f)), char(0x80 | (cp & 0x3f))};
      else
        utf8 += {char(0xf0 | (cp >> 18)), char(0x80 | ((cp >> 12) & 0x3f)),
                 char(0x80 | ((cp >> 6) & 0x3f)), char(0x80 | (cp & 0x3f))};
    }
    auto enc = utf7_encode(utf8);
    ASSERT_TRUE(enc) << n;
    auto dec = utf7_decode(*enc);
    ASSERT_TRUE(dec) << *enc << ": " << dec.error;
    EXPECT_EQ(*dec, utf8);
  }
}

TEST(Utf7, RandomGarbageNeverCrashes) {
  std::mt19937 rng(7);
  const std::string alphabet = "&-AZaz09+,/=\x01\x80 ~";
  for (int n = 0; n < 2000; ++n) {
    std::string s;
    for (int i = 0, len = int(rng() % 12); i < len; ++i) s += alphabet[rng() % alphabet.size()];
    auto dec = utf7_decode(s);
    if (dec) {  // whatever decodes must re-encode to the same canonical text
      auto enc = utf7_encode(*dec);
      ASSERT_TRUE(enc) << s;
      EXPECT_EQ(*enc, s);
    }
  }
}

}  // namespace
}  // namespace kurier::imap
