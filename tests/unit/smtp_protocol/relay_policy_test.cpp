#include "smtp_protocol/relay_policy.h"

#include <gtest/gtest.h>

namespace kurier::smtp {
namespace {

TEST(RelayPolicy, NothingIsTrustedByDefault) {
  EXPECT_FALSE(ip_in_networks("127.0.0.1", {}));
  EXPECT_FALSE(ip_in_networks("::1", {}));
}

TEST(RelayPolicy, Ipv4Networks) {
  std::vector<std::string> nets{"10.0.0.0/8", "192.0.2.7"};
  EXPECT_TRUE(ip_in_networks("10.1.2.3", nets));
  EXPECT_TRUE(ip_in_networks("192.0.2.7", nets));
  EXPECT_FALSE(ip_in_networks("192.0.2.8", nets));
  EXPECT_FALSE(ip_in_networks("11.0.0.1", nets));
  EXPECT_TRUE(ip_in_networks("::ffff:10.9.9.9", nets));  // IPv4-mapped
  EXPECT_TRUE(ip_in_networks("172.16.5.5", {"172.16.0.0/12"}));
  EXPECT_FALSE(ip_in_networks("172.32.0.1", {"172.16.0.0/12"}));
  EXPECT_TRUE(ip_in_networks("1.2.3.4", {"0.0.0.0/0"}));
}

TEST(RelayPolicy, Ipv6Networks) {
  std::vector<std::string> nets{"2001:db8::/32"};
  EXPECT_TRUE(ip_in_networks("2001:db8:1::5", nets));
  EXPECT_FALSE(ip_in_networks("2001:db9::5", nets));
  EXPECT_FALSE(ip_in_networks("10.0.0.1", nets));
}

TEST(RelayPolicy, GarbageNeverMatches) {
  EXPECT_FALSE(ip_in_networks("local", {"0.0.0.0/0"}));
  EXPECT_FALSE(ip_in_networks("10.0.0.1", {"10.0.0.0/33", "10.0.0.0/x", "nonsense", "10.0.0.0/"}));
  EXPECT_FALSE(ip_in_networks("", {"10.0.0.0/8"}));
}

}  // namespace
}  // namespace kurier::smtp
