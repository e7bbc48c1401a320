// RFC 3461 5.2.7: the NOTIFY/ORCPT each target of one RCPT gets, and the xtext codec of RFC 3461 4
// (delivery/dsn_params.h).
#include "delivery/dsn_params.h"

#include <gtest/gtest.h>

namespace kurier::delivery {
namespace {

TEST(ExpandedDsn, OneTargetKeepsNotifyAndGetsTheOriginalAddressAsOrcpt) {
  RecipientDsn given{kDsnSuccess | kDsnFailure, ""};
  auto d = expanded_dsn(given, "alias@example.test", "far@remote.test", 1);
  EXPECT_EQ(d.notify, unsigned(kDsnSuccess | kDsnFailure));
  EXPECT_EQ(d.orcpt, "rfc822;alias@example.test");
  // The address itself relayed: no ORCPT invented (RFC 3461 4.2 only for a changed address).
  EXPECT_EQ(expanded_dsn(given, "far@remote.test", "FAR@remote.test", 1).orcpt, "");
}

TEST(ExpandedDsn, SeveralTargetsDropSuccessAndKeepTheGivenOrcpt) {
  RecipientDsn given{kDsnSuccess | kDsnDelay, "rfc822;list+2Ba@example.test"};
  auto d = expanded_dsn(given, "list+a@example.test", "x@remote.test", 3);
  EXPECT_EQ(d.notify, unsigned(kDsnDelay));
  EXPECT_EQ(d.orcpt, "rfc822;list+2Ba@example.test");
  EXPECT_EQ(expanded_dsn({kDsnSuccess, ""}, "a@example.test", "x@remote.test", 2).notify, unsigned(kDsnNever));
  EXPECT_EQ(expanded_dsn({kDsnNever, ""}, "a@example.test", "x@remote.test", 2).notify, unsigned(kDsnNever));
  EXPECT_EQ(expanded_dsn({0, ""}, "a@example.test", "x@remote.test", 2).notify, 0u);
  EXPECT_TRUE(wants_success({kDsnSuccess, ""}));
  EXPECT_FALSE(wants_success({kDsnFailure | kDsnDelay, ""}));
}

TEST(Rfc822Orcpt, XtextEncodesAndRefusesNonAscii) {
  EXPECT_EQ(rfc822_orcpt("a+b=c@example.test"), "rfc822;a+2Bb+3Dc@example.test");
  EXPECT_EQ(rfc822_orcpt("j\xc3\xb6rg@example.test"), "");
  EXPECT_EQ(rfc822_orcpt(""), "");
}

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

TEST(Xtext, OrcptAndEnvidValues) {
  EXPECT_EQ(decode_xtext("rfc822;a+2Bb@example.org"), "rfc822;a+b@example.org");
  EXPECT_EQ(encode_xtext("a+b=c d"), "a+2Bb+3Dc+20d");
  EXPECT_EQ(decode_xtext(encode_xtext("x+y=z\xc3\xa9")), "x+y=z\xc3\xa9");
  EXPECT_FALSE(decode_xtext("a+2"));
  EXPECT_FALSE(decode_xtext("a+zz"));
  EXPECT_FALSE(decode_xtext("a b"));
}

}  // namespace
}  // namespace kurier::delivery
