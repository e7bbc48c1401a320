#include "smtp_protocol/syntax.h"

#include <gtest/gtest.h>

namespace kurier::smtp {
namespace {

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
