#include "queue/envelope.h"

#include <gtest/gtest.h>

namespace kurier::queue {
namespace {

TEST(Notify, ParsesAndFormats) {
  EXPECT_EQ(parse_notify("SUCCESS,DELAY"), unsigned(kNotifySuccess | kNotifyDelay));
  EXPECT_EQ(parse_notify("never"), unsigned(kNotifyNever));
  EXPECT_FALSE(parse_notify("NEVER,SUCCESS"));  // RFC 3461 4.1
  EXPECT_FALSE(parse_notify("SOMETIMES"));
  EXPECT_FALSE(parse_notify(""));
  EXPECT_EQ(notify_text(kNotifyFailure | kNotifySuccess), "SUCCESS,FAILURE");
}

TEST(Notify, DefaultsReportFailuresAndDelays) {
  EXPECT_TRUE(wants_failure_notice(0));
  EXPECT_TRUE(wants_delay_notice(0));
  EXPECT_FALSE(wants_success_notice(0));
  EXPECT_FALSE(wants_failure_notice(kNotifyNever));
  EXPECT_FALSE(wants_delay_notice(kNotifyFailure));
  EXPECT_TRUE(wants_success_notice(kNotifySuccess));
}

TEST(Ret, Parses) {
  EXPECT_EQ(parse_ret("hdrs"), Ret::headers);
  EXPECT_EQ(parse_ret("FULL"), Ret::full);
  EXPECT_EQ(parse_ret(""), Ret::unspecified);
  EXPECT_FALSE(parse_ret("ALL"));
}

}  // namespace
}  // namespace kurier::queue
