#include "auth/saslprep.h"

#include <gtest/gtest.h>

namespace kurier::auth {
namespace {

TEST(Saslprep, LeavesPrintableAsciiUnchanged) {
  EXPECT_EQ(saslprep("pencil"), "pencil");
  EXPECT_EQ(saslprep("user name, with = signs!~"), "user name, with = signs!~");
  EXPECT_EQ(saslprep(""), "");
}

TEST(Saslprep, PassesNonAsciiThrough) {
  EXPECT_EQ(saslprep("p\xC3\xA4ss"), "p\xC3\xA4ss");                   // U+00E4
  EXPECT_EQ(saslprep("\xE2\x82\xAC"), "\xE2\x82\xAC");                   // U+20AC
  EXPECT_EQ(saslprep("\xF0\x9F\x94\x91"), "\xF0\x9F\x94\x91");           // U+1F511
  EXPECT_EQ(saslprep("\xC2\xA0"), "\xC2\xA0");  // U+00A0: full SASLprep maps it to a space
}

TEST(Saslprep, RejectsControlCharacters) {
  EXPECT_FALSE(saslprep(std::string("a\0b", 3)));
  EXPECT_FALSE(saslprep("a\tb"));
  EXPECT_FALSE(saslprep("a\r\nb"));
  EXPECT_FALSE(saslprep("a\x7F"));
  EXPECT_FALSE(saslprep("a\xC2\x80"));  // U+0080
  EXPECT_FALSE(saslprep("a\xC2\x9F"));  // U+009F
}

TEST(Saslprep, RejectsMalformedUtf8) {
  EXPECT_FALSE(saslprep("\xC3"));              // truncated
  EXPECT_FALSE(saslprep("\xC3\x28"));          // bad continuation
  EXPECT_FALSE(saslprep("\xC0\xAF"));          // overlong "/"
  EXPECT_FALSE(saslprep("\xE0\x80\xAF"));      // overlong
  EXPECT_FALSE(saslprep("\xED\xA0\x80"));      // surrogate U+D800
  EXPECT_FALSE(saslprep("\xF4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(saslprep("\xFF"));
  EXPECT_FALSE(saslprep("\x80"));
  EXPECT_TRUE(is_valid_utf8("\xF4\x8F\xBF\xBF"));  // U+10FFFF
  EXPECT_TRUE(is_valid_utf8("\xEF\xBF\xBD"));
  EXPECT_FALSE(is_valid_utf8("\xF8\x88\x80\x80\x80"));
}

}  // namespace
}  // namespace kurier::auth
