#include "queue/backoff.h"

#include <gtest/gtest.h>

namespace kurier::queue {
namespace {

TEST(Backoff, DoublesFromTheInitialDelayUpToTheCap) {
  RetryPolicy p;
  p.initial_seconds = 300;
  EXPECT_EQ(p.backoff(1), 300);
  EXPECT_EQ(p.backoff(2), 600);
  EXPECT_EQ(p.backoff(3), 1200);
  EXPECT_EQ(p.backoff(4), 2400);
  EXPECT_EQ(p.backoff(5), 4000);  // Postfix maximal_backoff_time
  EXPECT_EQ(p.backoff(50), 4000);
}

TEST(Backoff, AnInitialDelayAboveTheCapIsKept) {
  RetryPolicy p;
  p.initial_seconds = 7200;
  EXPECT_EQ(p.backoff(1), 7200);
  EXPECT_EQ(p.backoff(10), 7200);
}

TEST(Backoff, NeverPastTheExpiryAndExpiresOnTime) {
  RetryPolicy p;
  p.initial_seconds = 300;
  p.max_queue_days = 5;
  const int64_t created = 1'000'000;
  const int64_t expiry = created + 5 * 86400;
  EXPECT_EQ(p.expiry(created), expiry);
  EXPECT_EQ(p.next_attempt(created, created + 60, 1), created + 360);
  EXPECT_EQ(p.next_attempt(created, expiry - 100, 9), expiry);  // the last attempt at expiry
  EXPECT_FALSE(p.expired(created, expiry - 1));
  EXPECT_TRUE(p.expired(created, expiry));
}

TEST(Backoff, WholeScheduleFitsRfc5321Guidance) {
  // RFC 5321 4.5.4.1: keep trying for 4-5 days. Count attempts over the default lifetime.
  RetryPolicy p;
  int64_t created = 0, now = 0;
  int attempts = 0;
  while (!p.expired(created, now)) {
    ++attempts;
    now = p.next_attempt(created, now, attempts);
  }
  EXPECT_EQ(now, 5 * 86400);
  EXPECT_GT(attempts, 100);  // about hourly after the first few hours
  EXPECT_LT(attempts, 130);
}

TEST(Backoff, DelayWarningOnceAfterTheConfiguredHours) {
  RetryPolicy p;
  p.delay_warning_hours = 4;
  EXPECT_FALSE(p.delay_warning_due(0, 4 * 3600 - 1, false));
  EXPECT_TRUE(p.delay_warning_due(0, 4 * 3600, false));
  EXPECT_FALSE(p.delay_warning_due(0, 5 * 3600, true));
  p.delay_warning_hours = 0;
  EXPECT_FALSE(p.delay_warning_due(0, 100 * 3600, false));
}

}  // namespace
}  // namespace kurier::queue
