// TLSA matching (RFC 7672 3.1, RFC 6698 2.1) and PKIX checks against generated certificates.
#include "queue/dane.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include "queue/tls_verify.h"
#include "test_certs.h"

namespace kurier::queue {
namespace {

using testing::Cert;
using testing::make_cert;

struct Pki {
  Cert ca = make_cert("Test CA", nullptr, true, {});
  Cert leaf = make_cert("mx.example.net", &ca, false, {"mx.example.net"});
  Cert other = make_cert("other", nullptr, false, {"mx.example.net"});
  std::vector<std::string> chain() const { return {leaf.der(), ca.der()}; }
};

TlsaRecord record(uint8_t usage, uint8_t selector, uint8_t matching, const Cert& c) {
  return {usage, selector, matching, tlsa_association(c.der(), selector, matching)};
}

TEST(Tlsa, AssociationDataHasTheSizeOfItsMatchingType) {
  Pki p;
  EXPECT_EQ(tlsa_association(p.leaf.der(), 0, 0), p.leaf.der());
  EXPECT_EQ(tlsa_association(p.leaf.der(), 1, 1).size(), 32u);
  EXPECT_EQ(tlsa_association(p.leaf.der(), 0, 2).size(), 64u);
  EXPECT_LT(tlsa_association(p.leaf.der(), 1, 0).size(), p.leaf.der().size());  // SPKI only
  EXPECT_EQ(tlsa_association("not a certificate", 1, 1), "");
}

TEST(Tlsa, DaneEeMatchesTheLeafWithEverySelectorAndMatchingType) {
  Pki p;
  for (uint8_t selector : {0, 1})
    for (uint8_t matching : {0, 1, 2}) {
      auto v = match_tlsa({record(3, selector, matching, p.leaf)}, p.chain(), {"mx.example.net"});
      EXPECT_TRUE(v.matched) << int(selector) << " " << int(matching) << ": " << v.detail;
    }
  EXPECT_FALSE(match_tlsa({record(3, 1, 1, p.other)}, p.chain(), {"mx.example.net"}).matched);
  // DANE-EE names the leaf only: a match on the CA does not count.
  EXPECT_FALSE(match_tlsa({record(3, 1, 1, p.ca)}, p.chain(), {"mx.example.net"}).matched);
}

TEST(Tlsa, DaneEeIgnoresNamesAndDates) {
  // RFC 7672 3.1.1: with DANE-EE the key is the identity; an expired self-signed certificate
  // with another name is fine.
  Cert expired = make_cert("whatever", nullptr, false, {"elsewhere.example"}, -7200, -3600);
  auto v = match_tlsa({record(3, 1, 1, expired)}, {expired.der()}, {"mx.example.net"});
  EXPECT_TRUE(v.matched) << v.detail;
}

TEST(Tlsa, DaneTaNeedsTheChainAndTheName) {
  Pki p;
  auto v = match_tlsa({record(2, 0, 1, p.ca)}, p.chain(), {"mx.example.net"});
  EXPECT_TRUE(v.matched) << v.detail;
  EXPECT_TRUE(match_tlsa({record(2, 1, 2, p.ca)}, p.chain(), {"mx.example.net"}).matched);
  auto wrong_name = match_tlsa({record(2, 0, 1, p.ca)}, p.chain(), {"mx.example.org"});
  EXPECT_FALSE(wrong_name.matched);
  EXPECT_NE(wrong_name.detail.find("name mismatch"), std::string::npos) << wrong_name.detail;
  // RFC 7672 3.1.2: the server must send the anchor; a chain without it does not match.
  EXPECT_FALSE(match_tlsa({record(2, 0, 1, p.ca)}, {p.leaf.der()}, {"mx.example.net"}).matched);
  // A leaf the anchor did not sign, presented with the anchor, does not chain to it.
  EXPECT_FALSE(match_tlsa({record(2, 0, 1, p.ca)}, {p.other.der(), p.ca.der()}, {"mx.example.net"}).matched);
}

TEST(Tlsa, PkixUsagesAndUnknownParametersAreUnusable) {
  Pki p;
  TlsaRecord pkix_ee = record(1, 1, 1, p.leaf), pkix_ta = record(0, 0, 1, p.ca);
  TlsaRecord bad_selector = record(3, 1, 1, p.leaf), bad_matching = record(3, 1, 1, p.leaf);
  bad_selector.selector = 2;
  bad_matching.matching = 3;
  for (const auto& r : {pkix_ee, pkix_ta, bad_selector, bad_matching}) EXPECT_FALSE(tlsa_usable(r));
  EXPECT_TRUE(usable_tlsa({pkix_ee, pkix_ta, bad_selector, bad_matching}).empty());
  EXPECT_FALSE(match_tlsa({pkix_ee, pkix_ta}, p.chain(), {"mx.example.net"}).matched);
  // One usable record among unusable ones is enough.
  auto usable = usable_tlsa({pkix_ee, record(3, 1, 1, p.leaf)});
  ASSERT_EQ(usable.size(), 1u);
  EXPECT_EQ(usable[0].usage, 3);
  EXPECT_TRUE(match_tlsa({pkix_ee, record(3, 1, 1, p.leaf)}, p.chain(), {}).matched);
}

TEST(Tlsa, NoCertificateNeverMatches) {
  Pki p;
  EXPECT_FALSE(match_tlsa({record(3, 1, 1, p.leaf)}, {}, {"mx.example.net"}).matched);
}

class PkixTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ca_file_ = "/tmp/kurier-pkix-" + std::to_string(::getpid()) + ".pem";
    p_.ca.write_pem(ca_file_);
  }
  void TearDown() override { std::filesystem::remove(ca_file_); }
  Pki p_;
  std::string ca_file_;
};

