#include "api/dns_check.h"

#include <gtest/gtest.h>

#include <map>

namespace kurier::api {
namespace {

struct FakeDns : queue::DnsResolver {
  std::map<std::string, std::vector<queue::MxRecord>> mxs;
  std::map<std::string, std::vector<std::string>> txts, addrs;
  bool fail = false;
  queue::MxAnswer mx(std::string_view d) override {
    if (fail) return {queue::DnsStatus::temporary, {}, "timeout", false};
    auto it = mxs.find(std::string(d));
    if (it == mxs.end()) return {queue::DnsStatus::nxdomain, {}, "", false};
    return {queue::DnsStatus::ok, it->second, "", false};
  }
  queue::AddressAnswer addresses(std::string_view h) override {
    auto it = addrs.find(std::string(h));
    if (it == addrs.end()) return {queue::DnsStatus::nxdomain, {}, ""};
    return {queue::DnsStatus::ok, it->second, ""};
  }
  queue::TxtAnswer txt(std::string_view n) override {
    auto it = txts.find(std::string(n));
    if (it == txts.end()) return {queue::DnsStatus::nxdomain, {}, ""};
    return {queue::DnsStatus::ok, it->second, ""};
  }
};

std::vector<ExpectedRecord> expected() {
  return expected_records("example.org", "mail.example.net", {{"kurier._domainkey.example.org.", "v=DKIM1; k=rsa; p=ABC"}});
}

std::map<std::string, std::string> statuses(const std::vector<RecordCheck>& checks) {
  std::map<std::string, std::string> out;
  for (const auto& c : checks) out[c.expected.kind] = c.status;
  return out;
}

TEST(DnsCheck, ExpectedRecords) {
  auto e = expected();
  ASSERT_EQ(e.size(), 5u);
  EXPECT_EQ(e[0].value, "10 mail.example.net.");
  EXPECT_EQ(e[1].value, "v=spf1 mx -all");
  EXPECT_EQ(e[2].name, "kurier._domainkey.example.org.");
  EXPECT_EQ(e[3].name, "_dmarc.example.org.");
  EXPECT_EQ(e[4].name, "autoconfig.example.org.");
}

TEST(DnsCheck, AllMissing) {
  FakeDns dns;
  auto s = statuses(check_records(expected(), "mail.example.net", dns));
  for (auto kind : {"mx", "spf", "dkim", "dmarc", "autoconfig"}) EXPECT_EQ(s[kind], "missing") << kind;
}

TEST(DnsCheck, AllRight) {
  FakeDns dns;
  dns.mxs["example.org"] = {{10, "mail.example.net"}};
  dns.txts["example.org"] = {"v=spf1 mx -all", "google-site-verification=x"};
  dns.txts["kurier._domainkey.example.org"] = {"v=DKIM1; k=rsa; p=ABC"};
  dns.txts["_dmarc.example.org"] = {"v=DMARC1; p=reject"};
  dns.addrs["autoconfig.example.org"] = {"192.0.2.1"};
  dns.addrs["mail.example.net"] = {"192.0.2.1"};
  auto s = statuses(check_records(expected(), "mail.example.net", dns));
  for (auto kind : {"mx", "spf", "dkim", "dmarc", "autoconfig"}) EXPECT_EQ(s[kind], "ok") << kind;
}

TEST(DnsCheck, WrongRecords) {
  FakeDns dns;
  dns.mxs["example.org"] = {{10, "mx.elsewhere.example"}};
  dns.txts["example.org"] = {"v=spf1 +all"};
  dns.txts["kurier._domainkey.example.org"] = {"v=DKIM1; k=rsa; p=OTHER"};
  dns.txts["_dmarc.example.org"] = {"v=DMARC1; p=maybe"};
  dns.addrs["autoconfig.example.org"] = {"198.51.100.7"};
  dns.addrs["mail.example.net"] = {"192.0.2.1"};
  auto s = statuses(check_records(expected(), "mail.example.net", dns));
  for (auto kind : {"mx", "spf", "dkim", "dmarc", "autoconfig"}) EXPECT_EQ(s[kind], "wrong") << kind;
}

TEST(DnsCheck, TwoSpfRecordsAreWrongAndFailuresAreErrors) {
  FakeDns dns;
  dns.txts["example.org"] = {"v=spf1 mx -all", "v=spf1 a -all"};
  EXPECT_EQ(statuses(check_records(expected(), "mail.example.net", dns))["spf"], "wrong");
  dns.fail = true;
  EXPECT_EQ(statuses(check_records(expected(), "mail.example.net", dns))["mx"], "error");
}

}  // namespace
}  // namespace kurier::api
