// Mailbox-level writes of the SQLite backend: CREATE, DELETE, RENAME (RFC 9051 6.3.4-6.3.6),
// special-use (RFC 6154) and account removal. Runs on the writer thread (sqlite_ops.h).
#include <algorithm>
#include <ctime>

#include "store/errors.h"
#include "store/mailbox_name.h"
#include "store/sqlite_ops.h"
#include "store/sqlite_sql.h"

namespace kurier::store::sqlite_ops {
namespace {

// RFC 9051 2.3.1.1: a name reused after DELETE (or RENAME away) must get a different
// UIDVALIDITY. Values come from one store-wide counter that starts at the clock and only grows.
uint32_t next_uidvalidity(Database& db) {
  int64_t last = db.query(sql::kLastUidValidity).single_int64();
  int64_t value = std::max<int64_t>(int64_t(std::time(nullptr)), last + 1);
  if (value > int64_t(UINT32_MAX)) value = last + 1;
  if (value > int64_t(UINT32_MAX))
    throw StoreError(StoreErrc::limit_exceeded, "UIDVALIDITY space exhausted");
  db.query(sql::kSetLastUidValidity, value).run();
  return uint32_t(value);
}

MailboxId insert_mailbox(WriteContext& ctx, AccountId account, const std::string& name,
                         const std::string& special_use) {
  auto q = ctx.db.query(sql::kInsertMailbox, account, name, next_uidvalidity(ctx.db), special_use);
  return MailboxId(q.single_int64());
}

bool has_inferiors(Database& db, AccountId account, const std::string& name) {
  return db.query(sql::kHasInferiors, account, name).single_int64() != 0;
}

void create_missing_ancestors(WriteContext& ctx, AccountId account, const std::string& name) {
  for (const auto& ancestor : ancestor_names(name))
    if (!find_mailbox(ctx.db, account, ancestor)) insert_mailbox(ctx, account, ancestor, "");
}

// \Noselect placeholders exist only to hold inferiors; once childless they go away.
void prune_noselect_ancestors(WriteContext& ctx, AccountId account, const std::string& name) {
  auto ancestors = ancestor_names(name);
  for (auto it = ancestors.rbegin(); it != ancestors.rend(); ++it) {
    auto box = find_mailbox(ctx.db, account, *it);
    if (!box || !box->noselect || has_inferiors(ctx.db, account, *it)) return;
    ctx.db.query(sql::kDeleteMailbox, box->id).run();
  }
}

MailboxInfo require_by_name(Database& db, AccountId account, const std::string& name) {
  auto box = find_mailbox(db, account, name);
  if (!box) throw StoreError(StoreErrc::not_found, "mailbox \"" + name + "\" does not exist");
  return *box;
}

void note_removed(WriteContext& ctx, const MailboxInfo& box) {
  auto& change = ctx.change_for(box.id);
  change.mailbox_deleted = true;
  change.highest_modseq = box.highest_modseq;
}

// RFC 9051 6.3.6: "Renaming INBOX is permitted and does not fail... It moves all messages in
// INBOX to a new mailbox with the given name, leaving INBOX empty. If the server implementation
// supports inferior hierarchical names of INBOX, these are unaffected by a rename of INBOX."
void rename_inbox(WriteContext& ctx, const MailboxInfo& inbox, const std::string& to) {
  create_missing_ancestors(ctx, inbox.account, to);
  MailboxId target = insert_mailbox(ctx, inbox.account, to, "");
  std::vector<Uid> moved;
  {
    auto q = ctx.db.query(sql::kUidsInRange, inbox.id, 1, UINT32_MAX);
    while (q.step()) moved.push_back(Uid(q.int64(0)));
  }
  // The new mailbox has a fresh UIDVALIDITY, so the messages keep their UIDs and MODSEQs.
  ctx.db.query(sql::kSetUidNextAndModseq, target, inbox.uidnext, inbox.highest_modseq).run();
  if (moved.empty()) return;
  ModSeq modseq = inbox.highest_modseq + 1;
  ctx.db.query(sql::kForgetExpungeAll, inbox.id).run();
  ctx.db.query(sql::kRecordExpungeAll, inbox.id, modseq).run();
  ctx.db.query(sql::kMoveAllMessages, inbox.id, target).run();
  ctx.db.query(sql::kSetHighestModseq, inbox.id, modseq).run();
  auto& change = ctx.change_for(inbox.id);
  change.expunged = moved;
  change.highest_modseq = modseq;
}

std::string renamed(const std::string& name, const std::string& from, const std::string& to) {
  return to + name.substr(from.size());
}

}  // namespace

MailboxInfo create_mailbox(WriteContext& ctx, AccountId account, const std::string& name,
                           const std::string& special_use) {
  if (auto existing = find_mailbox(ctx.db, account, name)) {
    if (!existing->noselect)
      throw StoreError(StoreErrc::already_exists, "mailbox \"" + name + "\" already exists");
    // CREATE over a \Noselect placeholder makes it a real mailbox again, with a new UIDVALIDITY.
    ctx.db.query(sql::kMakeSelectable, existing->id, next_uidvalidity(ctx.db), special_use).run();
    return require_mailbox(ctx.db, existing->id);
  }
  create_missing_ancestors(ctx, account, name);
  return require_mailbox(ctx.db, insert_mailbox(ctx, account, name, special_use));
}

// RFC 9051 6.3.5: "It is an error to attempt to delete INBOX or a mailbox name that does not
// exist." ... "If the mailbox has inferior hierarchical names ... all messages in the mailbox
// are removed, and the name will acquire the \Noselect attribute" ... "It is an error to attempt
// to delete a name that has inferior hierarchical names and also has the \Noselect attribute."
void delete_mailbox(WriteContext& ctx, AccountId account, const std::string& name) {
  if (is_inbox(name)) throw StoreError(StoreErrc::not_permitted, "INBOX cannot be deleted");
  MailboxInfo box = require_by_name(ctx.db, account, name);
  if (has_inferiors(ctx.db, account, name)) {
    if (box.noselect)
      throw StoreError(StoreErrc::not_permitted,
                       "mailbox \"" + name + "\" has inferior hierarchical names");
    clear_mailbox(ctx, box.id);
    ctx.db.query(sql::kMakeNoselect, box.id).run();
  } else {
    clear_mailbox(ctx, box.id);
    ctx.db.query(sql::kDeleteMailbox, box.id).run();
    prune_noselect_ancestors(ctx, account, name);
  }
  note_removed(ctx, box);
}

// RFC 9051 6.3.6: "If the name has inferior hierarchical names, then the inferior hierarchical
// names MUST also be renamed." Subscriptions follow the renamed mailboxes.
void rename_mailbox(WriteContext& ctx, AccountId account, const std::string& from,
                    const std::string& to) {
  MailboxInfo source = require_by_name(ctx.db, account, from);
  if (find_mailbox(ctx.db, account, to))
    throw StoreError(StoreErrc::already_exists, "mailbox \"" + to + "\" already exists");
  if (is_inbox(from)) return rename_inbox(ctx, source, to);
  if (is_inferior(to, from))
    throw StoreError(StoreErrc::not_permitted,
                     "cannot rename \"" + from + "\" to its own inferior \"" + to + "\"");
  std::vector<MailboxInfo> moving = inferiors(ctx.db, account, from);
  moving.insert(moving.begin(), source);
  for (const auto& box : moving)
    if (find_mailbox(ctx.db, account, renamed(box.name, from, to)))
      throw StoreError(StoreErrc::already_exists,
                       "mailbox \"" + renamed(box.name, from, to) + "\" already exists");
  create_missing_ancestors(ctx, account, to);
  for (const auto& box : moving) {
    std::string new_name = renamed(box.name, from, to);
    ctx.db.query(sql::kRenameMailbox, box.id, new_name).run();
    if (box.subscribed) {
      ctx.db.query(sql::kUnsubscribe, account, box.name).run();
      ctx.db.query(sql::kSubscribe, account, new_name).run();
    }
    auto& change = ctx.change_for(box.id);
    change.mailbox_renamed = true;
    change.highest_modseq = box.highest_modseq;
  }
  prune_noselect_ancestors(ctx, account, from);
}

void set_special_use(WriteContext& ctx, AccountId account, const std::string& name,
                     const std::string& special_use) {
  MailboxInfo box = require_by_name(ctx.db, account, name);
  ctx.db.query(sql::kSetSpecialUse, box.id, special_use).run();
}

void delete_account(WriteContext& ctx, AccountId account) {
  for (const auto& box : list_mailboxes(ctx.db, account)) {
    clear_mailbox(ctx, box.id);
    ctx.db.query(sql::kDeleteMailbox, box.id).run();
    note_removed(ctx, box);
  }
  ctx.db.query(sql::kDeleteSubscriptions, account).run();
  ctx.db.query(sql::kForgetAccountImports, account).run();
}

void clear_mailbox(WriteContext& ctx, MailboxId mailbox) {
  // The messages_counted_out trigger releases blob references (sqlite_sql.h).
  ctx.db.query(sql::kDeleteMailboxMessages, mailbox).run();
  ctx.db.query(sql::kDeleteMailboxExpunged, mailbox).run();
}

}  // namespace kurier::store::sqlite_ops
