#include "auth/throttle.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace kurier::auth {
namespace {

using namespace std::chrono_literals;
using std::chrono::milliseconds;

// A LoginThrottle whose clock the test moves by hand.
struct ThrottleWithClock {
  LoginThrottle::Clock::time_point now{std::chrono::hours(1000)};
  LoginThrottle throttle;
  explicit ThrottleWithClock(LoginThrottle::Options options = {})
      : throttle(options, [this] { return now; }) {}
  void fail(std::string_view ip, std::string_view account, int times = 1) {
    for (int i = 0; i < times; ++i) throttle.record_failure(ip, account);
  }
};

TEST(LoginThrottle, FreeFailuresThenDoublingUpToCap) {
  ThrottleWithClock t;
  // expected[n]: the delay after n failures.
  const std::vector<milliseconds> expected = {0ms,    0ms,    0ms,    0ms,     1000ms,
                                              2000ms, 4000ms, 8000ms, 15000ms, 15000ms};
  for (size_t failures = 0; failures < expected.size(); ++failures) {
    EXPECT_EQ(t.throttle.delay_for("192.0.2.1"), expected[failures]) << failures;
    t.fail("192.0.2.1", "alice");
  }
  EXPECT_EQ(t.throttle.delay_for("192.0.2.2"), 0ms);  // other addresses are unaffected
}

TEST(LoginThrottle, FailuresExpireFromSlidingWindow) {
  ThrottleWithClock t({.window = 10min});
  t.fail("192.0.2.1", "", 3);
  t.now += 6min;
  t.fail("192.0.2.1", "", 2);
  EXPECT_EQ(t.throttle.delay_for("192.0.2.1"), 2000ms);  // 5 failures in the window
  t.now += 5min;                                         // the first 3 are now 11 minutes old
  EXPECT_EQ(t.throttle.delay_for("192.0.2.1"), 0ms);
  t.fail("192.0.2.1", "", 2);
  EXPECT_EQ(t.throttle.delay_for("192.0.2.1"), 1000ms);  // 4 in the window
  t.now += 10min;
  EXPECT_EQ(t.throttle.delay_for("192.0.2.1"), 0ms);
}

TEST(LoginThrottle, SuccessClearsTheAccountAndItsOwnFailuresFromTheAddress) {
  ThrottleWithClock t;
  t.fail("192.0.2.1", "alice", 6);
  EXPECT_GT(t.throttle.delay_for("192.0.2.1"), 0ms);
  t.throttle.record_success("192.0.2.1", "Alice");
  EXPECT_EQ(t.throttle.delay_for("192.0.2.1"), 0ms);
  EXPECT_EQ(t.throttle.delay_for("198.51.100.7", "alice"), 0ms);
  EXPECT_EQ(t.throttle.tracked_keys(), 0u);
}

// The attack the old rule allowed: guess at bob, log in to one's own account to reset the
// address's count, guess on.
TEST(LoginThrottle, SuccessOnAnotherAccountDoesNotResetTheAddress) {
  ThrottleWithClock t;
  t.fail("192.0.2.1", "bob", 6);
  t.fail("192.0.2.1", "", 1);  // a failure before any name was known stays too
  auto before = t.throttle.delay_for("192.0.2.1");
  EXPECT_EQ(before, 8000ms);
  t.throttle.record_success("192.0.2.1", "mallory");
  EXPECT_EQ(t.throttle.delay_for("192.0.2.1"), before);
  EXPECT_EQ(t.throttle.delay_for("203.0.113.1", "bob"), 4000ms);
}

TEST(LoginThrottle, RecordFailureReturnsTheDelayItEarns) {
  ThrottleWithClock t;
  EXPECT_EQ(t.throttle.record_failure("192.0.2.1", "alice"), 0ms);
  EXPECT_EQ(t.throttle.record_failure("192.0.2.1", "alice"), 0ms);
  EXPECT_EQ(t.throttle.record_failure("192.0.2.1", "alice"), 0ms);
  EXPECT_EQ(t.throttle.record_failure("192.0.2.1", "alice"), 1000ms);
  EXPECT_EQ(t.throttle.record_failure("192.0.2.1", "carol"), 2000ms);  // the address's count
}

TEST(LoginThrottle, NoWaitWhileNothingIsOwed) {
  ThrottleWithClock t;
  t.fail("192.0.2.1", "alice", 3);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(t.throttle.reserve_attempt("192.0.2.1", "alice"), 0ms);
  EXPECT_EQ(t.throttle.reserve_attempt("192.0.2.9", "bob"), 0ms);
}

// Parallel connections all asking at once are given slots one delay apart, so they cannot test
// more passwords than one connection could.
TEST(LoginThrottle, ParallelAttemptsAreSpacedByTheDelay) {
  ThrottleWithClock t;
  t.fail("192.0.2.1", "alice", 4);   // owes 1 s; the 4th failure's answer took until now + 1 s
  t.now += 1s;
  EXPECT_EQ(t.throttle.reserve_attempt("192.0.2.1", "bob"), 0ms);
  EXPECT_EQ(t.throttle.reserve_attempt("192.0.2.1", "carol"), 1000ms);
  EXPECT_EQ(t.throttle.reserve_attempt("192.0.2.1", "dave"), 2000ms);
  // Another address guessing at alice waits for alice's slots.
  EXPECT_EQ(t.throttle.reserve_attempt("198.51.100.1", "alice"), 0ms);
  EXPECT_EQ(t.throttle.reserve_attempt("198.51.100.2", "alice"), 1000ms);
  // Unrelated addresses and accounts are not held up.
  EXPECT_EQ(t.throttle.reserve_attempt("203.0.113.5", "erin"), 0ms);
}

TEST(LoginThrottle, AFailureHoldsBackTheNextAttempt) {
  ThrottleWithClock t;
  t.fail("192.0.2.1", "alice", 4);  // answer held 1 s
  EXPECT_EQ(t.throttle.reserve_attempt("192.0.2.1", "alice"), 1000ms);
}

TEST(LoginThrottle, CountsPerAccountAcrossAddresses) {
  ThrottleWithClock t;
  for (int i = 0; i < 5; ++i) t.fail("192.0.2." + std::to_string(i), "Alice@Example.org");
  EXPECT_EQ(t.throttle.delay_for("203.0.113.9"), 0ms);
  EXPECT_EQ(t.throttle.delay_for("203.0.113.9", "alice@example.org"), 2000ms);
  EXPECT_EQ(t.throttle.delay_for("203.0.113.9", "bob@example.org"), 0ms);
}

TEST(LoginThrottle, EmptyAccountCountsOnlyTheAddress) {
  ThrottleWithClock t;
  t.fail("192.0.2.1", "", 4);
  EXPECT_EQ(t.throttle.delay_for("192.0.2.1", ""), 1000ms);
  EXPECT_EQ(t.throttle.tracked_keys(), 1u);
}

TEST(LoginThrottle, Ipv6CountsPerSlash64) {
  ThrottleWithClock t;
  t.fail("2001:db8:1:2::1", "", 2);
  t.fail("2001:db8:1:2:ffff:eeee:dddd:cccc", "", 2);
  EXPECT_EQ(t.throttle.delay_for("2001:db8:1:2::42"), 1000ms);
  EXPECT_EQ(t.throttle.delay_for("2001:db8:1:3::1"), 0ms);
}

TEST(LoginThrottle, KeysForAddresses) {
  EXPECT_EQ(throttle_key_for_ip("192.0.2.1"), "192.0.2.1");
  EXPECT_EQ(throttle_key_for_ip("::ffff:192.0.2.1"), "192.0.2.1");
  EXPECT_EQ(throttle_key_for_ip("2001:DB8:1:2:3:4:5:6"), "2001:db8:1:2::/64");
  EXPECT_EQ(throttle_key_for_ip("::1"), "::/64");
  EXPECT_EQ(throttle_key_for_ip("unix-socket"), "unix-socket");
  EXPECT_EQ(throttle_key_for_ip(""), "");
  std::string long_text(200, 'x');
  EXPECT_EQ(throttle_key_for_ip(long_text), long_text);
}

TEST(LoginThrottle, EvictsLeastRecentlyTouchedWhenFull) {
  ThrottleWithClock t({.max_entries = 3});
  t.fail("192.0.2.1", "", 5);
  t.fail("192.0.2.2", "", 5);
  t.fail("192.0.2.3", "", 5);
  t.fail("192.0.2.1", "");     // touch .1, so .2 is now the oldest
  t.fail("192.0.2.4", "", 5);  // evicts .2
  EXPECT_EQ(t.throttle.tracked_keys(), 3u);
  EXPECT_EQ(t.throttle.delay_for("192.0.2.2"), 0ms);
  EXPECT_EQ(t.throttle.delay_for("192.0.2.1"), 4000ms);
  EXPECT_EQ(t.throttle.delay_for("192.0.2.3"), 2000ms);
  EXPECT_EQ(t.throttle.delay_for("192.0.2.4"), 2000ms);
}

TEST(LoginThrottle, MemoryStaysBoundedUnderManyAddresses) {
  ThrottleWithClock t({.max_entries = 100});
  for (int i = 0; i < 5000; ++i)
    t.fail("10.0." + std::to_string(i / 256) + "." + std::to_string(i % 256), "user" +
           std::to_string(i));
  EXPECT_EQ(t.throttle.tracked_keys(), 200u);
}

TEST(LoginThrottle, ManyFailuresOnOneKeyStayBoundedAndCapped) {
  ThrottleWithClock t;
  t.fail("192.0.2.1", "alice", 10000);
  EXPECT_EQ(t.throttle.delay_for("192.0.2.1", "alice"), 15000ms);
}

TEST(LoginThrottle, CustomOptions) {
  ThrottleWithClock t({.free_failures = 0, .first_delay = 100ms, .max_delay = 250ms});
  EXPECT_EQ(t.throttle.delay_for("192.0.2.1"), 0ms);
  t.fail("192.0.2.1", "");
  EXPECT_EQ(t.throttle.delay_for("192.0.2.1"), 100ms);
  t.fail("192.0.2.1", "");
  EXPECT_EQ(t.throttle.delay_for("192.0.2.1"), 200ms);
  t.fail("192.0.2.1", "");
  EXPECT_EQ(t.throttle.delay_for("192.0.2.1"), 250ms);
}

TEST(LoginThrottle, IsThreadSafe) {
  LoginThrottle throttle;  // real clock
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&throttle, i] {
      for (int n = 0; n < 500; ++n) {
        std::string ip = "192.0.2." + std::to_string(n % 50);
        throttle.record_failure(ip, "user" + std::to_string(i));
        (void)throttle.delay_for(ip, "user0");
        (void)throttle.reserve_attempt(ip, "user1");
        if (n % 7 == 0) throttle.record_success(ip, "user" + std::to_string(i));
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_LE(throttle.tracked_keys(), 54u);
}

}  // namespace
}  // namespace kurier::auth
