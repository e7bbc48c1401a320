// The retry schedule of the outbound queue (RFC 5321 4.5.4.1: retry after a temporary failure,
// give up after some days). Postfix-like: the wait doubles after every failed attempt, starting
// at [outbound] retry_initial_seconds and capped at kMaxBackoffSeconds (Postfix's
// maximal_backoff_time); the last attempt happens when the message turns max_queue_days old, and
// a message still undelivered then is bounced.
#pragma once
#include <cstdint>

namespace kurier::queue {

struct RetryPolicy {
  static constexpr int64_t kMaxBackoffSeconds = 4000;
  int64_t initial_seconds = 300;
  int max_queue_days = 5;
  int delay_warning_hours = 4;  // 0 = never warn

  // Seconds to wait after the attempts-th failed attempt (attempts >= 1):
  // initial, 2*initial, 4*initial, ... capped at max(initial, kMaxBackoffSeconds).
  int64_t backoff(int attempts) const;
  int64_t expiry(int64_t created) const { return created + int64_t(max_queue_days) * 86400; }
  bool expired(int64_t created, int64_t now) const { return now >= expiry(created); }
  // When to try again after a failed attempt at `now`: never later than the expiry time, so the
  // final attempt happens when the message is max_queue_days old.
  int64_t next_attempt(int64_t created, int64_t now, int attempts) const;
  // The sender should get the one delay notice (RFC 3464 "delayed") now.
  bool delay_warning_due(int64_t created, int64_t now, bool already_warned) const;
};

}  // namespace kurier::queue
