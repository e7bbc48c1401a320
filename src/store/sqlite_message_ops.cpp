// Message-level writes of the SQLite backend: APPEND/delivery, STORE with UNCHANGEDSINCE
// (RFC 7162 3.1.3), COPY/MOVE (RFC 9051 6.4.7, RFC 6851, COPYUID of RFC 4315) and EXPUNGE with
// the expunge records QRESYNC needs (RFC 7162 3.2.10). Runs on the writer thread (sqlite_ops.h).
#include "store/errors.h"
#include "store/flags.h"
#include "store/sqlite_ops.h"
#include "store/sqlite_sql.h"

namespace kurier::store::sqlite_ops {
namespace {

MailboxInfo require_selectable(Database& db, MailboxId id) {
  MailboxInfo box = require_mailbox(db, id);
  if (box.noselect)
    throw StoreError(StoreErrc::not_permitted, "mailbox \"" + box.name + "\" is \\Noselect");
  return box;
}

// RFC 9051 2.3.1.1: UIDs are 32-bit; a mailbox whose UIDs run out needs a new UIDVALIDITY.
void check_uid_space(const MailboxInfo& box, uint64_t needed) {
  if (uint64_t(box.uidnext) + needed > uint64_t(UINT32_MAX))
    throw StoreError(StoreErrc::limit_exceeded, "mailbox \"" + box.name + "\" has no UIDs left");
}

void insert_message(Database& db, MailboxId mailbox, Uid uid, ModSeq modseq,
                    const MessageMeta& meta) {
  db.query(sql::kInsertMessage, mailbox, uid, modseq, meta.flags.system,
        join_keywords(meta.flags.keywords), meta.internal_date, meta.internal_tz, meta.size,
        meta.blob.str())
      .run();
}

std::vector<Uid> uids_matching(Database& db, MailboxId mailbox, const UidSet& normalized,
                               bool only_deleted) {
  std::vector<Uid> out;
  for (const auto& range : normalized) {
    auto q = db.query(only_deleted ? sql::kDeletedInRange : sql::kUidsInRange, mailbox, range.first,
            range.last);
    while (q.step()) out.push_back(Uid(q.int64(0)));
  }
  return out;
}

// Removes exactly these UIDs (all present), recording each with one new MODSEQ.
void expunge_uids(WriteContext& ctx, MailboxId mailbox, const std::vector<Uid>& uids) {
  if (uids.empty()) return;
  MailboxInfo box = require_mailbox(ctx.db, mailbox);
  ModSeq modseq = box.highest_modseq + 1;
  for (Uid uid : uids) {
    // Recorded first: the expunged row keeps the blob referenced (sqlite_sql.h, v2).
    ctx.db.query(sql::kForgetExpunge, mailbox, uid).run();
    ctx.db.query(sql::kRecordExpunge, mailbox, uid, modseq).run();
    ctx.db.query(sql::kDeleteMessage, mailbox, uid).run();
  }
  ctx.db.query(sql::kSetHighestModseq, mailbox, modseq).run();
  auto& change = ctx.change_for(mailbox);
  change.expunged.insert(change.expunged.end(), uids.begin(), uids.end());
  change.highest_modseq = modseq;
}

}  // namespace

AppendResult append(WriteContext& ctx, MailboxId mailbox, const NewMessage& message,
                    const Flags& flags) {
  MailboxInfo box = require_selectable(ctx.db, mailbox);
  check_uid_space(box, 1);
  ctx.db.query(sql::kAddBlob, message.blob.str(), message.size,
        kurier::sql::Blob{message.cached_structure})
      .run();
  MessageMeta meta;
  meta.flags = flags;
  meta.internal_date = message.internal_date;
  meta.internal_tz = message.internal_tz;
  meta.size = message.size;
  meta.blob = message.blob;
  Uid uid = box.uidnext;
  ModSeq modseq = box.highest_modseq + 1;
  insert_message(ctx.db, mailbox, uid, modseq, meta);
  ctx.db.query(sql::kSetUidNextAndModseq, mailbox, uid + 1, modseq).run();
  auto& change = ctx.change_for(mailbox);
  change.appended.push_back(uid);
  change.highest_modseq = modseq;
  return AppendResult{mailbox, box.uidvalidity, uid, modseq};
}

// RFC 7162 3.1.3: messages whose MODSEQ is greater than UNCHANGEDSINCE are not changed and are
// reported in [MODIFIED]. Messages whose flags do not actually change keep their MODSEQ.
// All messages changed by one STORE share one new MODSEQ.
StoreFlagsResult store_flags(WriteContext& ctx, MailboxId mailbox, const UidSet& normalized,
                             FlagMode mode, const Flags& flags,
                             std::optional<ModSeq> unchanged_since) {
  MailboxInfo box = require_selectable(ctx.db, mailbox);
  ModSeq modseq = box.highest_modseq + 1;
  StoreFlagsResult result;
  bool any_changed = false;
  for (const MessageMeta& meta : messages(ctx.db, mailbox, normalized)) {
    if (unchanged_since && meta.modseq > *unchanged_since) {
      result.modified.push_back(meta.uid);
      continue;
    }
    FlagChange change{meta.uid, meta.modseq, apply_flags(meta.flags, mode, flags), false};
    if (!(change.flags == meta.flags)) {
      change.changed = true;
      change.modseq = modseq;
      any_changed = true;
      ctx.db.query(sql::kUpdateFlags, mailbox, meta.uid, change.flags.system,
            join_keywords(change.flags.keywords), modseq)
          .run();
      ctx.change_for(mailbox).flags_changed.push_back(meta.uid);
    }
    result.messages.push_back(std::move(change));
  }
  result.highest_modseq = any_changed ? modseq : box.highest_modseq;
  if (any_changed) {
    ctx.db.query(sql::kSetHighestModseq, mailbox, modseq).run();
    ctx.change_for(mailbox).highest_modseq = modseq;
  }
  return result;
}

// RFC 9051 6.4.7: "The flags and internal date of the message SHOULD be preserved".
// The copies share the source blobs (reference counted) and one new MODSEQ.
CopyResult copy(WriteContext& ctx, MailboxId from, const UidSet& normalized, MailboxId to,
                bool remove_source) {
  require_selectable(ctx.db, from);
  MailboxInfo dest = require_selectable(ctx.db, to);
  std::vector<MessageMeta> sources = messages(ctx.db, from, normalized);
  CopyResult result;
  result.dest_uidvalidity = dest.uidvalidity;
  if (sources.empty()) return result;
  check_uid_space(dest, sources.size());
  Uid next = dest.uidnext;
  ModSeq modseq = dest.highest_modseq + 1;
  auto& change = ctx.change_for(to);
  for (const auto& meta : sources) {
    insert_message(ctx.db, to, next, modseq, meta);
    result.uids.emplace_back(meta.uid, next);
    change.appended.push_back(next);
    ++next;
  }
  change.highest_modseq = modseq;
  ctx.db.query(sql::kSetUidNextAndModseq, to, next, modseq).run();
  if (remove_source) {
    for (const auto& meta : sources) result.expunged.push_back(meta.uid);
    expunge_uids(ctx, from, result.expunged);
  }
  return result;
}

std::vector<Uid> expunge(WriteContext& ctx, MailboxId mailbox, const UidSet& normalized,
                         bool only_deleted) {
  require_selectable(ctx.db, mailbox);
  std::vector<Uid> uids = uids_matching(ctx.db, mailbox, normalized, only_deleted);
  expunge_uids(ctx, mailbox, uids);
  return uids;
}

}  // namespace kurier::store::sqlite_ops
