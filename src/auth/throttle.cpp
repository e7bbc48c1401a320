// Failed-login throttling; see throttle.h.
#include "auth/throttle.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>

#include "common/strings.h"

namespace kurier::auth {
namespace {

// Enough to reach any sensible max_delay; older failures beyond this are forgotten.
constexpr size_t kMaxFailuresPerKey = 64;

std::string ipv6_prefix_key(const in6_addr& address) {
  in6_addr prefix = address;
  std::memset(prefix.s6_addr + 8, 0, 8);
  char text[INET6_ADDRSTRLEN];
  if (inet_ntop(AF_INET6, &prefix, text, sizeof text) == nullptr) return {};
  return std::string(text) + "/64";
}

std::string ipv4_key(const uint8_t* four_bytes) {
  char text[INET_ADDRSTRLEN];
  if (inet_ntop(AF_INET, four_bytes, text, sizeof text) == nullptr) return {};
  return text;
}

}  // namespace

std::string throttle_key_for_ip(std::string_view ip) {
  if (ip.size() >= INET6_ADDRSTRLEN) return std::string(ip);
  std::string ip_z(ip);
  in_addr v4{};
  if (inet_pton(AF_INET, ip_z.c_str(), &v4) == 1)
    return ipv4_key(reinterpret_cast<const uint8_t*>(&v4));
  in6_addr v6{};
  if (inet_pton(AF_INET6, ip_z.c_str(), &v6) != 1) return ip_z;
  if (IN6_IS_ADDR_V4MAPPED(&v6)) return ipv4_key(v6.s6_addr + 12);
  return ipv6_prefix_key(v6);
}

size_t LoginThrottle::FailureTable::count_since(const std::string& key,
                                                Clock::time_point since) const {
  auto found = entries_.find(key);
  if (found == entries_.end()) return 0;
  const auto& failures = found->second.failures;
  return size_t(std::count_if(failures.begin(), failures.end(),
                              [&](const Failure& f) { return f.when > since; }));
}

void LoginThrottle::FailureTable::add(const std::string& key, Clock::time_point when,
                                      Clock::time_point drop_before, size_t account_tag) {
  auto found = entries_.find(key);
  if (found == entries_.end()) {
    evict_if_full();
    lru_.push_front(key);
    found = entries_.emplace(key, Entry{{}, when, lru_.begin()}).first;
  } else {
    lru_.splice(lru_.begin(), lru_, found->second.lru_position);
  }
  auto& failures = found->second.failures;
  while (!failures.empty() && (failures.front().when <= drop_before ||
                               failures.size() >= kMaxFailuresPerKey))
    failures.pop_front();
  failures.push_back({when, account_tag});
}

void LoginThrottle::FailureTable::erase(const std::string& key) {
  auto found = entries_.find(key);
  if (found == entries_.end()) return;
  lru_.erase(found->second.lru_position);
  entries_.erase(found);
}

void LoginThrottle::FailureTable::erase_tagged(const std::string& key, size_t account_tag) {
  auto found = entries_.find(key);
  if (found == entries_.end()) return;
  auto& failures = found->second.failures;
  std::erase_if(failures, [&](const Failure& f) { return f.account_tag == account_tag; });
  if (failures.empty()) erase(key);
}

LoginThrottle::Clock::time_point LoginThrottle::FailureTable::reserve(
    const std::string& key, Clock::time_point now, std::chrono::milliseconds delay) {
  auto found = entries_.find(key);
  if (found == entries_.end()) return now;
  auto slot = std::max(now, found->second.next_slot);
  found->second.next_slot = slot + delay;
  return slot;
}

void LoginThrottle::FailureTable::push_next_slot(const std::string& key, Clock::time_point at_least) {
  auto found = entries_.find(key);
  if (found != entries_.end()) found->second.next_slot = std::max(found->second.next_slot, at_least);
}

void LoginThrottle::FailureTable::evict_if_full() {
  while (!lru_.empty() && entries_.size() >= max_entries_) {
    entries_.erase(lru_.back());
    lru_.pop_back();
  }
}

LoginThrottle::LoginThrottle(Options options, NowFunction now)
    : options_(options),
      now_(std::move(now)),
      by_ip_(std::max<size_t>(options.max_entries, 1)),
      by_account_(std::max<size_t>(options.max_entries, 1)) {}

std::chrono::milliseconds LoginThrottle::delay_for_count(size_t failures) const {
  if (failures <= options_.free_failures) return std::chrono::milliseconds(0);
  size_t doublings = std::min<size_t>(failures - options_.free_failures - 1, 30);
  auto delay = options_.first_delay * (int64_t(1) << doublings);
  return std::min(delay, options_.max_delay);
}

std::chrono::milliseconds LoginThrottle::delay_for(std::string_view ip) const {
  return delay_for(ip, "");
}

std::chrono::milliseconds LoginThrottle::delay_locked(const std::string& ip_key,
                                                      const std::string& account_key,
                                                      Clock::time_point now) const {
  auto since = now - options_.window;
  size_t failures = by_ip_.count_since(ip_key, since);
  if (!account_key.empty())
    failures = std::max(failures, by_account_.count_since(account_key, since));
  return delay_for_count(failures);
}

std::chrono::milliseconds LoginThrottle::delay_for(std::string_view ip,
                                                   std::string_view account) const {
  std::string ip_key = throttle_key_for_ip(ip);
  std::string account_key = to_lower(account);
  std::lock_guard lock(mutex_);
  return delay_locked(ip_key, account_key, now_());
}

std::chrono::milliseconds LoginThrottle::reserve_attempt(std::string_view ip,
                                                         std::string_view account) {
  std::string ip_key = throttle_key_for_ip(ip);
  std::string account_key = to_lower(account);
  std::lock_guard lock(mutex_);
  auto now = now_();
  auto since = now - options_.window;
  auto ip_delay = delay_for_count(by_ip_.count_since(ip_key, since));
  auto slot = now;
  if (ip_delay.count() > 0) slot = std::max(slot, by_ip_.reserve(ip_key, now, ip_delay));
  if (!account_key.empty()) {
    auto account_delay = delay_for_count(by_account_.count_since(account_key, since));
    if (account_delay.count() > 0)
      slot = std::max(slot, by_account_.reserve(account_key, now, account_delay));
  }
  return std::chrono::ceil<std::chrono::milliseconds>(slot - now);
}

std::chrono::milliseconds LoginThrottle::record_failure(std::string_view ip,
                                                        std::string_view account) {
  std::string ip_key = throttle_key_for_ip(ip);
  std::string account_key = to_lower(account);
  size_t tag = account_key.empty() ? 0 : std::hash<std::string>{}(account_key);
  std::lock_guard lock(mutex_);
  auto now = now_();
  by_ip_.add(ip_key, now, now - options_.window, tag);
  if (!account_key.empty()) by_account_.add(account_key, now, now - options_.window, tag);
  auto delay = delay_locked(ip_key, account_key, now);
  // The next attempt may not start before this failure has been answered.
  by_ip_.push_next_slot(ip_key, now + delay);
  if (!account_key.empty()) by_account_.push_next_slot(account_key, now + delay);
  return delay;
}

void LoginThrottle::record_success(std::string_view ip, std::string_view account) {
  std::string ip_key = throttle_key_for_ip(ip);
  std::string account_key = to_lower(account);
  if (account_key.empty()) return;
  std::lock_guard lock(mutex_);
  by_ip_.erase_tagged(ip_key, std::hash<std::string>{}(account_key));
  by_account_.erase(account_key);
}

size_t LoginThrottle::tracked_keys() const {
  std::lock_guard lock(mutex_);
  return by_ip_.size() + by_account_.size();
}

}  // namespace kurier::auth
