#include "queue/route.h"

#include <gtest/gtest.h>

#include <map>
#include <set>

namespace kurier::queue {
namespace {

class FakeDns : public DnsResolver {
 public:
  std::map<std::string, MxAnswer> mx_answers;
  std::map<std::string, AddressAnswer> address_answers;
  std::vector<std::string> queries;

  MxAnswer mx(std::string_view domain) override {
    queries.push_back("MX " + std::string(domain));
    auto it = mx_answers.find(std::string(domain));
    return it != mx_answers.end() ? it->second : MxAnswer{DnsStatus::nxdomain, {}, "not found"};
  }
  AddressAnswer addresses(std::string_view host) override {
    queries.push_back("A " + std::string(host));
    auto it = address_answers.find(std::string(host));
    return it != address_answers.end() ? it->second : AddressAnswer{DnsStatus::nxdomain, {}, "not found"};
  }
};

TEST(Route, ConfiguredRouteWinsOverRelayhostAndDns) {
  FakeDns dns;
  RouteSettings s;
  s.routes["example.com"] = "127.0.0.1:2525";
  s.relayhost = "relay.example:587";
  Route r = plan_route("Example.COM", s, dns);
  ASSERT_EQ(r.kind, Route::Kind::ok);
  EXPECT_EQ(r.via, "route");
  ASSERT_EQ(r.targets.size(), 1u);
  EXPECT_EQ(r.targets[0].ip, "127.0.0.1");
  EXPECT_EQ(r.targets[0].port, 2525);
  EXPECT_TRUE(dns.queries.empty());  // an IP literal needs no lookup
}

// A relay (backup MX) domain's transport: after [outbound.routes], before relayhost and MX.
TEST(Route, DomainTransportWinsOverRelayhost) {
  FakeDns dns;
  dns.address_answers["relay.example"] = {DnsStatus::ok, {"192.0.2.9"}, ""};
  RouteSettings s;
  s.relayhost = "relay.example:587";
  s.routes["configured.example"] = "127.0.0.1:2626";
  s.domain_route = [](std::string_view d) { return d == "backup.example" || d == "configured.example" ? "127.0.0.2:2525" : ""; };
  Route r = plan_route("Backup.Example", s, dns);
  ASSERT_EQ(r.kind, Route::Kind::ok);
  EXPECT_EQ(r.via, "transport");
  ASSERT_EQ(r.targets.size(), 1u);
  EXPECT_EQ(r.targets[0].ip, "127.0.0.2");
  EXPECT_EQ(r.targets[0].port, 2525);
  EXPECT_EQ(plan_route("configured.example", s, dns).targets.at(0).port, 2626);
  EXPECT_EQ(plan_route("other.example", s, dns).via, "relayhost");
}

TEST(Route, RelayhostIsLookedUpWithoutMx) {
  FakeDns dns;
  dns.address_answers["relay.example"] = {DnsStatus::ok, {"2001:db8::1", "192.0.2.9"}, ""};
  RouteSettings s;
  s.relayhost = "relay.example:587";
  Route r = plan_route("other.example", s, dns);
  ASSERT_EQ(r.kind, Route::Kind::ok);
  EXPECT_EQ(r.via, "relayhost");
  ASSERT_EQ(r.targets.size(), 2u);
  EXPECT_EQ(r.targets[0].host, "relay.example");
  EXPECT_EQ(r.targets[1].ip, "192.0.2.9");
  EXPECT_EQ(r.targets[1].port, 587);
  EXPECT_EQ(dns.queries, std::vector<std::string>{"A relay.example"});
  EXPECT_EQ(r.key, "relayhost:relay.example:587");
}

TEST(Route, UnresolvableRelayhostIsTemporary) {
  FakeDns dns;
  RouteSettings s;
  s.relayhost = "nowhere.example:25";
  Route r = plan_route("x.example", s, dns);
  EXPECT_EQ(r.kind, Route::Kind::temporary);
  EXPECT_EQ(r.status, "4.4.3");
}

TEST(Route, MxHostsInPreferenceOrder) {
  FakeDns dns;
  dns.mx_answers["example.net"] = {DnsStatus::ok, {{20, "mx2.example.net"}, {10, "mx1.example.net"}}, ""};
  dns.address_answers["mx1.example.net"] = {DnsStatus::ok, {"192.0.2.1"}, ""};
  dns.address_answers["mx2.example.net"] = {DnsStatus::ok, {"192.0.2.2"}, ""};
  Route r = plan_route("example.net", {}, dns);
  ASSERT_EQ(r.kind, Route::Kind::ok);
  EXPECT_EQ(r.via, "mx");
  ASSERT_EQ(r.targets.size(), 2u);
  EXPECT_EQ(r.targets[0].host, "mx1.example.net");
  EXPECT_EQ(r.targets[1].host, "mx2.example.net");
  EXPECT_EQ(r.targets[0].port, 25);
  EXPECT_EQ(r.key, "example.net");
}

TEST(Route, EqualPreferencesAreShuffled) {
  FakeDns dns;
  dns.mx_answers["example.net"] = {DnsStatus::ok, {{10, "a"}, {10, "b"}, {10, "c"}, {5, "first"}}, ""};
  for (auto h : {"a", "b", "c", "first"}) dns.address_answers[h] = {DnsStatus::ok, {"192.0.2.1"}, ""};
  std::set<std::string> seconds;
  for (int i = 0; i < 60; ++i) {
    Route r = plan_route("example.net", {}, dns);
    ASSERT_EQ(r.targets[0].host, "first");
    seconds.insert(r.targets[1].host);
  }
  EXPECT_GT(seconds.size(), 1u);
}

TEST(Route, NoMxFallsBackToTheDomainAddress) {
  FakeDns dns;
  dns.mx_answers["example.org"] = {DnsStatus::nodata, {}, ""};
  dns.address_answers["example.org"] = {DnsStatus::ok, {"192.0.2.5"}, ""};
  Route r = plan_route("example.org", {}, dns);
  ASSERT_EQ(r.kind, Route::Kind::ok);
  EXPECT_EQ(r.via, "implicit-mx");
  EXPECT_EQ(r.targets[0].host, "example.org");
}

TEST(Route, NoMxAndNoAddressIsPermanent) {
  FakeDns dns;
  dns.mx_answers["example.org"] = {DnsStatus::nodata, {}, ""};
  Route r = plan_route("example.org", {}, dns);
  EXPECT_EQ(r.kind, Route::Kind::permanent);
  EXPECT_EQ(r.status, "5.4.4");
}

TEST(Route, NullMxIsPermanent) {
  FakeDns dns;
  dns.mx_answers["nomail.example"] = {DnsStatus::ok, {{0, ""}}, ""};
  Route r = plan_route("nomail.example", {}, dns);
  EXPECT_EQ(r.kind, Route::Kind::permanent);
  EXPECT_EQ(r.status, "5.1.10");  // RFC 7505 4.2
  dns.mx_answers["dot.example"] = {DnsStatus::ok, {{0, "."}}, ""};
  EXPECT_EQ(plan_route("dot.example", {}, dns).status, "5.1.10");
}

TEST(Route, NxdomainIsPermanentAndServfailTemporary) {
  FakeDns dns;
  EXPECT_EQ(plan_route("gone.example", {}, dns).kind, Route::Kind::permanent);
  dns.mx_answers["flaky.example"] = {DnsStatus::temporary, {}, "timeout"};
  Route r = plan_route("flaky.example", {}, dns);
  EXPECT_EQ(r.kind, Route::Kind::temporary);
  EXPECT_EQ(r.status, "4.4.3");
  EXPECT_NE(r.error.find("timeout"), std::string::npos);
}

TEST(Route, MxHostsWithoutAddressesAreTemporary) {
  FakeDns dns;
  dns.mx_answers["example.net"] = {DnsStatus::ok, {{10, "broken.example.net"}}, ""};
  Route r = plan_route("example.net", {}, dns);
  EXPECT_EQ(r.kind, Route::Kind::temporary);
}

TEST(Route, TargetsAreCapped) {
  FakeDns dns;
  std::vector<MxRecord> many;
  for (int i = 0; i < 30; ++i) {
    many.push_back({i, "mx" + std::to_string(i)});
    dns.address_answers["mx" + std::to_string(i)] = {DnsStatus::ok, {"192.0.2.1", "192.0.2.2"}, ""};
  }
  dns.mx_answers["big.example"] = {DnsStatus::ok, many, ""};
  RouteSettings s;
  s.max_targets = 5;
  EXPECT_EQ(plan_route("big.example", s, dns).targets.size(), 5u);
}

TEST(Route, AddressLiterals) {
  FakeDns dns;
  Route r = plan_route("[192.0.2.7]", {}, dns);
  ASSERT_EQ(r.kind, Route::Kind::ok);
  EXPECT_EQ(r.targets[0].ip, "192.0.2.7");
  r = plan_route("[IPv6:2001:db8::7]", {}, dns);
  ASSERT_EQ(r.kind, Route::Kind::ok);
  EXPECT_EQ(r.targets[0].ip, "2001:db8::7");
  EXPECT_EQ(plan_route("[not-an-ip]", {}, dns).kind, Route::Kind::permanent);
  EXPECT_TRUE(dns.queries.empty());
}

TEST(HostPort, Parses) {
  std::string host;
  uint16_t port = 0;
  EXPECT_TRUE(parse_host_port("mx.example.net:25", host, port));
  EXPECT_EQ(host, "mx.example.net");
  EXPECT_EQ(port, 25);
  EXPECT_TRUE(parse_host_port("[2001:db8::7]:2525", host, port));
  EXPECT_EQ(host, "2001:db8::7");
  EXPECT_EQ(port, 2525);
  for (auto bad : {"host", "host:", ":25", "host:0", "host:70000", "2001:db8::7:25", "[host]:25", "[::1]25"})
    EXPECT_FALSE(parse_host_port(bad, host, port)) << bad;
}

}  // namespace
}  // namespace kurier::queue
