#include "smtp/syntax.h"

#include <gtest/gtest.h>

namespace kurier::smtp {
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

TEST(Utf8, Validation) {
  EXPECT_TRUE(is_valid_utf8("plain"));
  EXPECT_TRUE(is_valid_utf8("\xE2\x82\xAC"));        // €
  EXPECT_TRUE(is_valid_utf8("\xF0\x9F\x93\xA7"));    // 📧
  EXPECT_FALSE(is_valid_utf8("\xE2\x82"));
  EXPECT_FALSE(is_valid_utf8("\xF4\x90\x80\x80"));   // above U+10FFFF
  EXPECT_FALSE(is_valid_utf8("\xE0\x80\x80"));       // overlong
  EXPECT_FALSE(is_valid_utf8("\x80"));
}

TEST(Literals, Ipv4AndIpv6) {
  EXPECT_TRUE(is_address_literal("[0.0.0.0]"));
  EXPECT_TRUE(is_address_literal("[255.255.255.255]"));
  EXPECT_TRUE(is_address_literal("[010.1.1.1]"));  // Snum = 1*3DIGIT
  EXPECT_FALSE(is_address_literal("[1.2.3.4.5]"));
  EXPECT_FALSE(is_address_literal("[1.2.3.-4]"));
  EXPECT_FALSE(is_address_literal("[]"));
  EXPECT_TRUE(is_address_literal("[IPv6:::]"));
  EXPECT_TRUE(is_address_literal("[IPv6:fe80::1]"));
  EXPECT_FALSE(is_address_literal("[IPv6:fe80::1%eth0]"));
  EXPECT_FALSE(is_address_literal("[IPv6:1::2::3]"));
}

}  // namespace
}  // namespace kurier::smtp
