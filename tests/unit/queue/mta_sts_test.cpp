// MTA-STS (RFC 8461): the TXT record, the policy file, MX patterns, and the resolver's use of
// DNS and its durable cache.
#include "queue/mta_sts.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <fstream>
#include <map>

#include "queue/dns.h"
#include "queue/mta_sts_fetch.h"
#include "queue/tls_verify.h"

namespace kurier::queue {
namespace {

using Mode = MtaStsPolicy::Mode;

TEST(MtaStsRecord, TheIdOfTheOneStsRecord) {
  EXPECT_EQ(parse_sts_record({"v=STSv1; id=20160831085700Z;"}), "20160831085700Z");
  EXPECT_EQ(parse_sts_record({"v=STSv1;id=abc"}), "abc");
  EXPECT_EQ(parse_sts_record({"v=spf1 -all", "v=STSv1; id=abc; ext=1"}), "abc");  // others ignored
  EXPECT_EQ(parse_sts_record({"v=STSv1; id=abc", "v=STSv1; id=def"}), std::nullopt);  // two: none
  EXPECT_EQ(parse_sts_record({"v=STSv1;"}), std::nullopt);                             // no id
  EXPECT_EQ(parse_sts_record({"v=STSv1; id=has-dash"}), std::nullopt);                 // 1*32 ALPHA/DIGIT
  EXPECT_EQ(parse_sts_record({"v=STSv1; id=" + std::string(33, 'a')}), std::nullopt);
  EXPECT_EQ(parse_sts_record({"v=STSv2; id=abc"}), std::nullopt);
  EXPECT_EQ(parse_sts_record({}), std::nullopt);
}

TEST(MtaStsPolicyFile, TheRfcExampleParses) {
  auto r = parse_sts_policy("version: STSv1\r\nmode: enforce\r\nmx: mail.example.com\r\nmx: *.example.net\r\n"
                            "mx: backupmx.example.com\r\nmax_age: 604800\r\n");
  ASSERT_TRUE(r.policy) << r.error;
  EXPECT_EQ(r.policy->mode, Mode::enforce);
  EXPECT_EQ(r.policy->max_age, 604800);
  EXPECT_EQ(r.policy->mx, (std::vector<std::string>{"mail.example.com", "*.example.net", "backupmx.example.com"}));
}

TEST(MtaStsPolicyFile, LfLinesSpacesUnknownKeysAndModes) {
  auto r = parse_sts_policy("version: STSv1\nmode:testing\nmx:  MX.Example.COM. \nmax_age: 86400\nfuture: x\n\n");
  ASSERT_TRUE(r.policy) << r.error;
  EXPECT_EQ(r.policy->mode, Mode::testing);
  EXPECT_EQ(r.policy->mx, std::vector<std::string>{"mx.example.com"});
  auto none = parse_sts_policy("version: STSv1\nmode: none\nmax_age: 86400\n");  // mx optional for none
  ASSERT_TRUE(none.policy) << none.error;
  EXPECT_EQ(none.policy->mode, Mode::none);
}

TEST(MtaStsPolicyFile, InvalidPoliciesSayWhy) {
  struct Case {
    std::string text, error;
  } cases[] = {
      {"mode: enforce\nmx: a.example\nmax_age: 1\n", "no version"},
      {"version: STSv2\nmode: enforce\nmx: a.example\nmax_age: 1\n", "unsupported version"},
      {"version: STSv1\nmx: a.example\nmax_age: 1\n", "no mode"},
      {"version: STSv1\nmode: strict\nmx: a.example\nmax_age: 1\n", "unknown mode"},
      {"version: STSv1\nmode: enforce\nmx: a.example\n", "no max_age"},
      {"version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 31557601\n", "invalid max_age"},
      {"version: STSv1\nmode: enforce\nmx: a.example\nmax_age: -1\n", "invalid max_age"},
      {"version: STSv1\nmode: enforce\nmax_age: 86400\n", "no mx"},
      {"<html>not found</html>\n", "line without ':'"},
      {"", "no version"},
  };
  for (const auto& c : cases) {
    auto r = parse_sts_policy(c.text);
    EXPECT_FALSE(r.policy) << c.text;
    EXPECT_NE(r.error.find(c.error), std::string::npos) << c.text << " -> " << r.error;
  }
}

TEST(MtaStsMx, PatternsMatchExactlyOrOneWildcardLabel) {
  EXPECT_TRUE(mx_pattern_matches("mail.example.com", "mail.example.com"));
  EXPECT_TRUE(mx_pattern_matches("mail.example.com", "MAIL.Example.com."));
  EXPECT_FALSE(mx_pattern_matches("mail.example.com", "mail2.example.com"));
  EXPECT_TRUE(mx_pattern_matches("*.example.net", "mx1.example.net"));
  EXPECT_FALSE(mx_pattern_matches("*.example.net", "a.b.example.net"));  // one label only
  EXPECT_FALSE(mx_pattern_matches("*.example.net", "example.net"));
  EXPECT_FALSE(mx_pattern_matches("*.example.net", ".example.net"));
  EXPECT_FALSE(mx_pattern_matches("*.example.net", "mx.badexample.net"));
  MtaStsPolicy p{Mode::enforce, {"mail.example.com", "*.example.net"}, 86400};
  EXPECT_TRUE(policy_allows_mx(p, "x.example.net"));
  EXPECT_FALSE(policy_allows_mx(p, "evil.example.org"));
}

// ---- the resolver: DNS and the durable cache (fetching is tested against a real HTTPS
// server in tests/integration/test_queue_tls.py) ----

class StsDns : public DnsResolver {
 public:
  std::map<std::string, TxtAnswer> txt_answers;
  int address_lookups = 0;
  MxAnswer mx(std::string_view) override { return {DnsStatus::nxdomain, {}, "nx"}; }
  AddressAnswer addresses(std::string_view) override {
    ++address_lookups;  // a fetch was tried
    return {DnsStatus::nxdomain, {}, "not found"};
  }
  TxtAnswer txt(std::string_view name) override {
    auto it = txt_answers.find(std::string(name));
    return it != txt_answers.end() ? it->second : TxtAnswer{DnsStatus::nxdomain, {}, "nx"};
  }
};

class MtaStsResolverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = "/tmp/kurier-sts-" + std::to_string(::getpid());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  void cache(const std::string& domain, const std::string& id, int64_t fetched, const std::string& policy) {
    std::ofstream(dir_ / domain) << id << "\n" << fetched << "\n" << policy;
  }
  MtaStsResolver resolver() { return MtaStsResolver(MtaStsSettings{dir_, 443, std::chrono::seconds(1)}, dns_, trust_); }

