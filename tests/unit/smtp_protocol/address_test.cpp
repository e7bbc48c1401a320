#include "smtp_protocol/address.h"

#include <gtest/gtest.h>

#include <string>

namespace kurier::smtp {
namespace {

TEST(Address, SplitsLocalPartAndLowercasesDomain) {
  auto a = Address::parse("John.Doe@Example.COM", false);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->local_part(), "John.Doe");
  EXPECT_EQ(a->domain(), "example.com");
  EXPECT_EQ(a->str(), "John.Doe@example.com");
  EXPECT_FALSE(a->local_is_quoted());
  EXPECT_FALSE(a->domain_is_literal());
}

TEST(Address, EqualityIsCaseSensitiveOnLocalPartOnly) {
  EXPECT_EQ(*Address::parse("user@EXAMPLE.com", false), *Address::parse("user@example.COM", false));
  EXPECT_NE(*Address::parse("User@example.com", false), *Address::parse("user@example.com", false));
  EXPECT_EQ(Address::parse("User@example.com", false)->canonical(), Address::parse("user@EXAMPLE.com", false)->canonical());
}

TEST(Address, QuotedLocalParts) {
  auto a = Address::parse(R"("john doe"@example.com)", false);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->local_part(), R"("john doe")");
  EXPECT_TRUE(a->local_is_quoted());
  auto at = Address::parse(R"("a@b"@example.com)", false);
  ASSERT_TRUE(at);
  EXPECT_EQ(at->local_part(), R"("a@b")");
  auto escaped = Address::parse(R"("a\"b\\c"@example.com)", false);
  ASSERT_TRUE(escaped);
  EXPECT_EQ(escaped->local_part(), R"("a\"b\\c")");
  EXPECT_TRUE(Address::parse(R"(""@example.com)", false));  // empty Quoted-string is allowed
  EXPECT_FALSE(Address::parse(R"("unterminated@example.com)", false));
  EXPECT_FALSE(Address::parse(R"("a"b@example.com)", false));
  EXPECT_FALSE(Address::parse("\"tab\there\"@example.com", false));
}

TEST(Address, CanonicalUnquotesNeedlessQuotes) {
  EXPECT_EQ(Address::parse(R"("John"@Example.com)", false)->canonical().str(), "john@example.com");
  EXPECT_EQ(Address::parse(R"("John Doe"@Example.com)", false)->canonical().str(), R"("john doe"@example.com)");
}

TEST(Address, DotStringRules) {
  EXPECT_TRUE(Address::parse("a.b.c@x.y", false));
  EXPECT_TRUE(Address::parse("!#$%&'*+-/=?^_`{|}~@x.y", false));
  EXPECT_FALSE(Address::parse(".a@x.y", false));
  EXPECT_FALSE(Address::parse("a.@x.y", false));
  EXPECT_FALSE(Address::parse("a..b@x.y", false));
  EXPECT_FALSE(Address::parse("a b@x.y", false));
  EXPECT_FALSE(Address::parse("a@b@x.y", false));
  EXPECT_FALSE(Address::parse("@x.y", false));
  EXPECT_FALSE(Address::parse("a@", false));
  EXPECT_FALSE(Address::parse("a", false));
  EXPECT_FALSE(Address::parse("", false));
}

TEST(Address, DomainRules) {
  EXPECT_TRUE(Address::parse("a@localhost", false));
  EXPECT_TRUE(Address::parse("a@x-y.example", false));
  EXPECT_TRUE(Address::parse("a@123.example", false));
  EXPECT_FALSE(Address::parse("a@-x.example", false));
  EXPECT_FALSE(Address::parse("a@x-.example", false));
  EXPECT_FALSE(Address::parse("a@x..example", false));
  EXPECT_FALSE(Address::parse("a@x.example.", false));
  EXPECT_FALSE(Address::parse("a@x_y.example", false));
  EXPECT_TRUE(Address::parse("a@" + std::string(63, 'x') + ".example", false));
  EXPECT_FALSE(Address::parse("a@" + std::string(64, 'x') + ".example", false));
}

TEST(Address, IpLiterals) {
  auto v4 = Address::parse("a@[192.0.2.1]", false);
  ASSERT_TRUE(v4);
  EXPECT_TRUE(v4->domain_is_literal());
  EXPECT_EQ(v4->domain(), "[192.0.2.1]");
  auto v6 = Address::parse("a@[ipv6:2001:DB8::1]", false);
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->domain(), "[IPv6:2001:db8::1]");
  EXPECT_TRUE(Address::parse("a@[IPv6:::ffff:192.0.2.1]", false));
  EXPECT_TRUE(Address::parse("a@[IPv6:1:2:3:4:5:6:7:8]", false));
  EXPECT_FALSE(Address::parse("a@[256.0.0.1]", false));
  EXPECT_FALSE(Address::parse("a@[1.2.3]", false));
  EXPECT_FALSE(Address::parse("a@[2001:db8::1]", false));  // missing IPv6: tag
  EXPECT_FALSE(Address::parse("a@[IPv6:1:2:3:4:5:6:7:8:9]", false));
  EXPECT_FALSE(Address::parse("a@[IPv6:12345::1]", false));
  EXPECT_FALSE(Address::parse("a@[x-tag:stuff]", false));
  EXPECT_FALSE(Address::parse("a@[192.0.2.1", false));
}

