#include "common/utf8.h"

#include <gtest/gtest.h>

namespace kurier {
namespace {

TEST(Utf8Test, DecodesEachLengthAndReportsIt) {
  uint32_t cp = 0;
  EXPECT_EQ(decode_utf8("a", 0, cp), 1u);
  EXPECT_EQ(cp, U'a');
  EXPECT_EQ(decode_utf8("\xC3\xA9", 0, cp), 2u);  // é
  EXPECT_EQ(cp, 0xE9u);
  EXPECT_EQ(decode_utf8("x\xE2\x82\xAC", 1, cp), 3u);  // €
  EXPECT_EQ(cp, 0x20ACu);
  EXPECT_EQ(decode_utf8("\xF0\x9F\x93\xA7", 0, cp), 4u);  // 📧
  EXPECT_EQ(cp, 0x1F4E7u);
}

TEST(Utf8Test, RefusesEveryMalformedForm) {
  uint32_t cp = 0;
  EXPECT_EQ(decode_utf8("\xC0\xAF", 0, cp), 0u);          // overlong '/'
  EXPECT_EQ(decode_utf8("\xE0\x80\xAF", 0, cp), 0u);      // overlong
  EXPECT_EQ(decode_utf8("\xED\xA0\x80", 0, cp), 0u);      // surrogate U+D800
  EXPECT_EQ(decode_utf8("\xF4\x90\x80\x80", 0, cp), 0u);  // above U+10FFFF
  EXPECT_EQ(decode_utf8("\xF8\x88\x80\x80\x80", 0, cp), 0u);
  EXPECT_EQ(decode_utf8("\xE2\x82", 0, cp), 0u);          // truncated
  EXPECT_EQ(decode_utf8("\x80", 0, cp), 0u);              // lone continuation
  EXPECT_EQ(decode_utf8("\xC3(", 0, cp), 0u);             // bad continuation
  EXPECT_EQ(decode_utf8("a", 1, cp), 0u);                 // past the end
  EXPECT_TRUE(is_valid_utf8("plain \xE2\x82\xAC \xF4\x8F\xBF\xBF"));
  EXPECT_FALSE(is_valid_utf8("ok\xE2\x82"));
  EXPECT_EQ(utf8_sequence_length("\xEF\xBF\xBD", 0), 3u);
}

TEST(Utf8Test, EncodesWhatItDecodes) {
  for (uint32_t cp : {0x41u, 0x7Fu, 0x80u, 0x7FFu, 0x800u, 0xFFFDu, 0x10000u, 0x10FFFFu}) {
    std::string bytes;
    append_utf8(bytes, cp);
    uint32_t back = 0;
    ASSERT_EQ(decode_utf8(bytes, 0, back), bytes.size()) << cp;
    EXPECT_EQ(back, cp);
  }
}

}  // namespace
}  // namespace kurier
