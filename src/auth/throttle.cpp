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
                              [&](Clock::time_point t) { return t > since; }));
}

void LoginThrottle::FailureTable::add(const std::string& key, Clock::time_point when,
                                      Clock::time_point drop_before) {
  auto found = entries_.find(key);
  if (found == entries_.end()) {
    evict_if_full();
    lru_.push_front(key);
    found = entries_.emplace(key, Entry{{}, lru_.begin()}).first;
  } else {
    lru_.splice(lru_.begin(), lru_, found->second.lru_position);
  }
  auto& failures = found->second.failures;
  while (!failures.empty() && (failures.front() <= drop_before ||
                               failures.size() >= kMaxFailuresPerKey))
    failures.pop_front();
  failures.push_back(when);
}

void LoginThrottle::FailureTable::erase(const std::string& key) {
  auto found = entries_.find(key);
  if (found == entries_.end()) return;
  lru_.erase(found->second.lru_position);
  entries_.erase(found);
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

std::chrono::milliseconds LoginThrottle::delay_for(std::string_view ip,
                                                   std::string_view account) const {
  std::string ip_key = throttle_key_for_ip(ip);
  std::string account_key = to_lower(account);
  std::lock_guard lock(mutex_);
  auto since = now_() - options_.window;
  size_t failures = by_ip_.count_since(ip_key, since);
  if (!account_key.empty())
    failures = std::max(failures, by_account_.count_since(account_key, since));
  return delay_for_count(failures);
}

void LoginThrottle::record_failure(std::string_view ip, std::string_view account) {
  std::string ip_key = throttle_key_for_ip(ip);
  std::string account_key = to_lower(account);
  std::lock_guard lock(mutex_);
  auto now = now_();
  by_ip_.add(ip_key, now, now - options_.window);
  if (!account_key.empty()) by_account_.add(account_key, now, now - options_.window);
}

void LoginThrottle::record_success(std::string_view ip, std::string_view account) {
  std::string ip_key = throttle_key_for_ip(ip);
  std::string account_key = to_lower(account);
  std::lock_guard lock(mutex_);
  by_ip_.erase(ip_key);
  if (!account_key.empty()) by_account_.erase(account_key);
}

size_t LoginThrottle::tracked_keys() const {
  std::lock_guard lock(mutex_);
  return by_ip_.size() + by_account_.size();
}

}  // namespace kurier::auth
