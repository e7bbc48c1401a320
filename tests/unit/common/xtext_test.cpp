// The xtext codec of RFC 3461 4 (common/xtext.h).
#include "common/xtext.h"

#include <gtest/gtest.h>

namespace kurier {
namespace {

TEST(Xtext, DecodesHexchars) {
  EXPECT_EQ(decode_xtext("abc"), "abc");
  EXPECT_EQ(decode_xtext("a+2Bb"), "a+b");
  EXPECT_EQ(decode_xtext("+3D"), "=");
  EXPECT_EQ(decode_xtext("a+20b"), "a b");
  EXPECT_EQ(decode_xtext("+2b"), "+");  // lower-case hex tolerated
  EXPECT_EQ(decode_xtext(""), "");
  EXPECT_EQ(decode_xtext("+00"), std::string(1, '\0'));
}

TEST(Xtext, RejectsMalformed) {
  EXPECT_FALSE(decode_xtext("a+"));
  EXPECT_FALSE(decode_xtext("a+2"));
  EXPECT_FALSE(decode_xtext("a+G0"));
  EXPECT_FALSE(decode_xtext("a=b"));
  EXPECT_FALSE(decode_xtext("a b"));
  EXPECT_FALSE(decode_xtext("a\x7f"));
  EXPECT_FALSE(decode_xtext("\xC3\xA9"));
}

TEST(Xtext, RoundTrips) {
  const std::string raw = "a+b=c d\x01\xFF~!";
  EXPECT_EQ(encode_xtext(raw), "a+2Bb+3Dc+20d+01+FF~!");
  EXPECT_EQ(decode_xtext(encode_xtext(raw)), raw);
}

TEST(Xtext, OrcptAndEnvidValues) {
  EXPECT_EQ(decode_xtext("rfc822;a+2Bb@example.org"), "rfc822;a+b@example.org");
  EXPECT_EQ(encode_xtext("a+b=c d"), "a+2Bb+3Dc+20d");
  EXPECT_EQ(decode_xtext(encode_xtext("x+y=z\xc3\xa9")), "x+y=z\xc3\xa9");
  EXPECT_FALSE(decode_xtext("a+2"));
  EXPECT_FALSE(decode_xtext("a+zz"));
  EXPECT_FALSE(decode_xtext("a b"));
}

}  // namespace
}  // namespace kurier
