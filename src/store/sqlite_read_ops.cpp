// Read operations of the SQLite backend (see sqlite_ops.h); SQL text in sqlite_sql.h.
#include "store/errors.h"
#include "store/flags.h"
#include "store/sqlite_ops.h"
#include "store/sqlite_sql.h"

namespace kurier::store::sqlite_ops {
namespace {

MailboxInfo read_mailbox_row(const Statement& q) {
  MailboxInfo info;
  info.id = MailboxId(q.int64(0));
  info.account = AccountId(q.int64(1));
  info.name = q.text(2);
  info.uidvalidity = uint32_t(q.int64(3));
  info.uidnext = Uid(q.int64(4));
  info.highest_modseq = ModSeq(q.int64(5));
  info.special_use = q.text(6);
  info.noselect = q.int64(7) != 0;
  info.subscribed = q.int64(8) != 0;
  info.recent_uid = Uid(q.int64(9));
  return info;
}

MessageMeta read_message_row(const Statement& q) {
  MessageMeta meta;
  meta.uid = Uid(q.int64(0));
  meta.modseq = ModSeq(q.int64(1));
  meta.flags.system = uint32_t(q.int64(2));
  meta.flags.keywords = split_keywords(q.text(3));
  meta.internal_date = q.int64(4);
  meta.internal_tz = int32_t(q.int64(5));
  meta.size = uint64_t(q.int64(6));
  if (auto blob = BlobId::parse(q.text(7))) meta.blob = *blob;
  return meta;
}

std::vector<MailboxInfo> mailbox_rows(Statement& q) {
  std::vector<MailboxInfo> out;
  while (q.step()) out.push_back(read_mailbox_row(q));
  return out;
}

}  // namespace

std::optional<MailboxInfo> find_mailbox(Database& db, MailboxId id) {
  auto q = db.query(sql::kMailboxById, id);
  if (!q.step()) return std::nullopt;
  return read_mailbox_row(q);
}

std::optional<MailboxInfo> find_mailbox(Database& db, AccountId account, const std::string& name) {
  auto q = db.query(sql::kMailboxByName, account, name);
  if (!q.step()) return std::nullopt;
  return read_mailbox_row(q);
}

MailboxInfo require_mailbox(Database& db, MailboxId id) {
  auto info = find_mailbox(db, id);
  if (!info) throw StoreError(StoreErrc::not_found, "mailbox #" + std::to_string(id) + " not found");
  return *info;
}

std::vector<MailboxInfo> list_mailboxes(Database& db, AccountId account) {
  auto q = db.query(sql::kListMailboxes, account);
  return mailbox_rows(q);
}

std::vector<MailboxInfo> inferiors(Database& db, AccountId account, const std::string& name) {
  auto q = db.query(sql::kInferiors, account, name);
  return mailbox_rows(q);
}

std::vector<std::string> subscriptions(Database& db, AccountId account) {
  auto q = db.query(sql::kSubscriptions, account);
  std::vector<std::string> out;
  while (q.step()) out.push_back(q.text(0));
  return out;
}

MailboxStatus mailbox_status(Database& db, MailboxId id) {
  auto q = db.query(sql::kMailboxStatus, id);
  if (!q.step()) throw StoreError(StoreErrc::not_found, "mailbox #" + std::to_string(id) + " not found");
  MailboxStatus status;
  status.messages = uint32_t(q.int64(0));
  status.unseen = uint32_t(q.int64(1));
  status.deleted = uint32_t(q.int64(2));
  status.size = uint64_t(q.int64(3));
  status.uidnext = Uid(q.int64(4));
  status.uidvalidity = uint32_t(q.int64(5));
  status.highest_modseq = ModSeq(q.int64(6));
  status.recent = uint32_t(q.int64(7));
  return status;
}

std::vector<MessageMeta> messages(Database& db, MailboxId id, const UidSet& normalized) {
  std::vector<MessageMeta> out;
  for (const auto& range : normalized) {
    auto q = db.query(sql::kMessagesInRange, id, range.first, range.last);
    while (q.step()) out.push_back(read_message_row(q));
  }
  return out;
}

std::vector<MessageMeta> expunged_messages(Database& db, MailboxId id, const UidSet& normalized) {
  std::vector<MessageMeta> out;
  for (const auto& range : normalized) {
    auto q = db.query(sql::kExpungedInRange, id, range.first, range.last);
    while (q.step()) out.push_back(read_message_row(q));
  }
  return out;
}

std::vector<std::pair<Uid, std::string>> structures(Database& db, MailboxId id,
                                                    const UidSet& normalized) {
  std::vector<std::pair<Uid, std::string>> out;
  for (const auto& range : normalized) {
    auto q = db.query(sql::kStructuresInRange, id, range.first, range.last);
    while (q.step()) out.emplace_back(Uid(q.int64(0)), q.blob(1));
  }
  return out;
}

Changes changes_since(Database& db, MailboxId id, ModSeq since) {
  Changes changes;
  MailboxInfo box = require_mailbox(db, id);
  changes.highest_modseq = box.highest_modseq;
  changes.recent_uid = box.recent_uid;
  {
    auto q = db.query(sql::kMessagesChangedSince, id, since);
    while (q.step()) changes.changed.push_back(read_message_row(q));
  }
  auto q = db.query(sql::kVanishedSince, id, since);
  while (q.step()) changes.vanished.push_back(Uid(q.int64(0)));
  return changes;
}

QuotaUsage quota_usage(Database& db, AccountId account) {
  auto q = db.query(sql::kQuotaUsage, account);
  QuotaUsage usage;
  if (q.step()) {
    usage.bytes = uint64_t(q.int64(0));
    usage.messages = uint64_t(q.int64(1));
  }
  return usage;
}

}  // namespace kurier::store::sqlite_ops
