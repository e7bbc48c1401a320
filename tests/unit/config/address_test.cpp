// Syntax checks of IP literals, CIDR networks, host names and HOST:PORT.
#include "config/address.h"

#include <gtest/gtest.h>

namespace kurier::config {
namespace {

TEST(Address, IpLiterals) {
  EXPECT_TRUE(is_ipv4("127.0.0.1"));
  EXPECT_TRUE(is_ipv6("::"));
  EXPECT_TRUE(is_ipv6("2001:db8::1"));
  EXPECT_FALSE(is_ipv4("256.0.0.1"));
  EXPECT_FALSE(is_ip_address("localhost"));
  EXPECT_FALSE(is_ip_address(""));
  EXPECT_FALSE(is_ip_address("[::1]"));
  EXPECT_FALSE(is_ip_address(std::string(100, '1')));
}

TEST(Address, Cidr) {
  EXPECT_TRUE(is_cidr("10.0.0.0/8"));
  EXPECT_TRUE(is_cidr("192.168.1.5"));
  EXPECT_TRUE(is_cidr("fd00::/8"));
  EXPECT_TRUE(is_cidr("::1/128"));
  EXPECT_TRUE(is_cidr("0.0.0.0/0"));
  EXPECT_FALSE(is_cidr("10.0.0.0/33"));
  EXPECT_FALSE(is_cidr("::/129"));
  EXPECT_FALSE(is_cidr("10.0.0.0/"));
  EXPECT_FALSE(is_cidr("10.0.0.0/-1"));
  EXPECT_FALSE(is_cidr("10.0.0.0/0008"));
  EXPECT_FALSE(is_cidr("example.com/8"));
  EXPECT_FALSE(is_cidr("/8"));
}

TEST(Address, HostNames) {
  EXPECT_TRUE(is_host_name("localhost"));
  EXPECT_TRUE(is_host_name("mail.example.com"));
  EXPECT_TRUE(is_host_name("MX-1.Example.COM"));
  EXPECT_TRUE(is_host_name("10.1.2.3"));
  EXPECT_FALSE(is_host_name(""));
  EXPECT_FALSE(is_host_name("mail example"));
  EXPECT_FALSE(is_host_name("-mail.example.com"));
  EXPECT_FALSE(is_host_name("mail..example.com"));
  EXPECT_FALSE(is_host_name("example.com."));
  EXPECT_FALSE(is_host_name("999.1.1.1"));
  EXPECT_FALSE(is_host_name(std::string(64, 'a') + ".com"));
  EXPECT_FALSE(is_host_name("under_score.example"));
}

TEST(Address, HostPort) {
  auto hp = parse_host_port("mx.example.com:25");
  ASSERT_TRUE(hp);
  EXPECT_EQ(hp->host, "mx.example.com");
  EXPECT_EQ(hp->port, 25);
  hp = parse_host_port("[::1]:2525");
  ASSERT_TRUE(hp);
  EXPECT_EQ(hp->host, "::1");
  EXPECT_EQ(hp->port, 2525);
  hp = parse_host_port("127.0.0.1:10025");
  ASSERT_TRUE(hp);
  EXPECT_EQ(hp->host, "127.0.0.1");

  for (const char* bad : {"mx.example.com", "mx.example.com:", "mx.example.com:0", "mx.example.com:65536",
                          ":25", "::1:25", "[::1]25", "[::1]", "[mx.example.com]:25", "[::1:25", "mx:25x",
                          "mx.example.com:+25", ""})
    EXPECT_FALSE(parse_host_port(bad)) << bad;
}

}  // namespace
}  // namespace kurier::config