TEST_F(PkixTest, ATrustedChainWithTheRightNameVerifies) {
  TrustStore trust(false, ca_file_);
  auto c = verify_pkix(trust, p_.chain(), {"mx.example.net"});
  EXPECT_TRUE(c.ok) << c.error;
  EXPECT_TRUE(verify_pkix(trust, p_.chain(), {"other.example", "MX.Example.NET."}).ok);  // any name; case, dot
}

TEST_F(PkixTest, TheWrongNameOrAnUntrustedIssuerFails) {
  TrustStore trust(false, ca_file_);
  auto wrong = verify_pkix(trust, p_.chain(), {"mx.example.org"});
  EXPECT_FALSE(wrong.ok);
  EXPECT_NE(wrong.error.find("name mismatch"), std::string::npos) << wrong.error;
  auto untrusted = verify_pkix(trust, {p_.other.der()}, {"mx.example.net"});
  EXPECT_FALSE(untrusted.ok);
  EXPECT_NE(untrusted.error.find("certificate verify failed"), std::string::npos) << untrusted.error;
  TrustStore empty(false, "");
  EXPECT_FALSE(verify_pkix(empty, p_.chain(), {"mx.example.net"}).ok);
  EXPECT_FALSE(verify_pkix(trust, {}, {"mx.example.net"}).ok);
}

TEST_F(PkixTest, ExpiredCertificatesFail) {
  Cert expired = make_cert("mx.example.net", &p_.ca, false, {"mx.example.net"}, -7200, -3600);
  TrustStore trust(false, ca_file_);
  auto c = verify_pkix(trust, {expired.der(), p_.ca.der()}, {"mx.example.net"});
  EXPECT_FALSE(c.ok);
  EXPECT_NE(c.error.find("expired"), std::string::npos) << c.error;
}

TEST_F(PkixTest, WildcardCertificatesMatchOneLabel) {
  Cert wild = make_cert("wild", &p_.ca, false, {"*.example.net"});
  TrustStore trust(false, ca_file_);
  std::vector<std::string> chain{wild.der(), p_.ca.der()};
  EXPECT_TRUE(verify_pkix(trust, chain, {"mx1.example.net"}).ok);
  EXPECT_FALSE(verify_pkix(trust, chain, {"a.mx.example.net"}).ok);
  EXPECT_FALSE(verify_pkix(trust, chain, {"example.net"}).ok);
}

TEST(TrustStore, AMissingCaFileIsAnErrorNamingIt) {
  try {
    TrustStore t(false, "/nonexistent/ca.pem");
    FAIL() << "no error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/ca.pem"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace kurier::queue
