// Import writes of the SQLite backend (MailStore's "imports" section, docs/ARCHITECTURE.md
// "Imports and other writers beside the server"): a mailbox with its source's UIDVALIDITY,
// messages with their source UIDs, and the durable record of what was imported, all on the
// writer thread inside the batch transaction (sqlite_ops.h).
#include <algorithm>

#include "store/errors.h"
#include "store/flags.h"
#include "store/sqlite_ops.h"
#include "store/sqlite_sql.h"

namespace kurier::store::sqlite_ops {
namespace {

// RFC 9051 2.3.1.1: a name reused later must get a larger UIDVALIDITY, so the store-wide
// counter (sqlite_mailbox_ops.cpp) never falls below a value an import brought in.
void reserve_uidvalidity(Database& db, uint32_t uidvalidity) {
  int64_t last = db.query(sql::kLastUidValidity).single_int64();
  if (int64_t(uidvalidity) > last) db.query(sql::kSetLastUidValidity, int64_t(uidvalidity)).run();
}

bool ever_used(Database& db, MailboxId id) {
  return db.query(sql::kMailboxEverUsed, id).single_int64() != 0;
}

bool already_imported(Database& db, AccountId account, const std::string& source,
                      const std::string& key) {
  return db.query(sql::kImportedKey, account, source, key).single_int64() != 0;
}

}  // namespace

MailboxInfo prepare_import_mailbox(WriteContext& ctx, AccountId account, const std::string& name,
                                   uint32_t uidvalidity, const std::string& special_use) {
  auto box = find_mailbox(ctx.db, account, name);
  if (!box || box->noselect) create_mailbox(ctx, account, name, box ? std::string() : special_use);
  box = find_mailbox(ctx.db, account, name);
  if (!box) throw StoreError(StoreErrc::database, "mailbox \"" + name + "\" vanished while created");
  if (uidvalidity != 0 && box->uidvalidity != uidvalidity && !ever_used(ctx.db, box->id)) {
    ctx.db.query(sql::kSetUidValidity, box->id, int64_t(uidvalidity)).run();
    reserve_uidvalidity(ctx.db, uidvalidity);
    // A session that selected the (empty) mailbox knew the old value: it must start over.
    auto& change = ctx.change_for(box->id);
    change.mailbox_deleted = true;
    change.highest_modseq = box->highest_modseq;
    box->uidvalidity = uidvalidity;
  }
  return *box;
}

std::vector<ImportOutcome> import_messages(WriteContext& ctx, AccountId account, MailboxId mailbox,
                                           const std::string& source,
                                           const std::vector<ImportItem>& items) {
  MailboxInfo box = require_mailbox(ctx.db, mailbox);
  if (box.account != account)
    throw StoreError(StoreErrc::invalid_argument, "mailbox \"" + box.name + "\" is another account's");
  if (box.noselect)
    throw StoreError(StoreErrc::not_permitted, "mailbox \"" + box.name + "\" is \\Noselect");
  std::vector<ImportOutcome> outcomes;
  Uid next = box.uidnext;
  ModSeq modseq = box.highest_modseq + 1;
  auto& change = ctx.change_for(mailbox);
  for (const auto& item : items) {
    if (already_imported(ctx.db, account, source, item.key)) {
      outcomes.push_back({0, true});
      continue;
    }
    // RFC 9051 2.3.1.1: UIDs strictly ascend; a source UID below UIDNEXT would break that.
    Uid uid = item.source_uid >= next ? item.source_uid : next;
    if (uid >= UINT32_MAX)
      throw StoreError(StoreErrc::limit_exceeded, "mailbox \"" + box.name + "\" has no UIDs left");
    const NewMessage& m = item.message;
    ctx.db.query(sql::kAddBlob, m.blob.str(), m.size, kurier::sql::Blob{m.cached_structure}).run();
    ctx.db.query(sql::kInsertMessage, mailbox, uid, modseq, item.flags.system,
                 join_keywords(item.flags.keywords), m.internal_date, m.internal_tz, m.size,
                 m.blob.str())
        .run();
    ctx.db.query(sql::kRecordImport, account, source, item.key, mailbox, uid).run();
    if (!item.pop3_uidl.empty()) ctx.db.query(sql::kSetPop3Uidl, mailbox, uid, item.pop3_uidl).run();
    change.appended.push_back(uid);
    outcomes.push_back({uid, false});
    next = uid + 1;
  }
  if (next != box.uidnext) {
    ctx.db.query(sql::kSetUidNextAndModseq, mailbox, next, modseq).run();
    change.highest_modseq = modseq;
  }
  return outcomes;
}

void raise_uidnext(WriteContext& ctx, MailboxId mailbox, Uid uidnext) {
  MailboxInfo box = require_mailbox(ctx.db, mailbox);
  if (uidnext <= box.uidnext) return;
  ctx.db.query(sql::kSetUidNext, mailbox, uidnext).run();
}

}  // namespace kurier::store::sqlite_ops
