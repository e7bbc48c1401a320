// LoginThrottle slows down password guessing: failed logins are counted per client address and
// per account name over a sliding window. It delays, never locks out, so an attacker cannot lock
// a real user out of their account. Two delays apply:
//   - before a password is checked, reserve_attempt() gives the attempt its turn: once an address
//     or an account owes a delay, its attempts are spaced that far apart even when they arrive
//     on many parallel connections (each call reserves the next free slot), so parallelism does
//     not outrun the throttle, and a right guess is not answered sooner than a wrong one;
//   - a failure's answer is held back for the delay its new count earns (record_failure()).
// A success forgets the account's failures and only those failures of its address that were
// made on the same account (an honest user's typos): succeeding on one's own account never
// resets a guessing run against other accounts from that address.
//
// IPv6 clients are counted per /64 (one customer network usually owns a whole /64); IPv4-mapped
// IPv6 addresses count as their IPv4 address. Memory is bounded: each table keeps at most
// Options::max_entries keys and evicts the least recently touched one. Thread-safe.
#pragma once
#include <chrono>
#include <cstddef>
#include <deque>
#include <functional>
#include <list>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace kurier::auth {

// The key an address is counted under: "192.0.2.1", "2001:db8:1:2::/64", or the input itself
// when it is not an IP address.
std::string throttle_key_for_ip(std::string_view ip);

class LoginThrottle {
 public:
  using Clock = std::chrono::steady_clock;
  using NowFunction = std::function<Clock::time_point()>;

  struct Options {
    std::chrono::milliseconds window = std::chrono::minutes(15);
    unsigned free_failures = 3;                           // failures with no delay
    std::chrono::milliseconds first_delay = std::chrono::seconds(1);  // doubled for each further
    std::chrono::milliseconds max_delay = std::chrono::seconds(15);
    size_t max_entries = 100'000;                         // per table (addresses, accounts)
  };

  LoginThrottle() : LoginThrottle(Options{}) {}
  explicit LoginThrottle(Options options, NowFunction now = &Clock::now);

  // Delay owed by a client at ip: 0 for the first free_failures failures in the window, then
  // first_delay, doubling with each failure, capped at max_delay.
  std::chrono::milliseconds delay_for(std::string_view ip) const;
  // The larger of the address's and the account's delay (account compared case-insensitively).
  std::chrono::milliseconds delay_for(std::string_view ip, std::string_view account) const;
  // Before checking a password: how long this attempt waits for its turn (0 while no delay is
  // owed). Each call with a delay owed reserves the next slot of the address and the account.
  std::chrono::milliseconds reserve_attempt(std::string_view ip, std::string_view account);
  // account may be empty when the exchange failed before a user name was known. Returns how long
  // to hold the failure's answer: delay_for(ip, account) with this failure counted.
  std::chrono::milliseconds record_failure(std::string_view ip, std::string_view account);
  // Forgets the account's failures and this address's failures on this account.
  void record_success(std::string_view ip, std::string_view account);
  // Number of keys held, addresses plus accounts (for tests and metrics).
  size_t tracked_keys() const;

 private:
  // Recent failures per key with least-recently-used eviction. Not locked by itself.
  class FailureTable {
   public:
    explicit FailureTable(size_t max_entries) : max_entries_(max_entries) {}
    size_t count_since(const std::string& key, Clock::time_point since) const;
    // account_tag: a hash of the account the failure was made on (0 when unknown).
    void add(const std::string& key, Clock::time_point when, Clock::time_point drop_before,
             size_t account_tag);
    void erase(const std::string& key);
    // Drops the key's failures made on the tagged account; the key goes when none are left.
    void erase_tagged(const std::string& key, size_t account_tag);
    // The slot an attempt on this key may start at, given the delay owed; moves the next free
    // slot on by that delay. No-op (returns now) for an unknown key.
    Clock::time_point reserve(const std::string& key, Clock::time_point now,
                              std::chrono::milliseconds delay);
    void push_next_slot(const std::string& key, Clock::time_point at_least);
    size_t size() const { return entries_.size(); }

   private:
    struct Failure {
      Clock::time_point when;
      size_t account_tag;
    };
    struct Entry {
      std::deque<Failure> failures;  // oldest first, at most kMaxFailuresPerKey
      Clock::time_point next_slot;   // when the next attempt may start
      std::list<std::string>::iterator lru_position;
    };
    void evict_if_full();
    size_t max_entries_;
    std::unordered_map<std::string, Entry> entries_;
    std::list<std::string> lru_;  // front: most recently touched
  };

  std::chrono::milliseconds delay_for_count(size_t failures) const;
  std::chrono::milliseconds delay_locked(const std::string& ip_key, const std::string& account_key,
                                         Clock::time_point now) const;

  Options options_;
  NowFunction now_;
  mutable std::mutex mutex_;
  FailureTable by_ip_;
  FailureTable by_account_;
};

}  // namespace kurier::auth
