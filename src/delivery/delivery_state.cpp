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
};

}  // namespace

DeliveryState::DeliveryState(const std::string& path) : db_(std::make_unique<sql::Database>(path)) {
  db_->exec("PRAGMA synchronous = NORMAL");
  db_->migrate(kMigrations);
}

DeliveryState::~DeliveryState() = default;

bool DeliveryState::delivered_since(std::string_view message_id, uint64_t mailbox, int64_t since) {
  std::lock_guard lock(mutex_);
  auto st = db_->prepare("SELECT 1 FROM delivered WHERE message_id = ? AND mailbox = ? AND at >= ?");
  st.bind_all(message_id, mailbox, since);
  return st.step();
}

void DeliveryState::record_delivery(std::string_view message_id, uint64_t mailbox, int64_t when) {
  std::lock_guard lock(mutex_);
  auto st = db_->prepare(
      "INSERT INTO delivered (message_id, mailbox, at) VALUES (?, ?, ?)"
      " ON CONFLICT (message_id, mailbox) DO UPDATE SET at = excluded.at");
  st.bind_all(message_id, mailbox, when);
  st.run();
}

int DeliveryState::prune(int64_t before) {
  std::lock_guard lock(mutex_);
  auto st = db_->prepare("DELETE FROM delivered WHERE at < ?");
  st.bind_all(before);
  st.run();
  return db_->changes();
}

bool DeliveryState::quota_warned(int64_t account) {
  std::lock_guard lock(mutex_);
  auto st = db_->prepare("SELECT 1 FROM quota_warned WHERE account = ?");
  st.bind_all(account);
  return st.step();
}

void DeliveryState::set_quota_warned(int64_t account, bool warned, int64_t when) {
  std::lock_guard lock(mutex_);
  if (warned) {
    auto st = db_->prepare("INSERT OR REPLACE INTO quota_warned (account, at) VALUES (?, ?)");
    st.bind_all(account, when);
    st.run();
  } else {
    auto st = db_->prepare("DELETE FROM quota_warned WHERE account = ?");
    st.bind_all(account);
    st.run();
  }
}

}  // namespace kurier::delivery
