// The delivery service's own small, durable memory (DATA/delivery.db, SQLite):
//  - duplicate suppression, as Cyrus' deliver.db: (Message-ID, mailbox) pairs delivered within
//    delivery.duplicate_window_hours are not stored again (the delivery is still reported done);
//  - which accounts were sent the quota warning, so each crossing warns once (like the seed's
//    quotawarn); the mark is cleared when usage falls below the threshold again;
//  - Sieve's memory: vacation replies sent (one per sender per period) and duplicate ids;
//  - which relay requests were queued (a key per request, see DeliveryService::relay_external),
//    so a client's retry of a transaction that was answered 4xx does not queue them again.
// Losing it (crash between the store commit and the record) costs at worst one duplicate copy,
// never a lost message, so it commits with synchronous=NORMAL to spare a second fsync per message.
#pragma once
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace kurier::sql {
class Database;
}

namespace kurier::delivery {

class DeliveryState {
 public:
  explicit DeliveryState(const std::string& path);  // creates/migrates; throws sql::Error
  ~DeliveryState();

  // Whether message_id was delivered to mailbox at or after `since` (Unix seconds).
  bool delivered_since(std::string_view message_id, uint64_t mailbox, int64_t since);
  void record_delivery(std::string_view message_id, uint64_t mailbox, int64_t when);
  // Whether the relay request with this key was queued at or after `since`.
  bool relayed_since(std::string_view key, int64_t since);
  void record_relay(std::string_view key, int64_t when);
  // Drops records older than `before`; returns how many.
  int prune(int64_t before);

  // Sieve vacation (RFC 5230 4.2): when a reply with `handle` last went to `sender`.
  std::optional<int64_t> vacation_sent(int64_t account, std::string_view sender, std::string_view handle);
  void record_vacation(int64_t account, std::string_view sender, std::string_view handle, int64_t when);
  // Sieve duplicate (RFC 7352): whether `id` is tracked for the account and not expired at `now`.
  bool duplicate_tracked(int64_t account, std::string_view id, int64_t now);
  void track_duplicate(int64_t account, std::string_view id, int64_t expires);
  // Drops expired duplicate ids and vacation records older than vacation_before.
  int prune_sieve(int64_t now, int64_t vacation_before);

  bool quota_warned(int64_t account);
  void set_quota_warned(int64_t account, bool warned, int64_t when);

 private:
  std::mutex mutex_;
  std::unique_ptr<sql::Database> db_;
};

}  // namespace kurier::delivery