TEST(Address, Utf8OnlyWhenAllowed) {
  const std::string local = "J\xC3\xB6rg@example.com";             // Jörg
  const std::string domain = "a@b\xC3\xBC" "cher.example";         // bücher
  EXPECT_FALSE(Address::parse(local, false));
  EXPECT_FALSE(Address::parse(domain, false));
  auto a = Address::parse(local, true);
  ASSERT_TRUE(a);
  EXPECT_TRUE(a->is_utf8());
  EXPECT_EQ(a->local_part(), "J\xC3\xB6rg");
  EXPECT_TRUE(Address::parse(domain, true));
  EXPECT_TRUE(Address::parse("\"J\xC3\xB6rg Q\"@example.com", true));
  EXPECT_FALSE(Address::parse("a\xC3@example.com", true));            // truncated sequence
  EXPECT_FALSE(Address::parse("a\xC0\xAF@example.com", true));        // overlong
  EXPECT_FALSE(Address::parse("a\xED\xA0\x80@example.com", true));    // surrogate
  EXPECT_FALSE(Address::parse("a@b\xFF.example", true));
}

TEST(Address, LengthLimits) {
  std::string local64(64, 'a'), local65(65, 'a');
  EXPECT_TRUE(Address::parse(local64 + "@x.example", false));
  EXPECT_FALSE(Address::parse(local65 + "@x.example", false));
  std::string label(63, 'd');
  std::string domain255 = label + "." + label + "." + label + "." + label;
  ASSERT_EQ(domain255.size(), 255u);
  EXPECT_TRUE(Address::parse("a@" + domain255, false));
  EXPECT_FALSE(Address::parse("a@" + domain255 + ".d", false));
}

TEST(Address, Subaddress) {
  auto s = split_subaddress("user+tag");
  EXPECT_TRUE(s.has_tag);
  EXPECT_EQ(s.base, "user");
  EXPECT_EQ(s.tag, "tag");
  auto multi = split_subaddress("user-a+b", "+-");
  EXPECT_EQ(multi.base, "user");
  EXPECT_EQ(multi.tag, "a+b");
  auto empty_tag = split_subaddress("user+");
  EXPECT_TRUE(empty_tag.has_tag);
  EXPECT_EQ(empty_tag.base, "user");
  EXPECT_EQ(empty_tag.tag, "");
  EXPECT_FALSE(split_subaddress("user").has_tag);
  EXPECT_EQ(split_subaddress("user").base, "user");
  EXPECT_FALSE(split_subaddress("+tag").has_tag);
  EXPECT_FALSE(split_subaddress("\"a+b\"").has_tag);
  EXPECT_FALSE(split_subaddress("a+b", "").has_tag);
}

}  // namespace
}  // namespace kurier::smtp
