// Internal to the SQLite backend: the store's operations as functions over one connection.
// Read operations take any connection; write operations take the WriteContext of the writer
// thread's open transaction (group_commit.h) and note the changes to publish.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "common/sqlite.h"
#include "store/group_commit.h"
#include "store/types.h"

namespace kurier::store::sqlite_ops {

// ---- reads (sqlite_read_ops.cpp) ----
std::optional<MailboxInfo> find_mailbox(Database& db, MailboxId id);
std::optional<MailboxInfo> find_mailbox(Database& db, AccountId account, const std::string& name);
MailboxInfo require_mailbox(Database& db, MailboxId id);  // throws not_found
std::vector<MailboxInfo> list_mailboxes(Database& db, AccountId account);
std::vector<MailboxInfo> inferiors(Database& db, AccountId account, const std::string& name);
std::vector<std::string> subscriptions(Database& db, AccountId account);
MailboxStatus mailbox_status(Database& db, MailboxId id);
std::vector<MessageMeta> messages(Database& db, MailboxId id, const UidSet& normalized);
// Expunged messages whose data is still kept (sqlite_sql.h, v2), UID order.
std::vector<MessageMeta> expunged_messages(Database& db, MailboxId id, const UidSet& normalized);
std::vector<std::pair<Uid, std::string>> structures(Database& db, MailboxId id,
                                                    const UidSet& normalized);
Changes changes_since(Database& db, MailboxId id, ModSeq since);
QuotaUsage quota_usage(Database& db, AccountId account);

// ---- mailbox writes (sqlite_mailbox_ops.cpp); names are already normalized ----
MailboxInfo create_mailbox(WriteContext& ctx, AccountId account, const std::string& name,
                           const std::string& special_use);
void delete_mailbox(WriteContext& ctx, AccountId account, const std::string& name);
void rename_mailbox(WriteContext& ctx, AccountId account, const std::string& from,
                    const std::string& to);
void set_special_use(WriteContext& ctx, AccountId account, const std::string& name,
                     const std::string& special_use);
void delete_account(WriteContext& ctx, AccountId account);

// ---- message writes (sqlite_message_ops.cpp); flags are already canonical ----
AppendResult append(WriteContext& ctx, MailboxId mailbox, const NewMessage& message,
                    const Flags& flags);
StoreFlagsResult store_flags(WriteContext& ctx, MailboxId mailbox, const UidSet& normalized,
                             FlagMode mode, const Flags& flags,
                             std::optional<ModSeq> unchanged_since);
CopyResult copy(WriteContext& ctx, MailboxId from, const UidSet& normalized, MailboxId to,
                bool remove_source);
// only_deleted: EXPUNGE semantics (\Deleted only); false removes every UID in the set (MOVE).
std::vector<Uid> expunge(WriteContext& ctx, MailboxId mailbox, const UidSet& normalized,
                         bool only_deleted);
// Removes every message and expunge record of a mailbox (DELETE, account removal).
void clear_mailbox(WriteContext& ctx, MailboxId mailbox);

// ---- import writes (sqlite_import_ops.cpp); names normalized, flags canonical ----
MailboxInfo prepare_import_mailbox(WriteContext& ctx, AccountId account, const std::string& name,
                                   uint32_t uidvalidity, const std::string& special_use);
std::vector<ImportOutcome> import_messages(WriteContext& ctx, AccountId account, MailboxId mailbox,
                                           const std::string& source,
                                           const std::vector<ImportItem>& items);
void raise_uidnext(WriteContext& ctx, MailboxId mailbox, Uid uidnext);

}  // namespace kurier::store::sqlite_ops
