// Which TLS policy applies to a delivery and what its certificate check says (tls_policy.h).
#include "queue/tls_policy.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include "queue/dns.h"
#include "queue/tls_verify.h"
#include "test_certs.h"

namespace kurier::queue {
namespace {

using Kind = TlsPolicy::Kind;
using Mode = MtaStsPolicy::Mode;

const MtaStsPolicy kEnforce{Mode::enforce, {"*.example.com"}, 86400};
const MtaStsPolicy kTesting{Mode::testing, {"*.example.com"}, 86400};
const MtaStsPolicy kNone{Mode::none, {}, 86400};

TlsInputs mx_host(std::string host) {
  TlsInputs in;
  in.via = "mx";
  in.host = std::move(host);
  return in;
}

DaneLookup dane_records() {
  DaneLookup d;
  d.state = DaneLookup::State::records;
  d.records = {{3, 1, 1, std::string(32, 'x')}};
  return d;
}

TEST(TlsPolicyDecision, OpportunisticByDefault) {
  auto d = decide_tls(mx_host("mx.example.com"));
  EXPECT_TRUE(d.use_host);
  EXPECT_EQ(d.policy.kind, Kind::opportunistic);
  EXPECT_FALSE(d.policy.verified_required());
  EXPECT_FALSE(d.policy.wants_check());
}

TEST(TlsPolicyDecision, RequireTlsVerifiesTheRouteOrMxHostName) {
  TlsInputs in = mx_host("smarthost.example");
  in.via = "route";
  in.require_tls = true;
  auto d = decide_tls(in);
  EXPECT_EQ(d.policy.kind, Kind::pkix);
  EXPECT_EQ(d.policy.source, "require_tls");
  EXPECT_EQ(d.policy.names, std::vector<std::string>{"smarthost.example"});
  EXPECT_TRUE(d.policy.verified_required());
}

TEST(TlsPolicyDecision, MtaStsEnforceAllowsOnlyListedMxHostsAndVerifiesThem) {
  TlsInputs in = mx_host("mx1.example.com");
  in.sts = &kEnforce;
  auto d = decide_tls(in);
  ASSERT_TRUE(d.use_host);
  EXPECT_EQ(d.policy.kind, Kind::pkix);
  EXPECT_EQ(d.policy.source, "mta-sts");
  EXPECT_EQ(d.policy.names, std::vector<std::string>{"mx1.example.com"});
  EXPECT_TRUE(d.policy.verified_required());

  in.host = "mx.attacker.example";
  auto skipped = decide_tls(in);
  EXPECT_FALSE(skipped.use_host);
  EXPECT_NE(skipped.skip_reason.find("not allowed"), std::string::npos);
  in.via = "implicit-mx";  // the domain's own address is held to the policy too
  EXPECT_FALSE(decide_tls(in).use_host);
}

TEST(TlsPolicyDecision, MtaStsTestingOnlyReportsAndNoneDoesNothing) {
  TlsInputs in = mx_host("mx.attacker.example");  // not listed: testing still delivers
  in.sts = &kTesting;
  auto d = decide_tls(in);
  EXPECT_TRUE(d.use_host);
  EXPECT_EQ(d.policy.source, "mta-sts-testing");
  EXPECT_TRUE(d.policy.wants_check());
  EXPECT_FALSE(d.policy.verified_required());
  in.sts = &kNone;
  EXPECT_EQ(decide_tls(in).policy.kind, Kind::opportunistic);
  in.require_tls = true;  // local policy beats a testing policy
  in.sts = &kTesting;
  EXPECT_EQ(decide_tls(in).policy.source, "require_tls");
}

TEST(TlsPolicyDecision, MtaStsDoesNotApplyToConfiguredRoutes) {
  for (const char* via : {"route", "relayhost", "transport", "literal"}) {
    TlsInputs in = mx_host("relay.example.org");
    in.via = via;
    in.sts = &kEnforce;
    auto d = decide_tls(in);
    EXPECT_TRUE(d.use_host) << via;
    EXPECT_EQ(d.policy.kind, Kind::opportunistic) << via;
  }
}

TEST(TlsPolicyDecision, DaneWinsOverMtaStsAndRequireTls) {
  TlsInputs in = mx_host("mx.elsewhere.example");  // not in the STS policy: DANE decides (RFC 8461 2)
  in.sts = &kEnforce;
  in.require_tls = true;
  in.dane = dane_records();
  auto d = decide_tls(in);
  ASSERT_TRUE(d.use_host);
  EXPECT_EQ(d.policy.kind, Kind::dane);
  EXPECT_EQ(d.policy.source, "dane");
  EXPECT_EQ(d.policy.tlsa.size(), 1u);
  EXPECT_TRUE(d.policy.verified_required());
}

TEST(TlsPolicyDecision, AFailedSecureTlsaLookupMakesTheHostUnusable) {
  TlsInputs in = mx_host("mx.example.com");
  in.dane.state = DaneLookup::State::failed;
  in.dane.error = "SERVFAIL";
  auto d = decide_tls(in);
  EXPECT_FALSE(d.use_host);
  EXPECT_NE(d.skip_reason.find("SERVFAIL"), std::string::npos);
}

TEST(TlsPolicyDecision, SecureButUnusableTlsaRecordsStillDemandEncryption) {
  TlsInputs in = mx_host("mx.example.com");
  in.sts = &kEnforce;  // DANE records, even unusable ones, take precedence (RFC 8461 2)
  in.dane.state = DaneLookup::State::unusable;
  auto d = decide_tls(in);
  EXPECT_TRUE(d.use_host);
  EXPECT_EQ(d.policy.kind, Kind::opportunistic);
  EXPECT_TRUE(d.policy.encryption_required);
  EXPECT_FALSE(d.policy.verified_required());
  EXPECT_FALSE(decide_tls(mx_host("mx.example.com")).policy.encryption_required);
}

TEST(TlsPolicyDecision, DaneOnlyForMxDelivery) {
  TlsInputs in = mx_host("relay.example.org");
  in.via = "route";
  in.dane = dane_records();
  EXPECT_EQ(decide_tls(in).policy.kind, Kind::opportunistic);
}

TEST(TlsPeerCheck, EachPolicyChecksItsWay) {
  using testing::make_cert;
  auto ca = make_cert("CA", nullptr, true, {});
  auto leaf = make_cert("mx", &ca, false, {"mx.example.com"});
  std::string ca_file = "/tmp/kurier-tlspolicy-" + std::to_string(::getpid()) + ".pem";
  ca.write_pem(ca_file);
  TrustStore trust(false, ca_file);
  std::filesystem::remove(ca_file);
  std::vector<std::string> chain{leaf.der(), ca.der()};

  TlsInputs in = mx_host("mx.example.com");
  in.require_tls = true;
  TlsPolicy pkix = decide_tls(in).policy;
  EXPECT_TRUE(check_peer(pkix, trust, chain).verified);
  in.host = "mx2.example.com";
  PeerCheck wrong = check_peer(decide_tls(in).policy, trust, chain);
  EXPECT_FALSE(wrong.verified);
  EXPECT_NE(wrong.detail.find("mx2.example.com"), std::string::npos) << wrong.detail;

  TlsPolicy dane;
  dane.kind = Kind::dane;
  dane.names = {"mx.example.com"};
  dane.tlsa = {{3, 1, 1, tlsa_association(leaf.der(), 1, 1)}};
  TrustStore nobody(false, "");
  EXPECT_TRUE(check_peer(dane, nobody, chain).verified);  // DANE needs no CA
  dane.tlsa = {{3, 1, 1, tlsa_association(ca.der(), 1, 1)}};
  EXPECT_FALSE(check_peer(dane, nobody, chain).verified);

  EXPECT_FALSE(check_peer(TlsPolicy{}, trust, chain).verified);  // opportunistic checks nothing
}

// A DNS answer as a resolver sends it: question, then a CNAME, an RRSIG and two TLSA records.
TEST(TlsaResponse, RecordsAreReadFromTheAnswerSection) {
  std::string m("\x12\x34\x81\xa0\x00\x01\x00\x04\x00\x00\x00\x00", 12);  // QR RD RA AD; 1 q, 4 an
  std::string qname("\x03_25\x04_tcp\x02mx\x07" "example\x00", 21);
  m += qname + std::string("\x00\x34\x00\x01", 4);
  auto rr = [&](uint16_t type, const std::string& rdata) {
    m += std::string("\xc0\x0c", 2);  // pointer to the question name
    m += char(type >> 8);
    m += char(type & 0xff);
    m += std::string("\x00\x01\x00\x00\x0e\x10", 6);
    m += char(rdata.size() >> 8);
    m += char(rdata.size() & 0xff);
    m += rdata;
  };
  rr(5, std::string("\x02mx\xc0\x15", 5));
  rr(46, std::string(20, '\x07'));
  rr(52, std::string("\x03\x01\x01", 3) + std::string(32, '\xab'));
  rr(52, std::string("\x02\x00\x00", 3) + "DER");
  std::vector<TlsaRecord> out;
  ASSERT_TRUE(parse_tlsa_response(reinterpret_cast<const unsigned char*>(m.data()), m.size(), out));
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0], (TlsaRecord{3, 1, 1, std::string(32, '\xab')}));
  EXPECT_EQ(out[1], (TlsaRecord{2, 0, 0, "DER"}));
  out.clear();
  EXPECT_FALSE(parse_tlsa_response(reinterpret_cast<const unsigned char*>(m.data()), m.size() - 5, out));  // truncated
}

}  // namespace
}  // namespace kurier::queue