  std::filesystem::path dir_;
  StsDns dns_;
  TrustStore trust_{false, ""};
  const std::string policy_ = "version: STSv1\nmode: enforce\nmx: mx.example.com\nmax_age: 1000\n";
};

TEST_F(MtaStsResolverTest, NoRecordAndNoCacheMeansNoPolicy) {
  auto r = resolver().policy_for("example.com", 5000);
  EXPECT_FALSE(r.policy);
  EXPECT_EQ(dns_.address_lookups, 0);
}

TEST_F(MtaStsResolverTest, TheCachedPolicyServesWhileTheIdIsUnchanged) {
  cache("example.com", "abc", 5000, policy_);
  dns_.txt_answers["_mta-sts.example.com"] = {DnsStatus::ok, {"v=STSv1; id=abc"}, ""};
  auto r = resolver().policy_for("Example.COM", 5500);
  ASSERT_TRUE(r.policy) << r.note;
  EXPECT_EQ(r.policy->mode, Mode::enforce);
  EXPECT_EQ(dns_.address_lookups, 0);  // no fetch
}

TEST_F(MtaStsResolverTest, ACachedPolicySurvivesAMissingRecordOrAFailedFetchUntilItExpires) {
  cache("example.com", "abc", 5000, policy_);
  // RFC 8461 5.1 / 10.2: an attacker removing the record or blocking the fetch does not
  // downgrade a domain whose policy is cached.
  EXPECT_TRUE(resolver().policy_for("example.com", 5500).policy);
  dns_.txt_answers["_mta-sts.example.com"] = {DnsStatus::ok, {"v=STSv1; id=newer"}, ""};
  auto r = resolver().policy_for("example.com", 5500);
  EXPECT_TRUE(r.policy) << r.note;
  EXPECT_EQ(dns_.address_lookups, 1);  // the new id was fetched (and failed)
  EXPECT_FALSE(resolver().policy_for("example.com", 6001).policy);  // max_age 1000 is over
}

TEST_F(MtaStsResolverTest, ANewIdWithoutACacheAndAFailedFetchMeansNoPolicy) {
  dns_.txt_answers["_mta-sts.example.com"] = {DnsStatus::ok, {"v=STSv1; id=abc"}, ""};
  auto r = resolver().policy_for("example.com", 5000);
  EXPECT_FALSE(r.policy);
  EXPECT_NE(r.note.find("unavailable"), std::string::npos) << r.note;
}

TEST_F(MtaStsResolverTest, CorruptCacheFilesAndOddDomainsAreIgnored) {
  cache("example.com", "abc", 5000, "garbage");
  EXPECT_FALSE(resolver().policy_for("example.com", 5000).policy);
  EXPECT_FALSE(resolver().policy_for("../../etc", 5000).policy);
}

}  // namespace
}  // namespace kurier::queue
