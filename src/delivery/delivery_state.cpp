// Duplicate-delivery and quota-warning records (see delivery_state.h).
#include "delivery/delivery_state.h"

#include "common/sqlite.h"

namespace kurier::delivery {
namespace {

const std::vector<std::string> kMigrations = {
    "CREATE TABLE delivered (message_id TEXT NOT NULL, mailbox INTEGER NOT NULL, at INTEGER NOT NULL,"
    " PRIMARY KEY (message_id, mailbox)) WITHOUT ROWID;"
    "CREATE INDEX delivered_at ON delivered (at);"
    "CREATE TABLE quota_warned (account INTEGER PRIMARY KEY, at INTEGER NOT NULL);",
    "CREATE TABLE relayed (key TEXT PRIMARY KEY, at INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE INDEX relayed_at ON relayed (at);",
    // Sieve: vacation replies sent (RFC 5230 4.2, one per sender and handle per period) and the
    // duplicate extension's tracked ids (RFC 7352), per account.
    "CREATE TABLE vacation_sent (account INTEGER NOT NULL, sender TEXT NOT NULL, handle TEXT NOT NULL,"
    " at INTEGER NOT NULL, PRIMARY KEY (account, sender, handle)) WITHOUT ROWID;"
    "CREATE INDEX vacation_sent_at ON vacation_sent (at);"
    "CREATE TABLE sieve_duplicates (account INTEGER NOT NULL, id TEXT NOT NULL, expires INTEGER NOT NULL,"
    " PRIMARY KEY (account, id)) WITHOUT ROWID;"
    "CREATE INDEX sieve_duplicates_expires ON sieve_duplicates (expires);",
};

// synchronous=NORMAL: see delivery_state.h for why losing the last records is acceptable.
sql::Database::Options normal_sync() {
  sql::Database::Options options;
  options.sync = sql::Database::Sync::normal;
  return options;
}

}  // namespace

DeliveryState::DeliveryState(const std::string& path) : db_(std::make_unique<sql::Database>(path, normal_sync())) {
  db_->migrate(kMigrations);
}

DeliveryState::~DeliveryState() = default;

bool DeliveryState::delivered_since(std::string_view message_id, uint64_t mailbox, int64_t since) {
  std::lock_guard lock(mutex_);
  return db_->query("SELECT 1 FROM delivered WHERE message_id = ? AND mailbox = ? AND at >= ?", message_id, mailbox,
                    since)
      .step();
}

void DeliveryState::record_delivery(std::string_view message_id, uint64_t mailbox, int64_t when) {
  std::lock_guard lock(mutex_);
  db_->query(
         "INSERT INTO delivered (message_id, mailbox, at) VALUES (?, ?, ?)"
         " ON CONFLICT (message_id, mailbox) DO UPDATE SET at = excluded.at",
         message_id, mailbox, when)
      .run();
}

bool DeliveryState::relayed_since(std::string_view key, int64_t since) {
  std::lock_guard lock(mutex_);
  return db_->query("SELECT 1 FROM relayed WHERE key = ? AND at >= ?", key, since).step();
}

void DeliveryState::record_relay(std::string_view key, int64_t when) {
  std::lock_guard lock(mutex_);
  db_->query("INSERT INTO relayed (key, at) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET at = excluded.at", key, when)
      .run();
}

int DeliveryState::prune(int64_t before) {
  std::lock_guard lock(mutex_);
  db_->query("DELETE FROM delivered WHERE at < ?", before).run();
  int removed = db_->changes();
  db_->query("DELETE FROM relayed WHERE at < ?", before).run();
  return removed + db_->changes();
}

std::optional<int64_t> DeliveryState::vacation_sent(int64_t account, std::string_view sender, std::string_view handle) {
  std::lock_guard lock(mutex_);
  auto st = db_->query("SELECT at FROM vacation_sent WHERE account = ? AND sender = ? AND handle = ?", account,
                       sender, handle);
  if (!st.step()) return std::nullopt;
  return st.int64(0);
}

void DeliveryState::record_vacation(int64_t account, std::string_view sender, std::string_view handle, int64_t when) {
  std::lock_guard lock(mutex_);
  db_->query(
         "INSERT INTO vacation_sent (account, sender, handle, at) VALUES (?, ?, ?, ?)"
         " ON CONFLICT (account, sender, handle) DO UPDATE SET at = excluded.at",
         account, sender, handle, when)
      .run();
}

bool DeliveryState::duplicate_tracked(int64_t account, std::string_view id, int64_t now) {
  std::lock_guard lock(mutex_);
  return db_->query("SELECT 1 FROM sieve_duplicates WHERE account = ? AND id = ? AND expires > ?", account, id, now)
      .step();
}

void DeliveryState::track_duplicate(int64_t account, std::string_view id, int64_t expires) {
  std::lock_guard lock(mutex_);
  db_->query(
         "INSERT INTO sieve_duplicates (account, id, expires) VALUES (?, ?, ?)"
         " ON CONFLICT (account, id) DO UPDATE SET expires = excluded.expires",
         account, id, expires)
      .run();
}

int DeliveryState::prune_sieve(int64_t now, int64_t vacation_before) {
  std::lock_guard lock(mutex_);
  db_->query("DELETE FROM sieve_duplicates WHERE expires <= ?", now).run();
  int removed = db_->changes();
  db_->query("DELETE FROM vacation_sent WHERE at < ?", vacation_before).run();
  return removed + db_->changes();
}

bool DeliveryState::quota_warned(int64_t account) {
  std::lock_guard lock(mutex_);
  return db_->query("SELECT 1 FROM quota_warned WHERE account = ?", account).step();
}

void DeliveryState::set_quota_warned(int64_t account, bool warned, int64_t when) {
  std::lock_guard lock(mutex_);
  if (warned)
    db_->query("INSERT OR REPLACE INTO quota_warned (account, at) VALUES (?, ?)", account, when).run();
  else
    db_->query("DELETE FROM quota_warned WHERE account = ?", account).run();
}

}  // namespace kurier::delivery
