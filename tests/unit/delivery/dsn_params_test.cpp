// RFC 3461 5.2.7: the NOTIFY/ORCPT each target of one RCPT gets (delivery/dsn_params.h).
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

}  // namespace
}  // namespace kurier::delivery
