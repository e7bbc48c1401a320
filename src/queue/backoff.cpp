#include "queue/backoff.h"

#include <algorithm>

namespace kurier::queue {

int64_t RetryPolicy::backoff(int attempts) const {
  int64_t cap = std::max(initial_seconds, kMaxBackoffSeconds);
  int64_t delay = std::max<int64_t>(initial_seconds, 1);
  for (int i = 1; i < attempts && delay < cap; ++i) delay *= 2;
  return std::min(delay, cap);
}

int64_t RetryPolicy::next_attempt(int64_t created, int64_t now, int attempts) const {
  return std::min(now + backoff(attempts), std::max(expiry(created), now));
}

bool RetryPolicy::delay_warning_due(int64_t created, int64_t now, bool already_warned) const {
  if (already_warned || delay_warning_hours <= 0) return false;
  return now - created >= int64_t(delay_warning_hours) * 3600;
}

}  // namespace kurier::queue
