// SqliteMailStore: argument validation, the read-connection pool and the group-commit writer
// around the operations in sqlite_*_ops.cpp. Threading model: sqlite_mail_store.h.
#include "store/sqlite_mail_store.h"

#include <algorithm>
#include <chrono>
#include <ctime>

#include "store/errors.h"
#include "store/flags.h"
#include "store/group_commit.h"
#include "store/mailbox_name.h"
#include "store/sqlite_ops.h"
#include "store/sqlite_sql.h"
#include "store/uid_set.h"

namespace kurier::store {
namespace {

constexpr size_t kMaxDeliveryTargets = 10000;

struct DefaultMailbox {
  const char* name;
  const char* special_use;
};
// RFC 6154 2 attributes for the mailboxes every new account gets.
constexpr DefaultMailbox kDefaultMailboxes[] = {
    {"INBOX", ""},        {"Drafts", "\\Drafts"}, {"Sent", "\\Sent"},
    {"Trash", "\\Trash"}, {"Junk", "\\Junk"},     {"Archive", "\\Archive"},
};

std::string checked_special_use(std::string_view special_use) {
  if (!is_valid_special_use(special_use))
    throw StoreError(StoreErrc::invalid_argument,
                     "unknown special-use attribute \"" + std::string(special_use) + "\"");
  return std::string(special_use);
}

// RFC 7162 3.1.1: mod-sequence values are at most 2^63-1.
ModSeq clamp_modseq(ModSeq value) { return std::min<ModSeq>(value, ModSeq(INT64_MAX)); }

// The writer thread and each pooled reader own their connection; every connection maps the file.
std::unique_ptr<Database> open_connection(const std::filesystem::path& path, Database::Role role) {
  Database::Options options;
  options.role = role;
  options.single_thread = true;
  options.memory_map = true;
  return std::make_unique<Database>(path.string(), options);
}

// MailStore callers see every failure as a StoreError: a UNIQUE or PRIMARY KEY violation is
// already_exists, any other SQLite failure is a database error.
template <class F>
auto translating_sql_errors(F&& fn) -> decltype(fn()) {
  try {
    return fn();
  } catch (const kurier::sql::Error& e) {
    StoreErrc code = e.is_unique_violation() ? StoreErrc::already_exists : StoreErrc::database;
    throw StoreError(code, e.what());
  }
}

}  // namespace

// The slot bind_reader_slot gave this thread (-1: none): see Options::thread_readers.
thread_local int tls_reader_slot = -1;

class SqliteMailStore::ReadLease {
 public:
  // A pooled connection, returned to the pool at the end; or a thread's own (in_use set).
  ReadLease(SqliteMailStore& store, Database* db, char* in_use = nullptr)
      : store_(store), db_(db), in_use_(in_use) {}
  ReadLease(const ReadLease&) = delete;
  ReadLease& operator=(const ReadLease&) = delete;
  ~ReadLease() {
    if (in_use_) {
      *in_use_ = 0;
      return;
    }
    {
      std::lock_guard lock(store_.readers_mutex_);
      store_.idle_readers_.push_back(db_);
    }
    store_.reader_returned_.notify_one();
  }
  Database& db() { return *db_; }

 private:
  SqliteMailStore& store_;
  Database* db_;
  char* in_use_;
};

void SqliteMailStore::bind_reader_slot(int slot) { tls_reader_slot = slot; }

SqliteMailStore::SqliteMailStore(Options options, BlobStore& blobs)
    : options_(std::move(options)), blobs_(blobs) {
  translating_sql_errors([this] { open_connections(); });
  GroupCommitter::Hooks hooks;
  hooks.begin = [this](Database& db) {
    for (const auto& id : unlinked_) db.query(sql::kForgetGarbage, id.str()).run();
  };
  hooks.before_commit = [this](Database& db, const std::vector<MailboxChange>& changes) {
    if (options_.guest) {
      // The owner's sessions may hold expunged messages and will unlink the garbage itself.
      journal_changes(db, changes);
      if (commit_fault_) commit_fault_();
      return;
    }
    // Expunged messages no session holds (any more) give up their blobs in this batch.
    release_expunged(db);
    auto q = db.query(sql::kBlobGarbage);
    while (q.step())
      if (auto id = BlobId::parse(q.text(0))) garbage_.push_back(*id);
    if (commit_fault_) commit_fault_();
  };
  hooks.after_commit = [this](const std::vector<MailboxChange>& changes) {
    unlinked_.clear();  // their blob_garbage rows were deleted by this batch
    for (const auto& id : garbage_) {
      try {
        blobs_.remove(id);
        unlinked_.push_back(id);
      } catch (const StoreError&) {
        // left in blob_garbage: retried after the next batch
      }
    }
    garbage_.clear();
    for (const auto& change : changes) {
      try {
        hub_.publish(change);
      } catch (...) {
        // a subscriber's failure must not affect the writer
      }
    }
  };
  hooks.rolled_back = [this] {
    // The garbage rows read in before_commit may belong to the rolled-back expunges: their
    // blobs are still referenced. Rows of earlier batches are read again by the next one.
    garbage_.clear();
  };
  committer_ = std::make_unique<GroupCommitter>(*writer_db_, options_.max_batch, std::move(hooks));
  if (!options_.guest && options_.watch_interval_ms > 0) {
    translating_sql_errors([this] {
      watch_db_ = open_connection(options_.db_path, Database::Role::reader);
      data_version_ = watch_db_->data_version();
      journal_seq_ = watch_db_->query(sql::kJournalEnd).single_int64();
    });
    watcher_ = std::thread([this] { watch_loop(); });
  }
}

SqliteMailStore::~SqliteMailStore() {
  if (watcher_.joinable()) {
    {
      std::lock_guard lock(watch_mutex_);
      watch_stop_ = true;
    }
    watch_wake_.notify_all();
    watcher_.join();
  }
  committer_.reset();  // drains queued writes first
  readers_.clear();
}

// Guests only: one journal row per mailbox the batch changed, in the batch's transaction, so
// the owner learns of exactly the committed changes. Rows an hour old are pruned (the owner
// polls several times a second; a server started later begins at the journal's end).
void SqliteMailStore::journal_changes(Database& db, const std::vector<MailboxChange>& changes) {
  int64_t now = int64_t(std::time(nullptr));
  for (const auto& change : changes) {
    bool reset = change.mailbox_deleted || change.mailbox_renamed;
    db.query(sql::kJournalChange, change.mailbox, int64_t(change.highest_modseq), reset ? 1 : 0, now)
        .run();
  }
  db.query(sql::kPruneJournal, now - 3600).run();
}

size_t SqliteMailStore::publish_external_changes() {
  std::vector<MailboxChange> found;
  {
    std::lock_guard lock(watch_mutex_);
    if (!watch_db_) return 0;
    translating_sql_errors([&] {
      // Changes whenever any other connection committed: an idle poll reads no table.
      int64_t version = watch_db_->data_version();
      if (version == data_version_) return;
      data_version_ = version;
      auto q = watch_db_->query(sql::kJournalSince, journal_seq_);
      while (q.step()) {
        journal_seq_ = q.int64(0);
        MailboxChange change;
        change.mailbox = MailboxId(q.int64(1));
        change.highest_modseq = ModSeq(q.int64(2));
        change.mailbox_deleted = q.int64(3) != 0;
        found.push_back(std::move(change));
      }
    });
  }
  for (const auto& change : found) {
    try {
      hub_.publish(change);
    } catch (...) {
      // a subscriber's failure must not stop the watcher
    }
  }
  return found.size();
}

void SqliteMailStore::watch_loop() {
  auto interval = std::chrono::milliseconds(options_.watch_interval_ms);
  for (;;) {
    {
      std::unique_lock lock(watch_mutex_);
      if (watch_wake_.wait_for(lock, interval, [this] { return watch_stop_; })) return;
    }
    try {
      publish_external_changes();
    } catch (const StoreError&) {
      // busy or I/O trouble: the next poll tries again
    }
  }
}

void SqliteMailStore::open_connections() {
  writer_db_ = open_connection(options_.db_path, Database::Role::writer);
  migrate();
  if (!options_.guest) {
    // No session exists yet, so no expunged message can still be addressed.
    writer_db_->transaction([&] { writer_db_->exec(sql::kReleaseAllExpunged); });
    unlink_garbage_blobs(*writer_db_);
  }
  for (size_t i = 0; i < std::max<size_t>(1, options_.read_connections); ++i) {
    readers_.push_back(open_connection(options_.db_path, Database::Role::reader));
    idle_readers_.push_back(readers_.back().get());
  }
  for (size_t i = 0; i < options_.thread_readers; ++i)
    thread_readers_.push_back(open_connection(options_.db_path, Database::Role::reader));
  thread_reader_in_use_.assign(options_.thread_readers, 0);
}

// The store's schema versions are rows of schema_migrations (sqlite_sql.h), not user_version.
void SqliteMailStore::migrate() {
  Database& db = *writer_db_;
  db.exec(sql::kCreateMigrationsTable);
  int64_t version = db.query(sql::kSchemaVersion).single_int64();
  for (const auto& migration : sql::kMigrations) {
    if (migration.version <= version) continue;
    db.transaction([&] {
      db.exec(migration.script);
      db.query(sql::kRecordMigration, migration.version, int64_t(std::time(nullptr))).run();
    });
  }
}

// Finishes unlinks that a crash interrupted (rows committed to blob_garbage, files maybe left).
void SqliteMailStore::unlink_garbage_blobs(Database& db) {
  std::vector<BlobId> ids;
  {
    auto q = db.query(sql::kBlobGarbage);
    while (q.step())
      if (auto id = BlobId::parse(q.text(0))) ids.push_back(*id);
  }
  if (ids.empty()) return;
  for (const auto& id : ids) blobs_.remove(id);
  db.transaction([&] {
    for (const auto& id : ids) db.query(sql::kForgetGarbage, id.str()).run();
  });
}

void SqliteMailStore::release_expunged(Database& db) {
  std::vector<MailboxId> holding;
  {
    auto q = db.query(sql::kMailboxesHoldingExpunged);
    while (q.step()) holding.push_back(MailboxId(q.int64(0)));
  }
  for (MailboxId mailbox : holding) {
    std::optional<ModSeq> held_after = hub_.expunges_held_after(mailbox);
    ModSeq upto = clamp_modseq(held_after ? *held_after : ModSeq(INT64_MAX));
    db.query(sql::kReleaseExpunged, mailbox, int64_t(upto)).run();
  }
}

SqliteMailStore::ReadLease SqliteMailStore::read() {
  // A bound thread reads on its own connection, unless a read is already running on it (a read
  // that calls another one): that one takes a pooled connection like any other thread.
  int slot = tls_reader_slot;
  if (slot >= 0 && size_t(slot) < thread_readers_.size() && !thread_reader_in_use_[size_t(slot)]) {
    thread_reader_in_use_[size_t(slot)] = 1;
    return ReadLease(*this, thread_readers_[size_t(slot)].get(), &thread_reader_in_use_[size_t(slot)]);
  }
  std::unique_lock lock(readers_mutex_);
  reader_returned_.wait(lock, [this] { return !idle_readers_.empty(); });
  Database* db = idle_readers_.back();
  idle_readers_.pop_back();
  return ReadLease(*this, db);
}

template <class F>
auto SqliteMailStore::reading(F&& fn) {
  return translating_sql_errors([&] {
    auto lease = read();
    return fn(lease.db());
  });
}

template <class Job>
auto SqliteMailStore::writing(Job&& job) {
  return translating_sql_errors([&] { return committer_->run(job); });
}

uint64_t SqliteMailStore::write_batches() const { return committer_->batches_committed(); }

void SqliteMailStore::check_blob(const NewMessage& message) const {
  if (message.blob.empty()) throw StoreError(StoreErrc::invalid_argument, "message has no blob");
  if (!blobs_.size(message.blob))
    throw StoreError(StoreErrc::not_found, "blob " + message.blob.str() + " is not stored");
}

// ---- mailboxes ----

std::vector<MailboxInfo> SqliteMailStore::create_default_mailboxes(AccountId account) {
  writing([&](WriteContext& ctx) {
    for (const auto& def : kDefaultMailboxes) {
      auto existing = sqlite_ops::find_mailbox(ctx.db, account, def.name);
      if (!existing || existing->noselect)
        sqlite_ops::create_mailbox(ctx, account, def.name, def.special_use);
      ctx.db.query(sql::kSubscribe, account, def.name).run();
    }
  });
  return list_mailboxes(account);
}

std::vector<MailboxInfo> SqliteMailStore::list_mailboxes(AccountId account) {
  return reading([&](Database& db) { return sqlite_ops::list_mailboxes(db, account); });
}

std::optional<MailboxInfo> SqliteMailStore::find_mailbox(AccountId account, std::string_view name) {
  std::string canonical = normalize_mailbox_name(name);
  return reading([&](Database& db) { return sqlite_ops::find_mailbox(db, account, canonical); });
}

std::optional<MailboxInfo> SqliteMailStore::mailbox(MailboxId id) {
  return reading([&](Database& db) { return sqlite_ops::find_mailbox(db, id); });
}

MailboxInfo SqliteMailStore::create_mailbox(AccountId account, std::string_view name,
                                            std::string_view special_use) {
  std::string canonical = normalize_mailbox_name(name);
  std::string use = checked_special_use(special_use);
  return writing([&](WriteContext& ctx) {
    return sqlite_ops::create_mailbox(ctx, account, canonical, use);
  });
}

void SqliteMailStore::delete_mailbox(AccountId account, std::string_view name) {
  std::string canonical = normalize_mailbox_name(name);
  writing([&](WriteContext& ctx) { sqlite_ops::delete_mailbox(ctx, account, canonical); });
}

void SqliteMailStore::rename_mailbox(AccountId account, std::string_view from,
                                     std::string_view to) {
  std::string source = normalize_mailbox_name(from);
  std::string target = normalize_mailbox_name(to);
  writing([&](WriteContext& ctx) { sqlite_ops::rename_mailbox(ctx, account, source, target); });
}

void SqliteMailStore::set_special_use(AccountId account, std::string_view name,
                                      std::string_view special_use) {
  std::string canonical = normalize_mailbox_name(name);
  std::string use = checked_special_use(special_use);
  writing([&](WriteContext& ctx) { sqlite_ops::set_special_use(ctx, account, canonical, use); });
}

// RFC 9051 6.3.7: subscribing to a name that does not exist is allowed, and a subscription
// outlives DELETE of its mailbox.
void SqliteMailStore::subscribe(AccountId account, std::string_view name) {
  std::string canonical = normalize_mailbox_name(name);
  writing([&](WriteContext& ctx) { ctx.db.query(sql::kSubscribe, account, canonical).run(); });
}

void SqliteMailStore::unsubscribe(AccountId account, std::string_view name) {
  std::string canonical = normalize_mailbox_name(name);
  writing([&](WriteContext& ctx) { ctx.db.query(sql::kUnsubscribe, account, canonical).run(); });
}

std::vector<std::string> SqliteMailStore::subscriptions(AccountId account) {
  return reading([&](Database& db) { return sqlite_ops::subscriptions(db, account); });
}

// ---- mailbox state ----

MailboxStatus SqliteMailStore::mailbox_status(MailboxId mailbox) {
  return reading([&](Database& db) { return sqlite_ops::mailbox_status(db, mailbox); });
}

MailboxSnapshot SqliteMailStore::snapshot(MailboxId mailbox) {
  return reading([&](Database& db) {
    MailboxSnapshot snap;
    db.snapshot([&] {
      snap.info = sqlite_ops::require_mailbox(db, mailbox);
      snap.messages = sqlite_ops::messages(db, mailbox, all_uids());
    });
    return snap;
  });
}

std::vector<MessageMeta> SqliteMailStore::messages(MailboxId mailbox, const UidSet& uids) {
  UidSet normalized = normalize_uid_set(uids);
  return reading([&](Database& db) { return sqlite_ops::messages(db, mailbox, normalized); });
}

std::vector<MessageMeta> SqliteMailStore::expunged_messages(MailboxId mailbox, const UidSet& uids) {
  UidSet normalized = normalize_uid_set(uids);
  return reading([&](Database& db) { return sqlite_ops::expunged_messages(db, mailbox, normalized); });
}

std::vector<std::pair<Uid, std::string>> SqliteMailStore::cached_structures(MailboxId mailbox,
                                                                             const UidSet& uids) {
  UidSet normalized = normalize_uid_set(uids);
  return reading([&](Database& db) { return sqlite_ops::structures(db, mailbox, normalized); });
}

Changes SqliteMailStore::changes_since(MailboxId mailbox, ModSeq since) {
  return reading([&](Database& db) {
    Changes changes;
    db.snapshot([&] { changes = sqlite_ops::changes_since(db, mailbox, clamp_modseq(since)); });
    return changes;
  });
}

// ---- writes ----

Uid SqliteMailStore::claim_recent(MailboxId mailbox, Uid through) {
  return writing([&](WriteContext& ctx) {
    MailboxInfo box = sqlite_ops::require_mailbox(ctx.db, mailbox);
    if (through < box.recent_uid) return Uid(through + 1);
    ctx.db.query(sql::kSetRecentUid, mailbox, int64_t(through) + 1).run();
    return box.recent_uid;
  });
}

std::vector<AppendResult> SqliteMailStore::append_rows(const std::vector<NewRow>& rows) {
  std::vector<Flags> flags;
  for (const auto& row : rows) flags.push_back(canonical_flags(*row.flags));
  for (size_t i = 0; i < rows.size(); ++i)
    if (i == 0 || rows[i].message != rows[i - 1].message) check_blob(*rows[i].message);  // once per blob
  // Unsynced blobs become durable before the rows that reference them are committed. This
  // thread waits for the sync (shared with the other deliveries waiting now), not the writer:
  // the writer keeps committing other batches meanwhile.
  bool unsynced = false;
  for (const auto& row : rows) unsynced = unsynced || !row.message->blob_synced;
  if (unsynced) blobs_.sync_all();
  // One job: a throw rolls back the job's savepoint, so no row of the set is kept.
  return writing([&](WriteContext& ctx) {
    std::vector<AppendResult> results;
    for (size_t i = 0; i < rows.size(); ++i) {
      results.push_back(sqlite_ops::append(ctx, rows[i].mailbox, *rows[i].message, flags[i]));
    }
    return results;
  });
}

AppendResult SqliteMailStore::append(MailboxId mailbox, const NewMessage& message,
                                     const Flags& flags) {
  return append_rows({{mailbox, &message, &flags}}).front();
}

std::vector<AppendResult> SqliteMailStore::append_all(MailboxId mailbox, const std::vector<AppendItem>& items) {
  if (items.empty() || items.size() > kMaxDeliveryTargets)
    throw StoreError(StoreErrc::invalid_argument,
                     "append needs 1 to " + std::to_string(kMaxDeliveryTargets) + " messages");
  std::vector<NewRow> rows;
  for (const auto& item : items) rows.push_back({mailbox, &item.message, &item.flags});
  return append_rows(rows);
}

std::vector<AppendResult> SqliteMailStore::deliver(const std::vector<DeliveryTarget>& targets,
                                                   const NewMessage& message) {
  if (targets.empty() || targets.size() > kMaxDeliveryTargets)
    throw StoreError(StoreErrc::invalid_argument,
                     "delivery needs 1 to " + std::to_string(kMaxDeliveryTargets) + " targets");
  std::vector<NewRow> rows;
  for (const auto& target : targets) rows.push_back({target.mailbox, &message, &target.flags});
  return append_rows(rows);
}

StoreFlagsResult SqliteMailStore::store_flags(MailboxId mailbox, const UidSet& uids, FlagMode mode,
                                              const Flags& flags,
                                              std::optional<ModSeq> unchanged_since) {
  UidSet normalized = normalize_uid_set(uids);
  Flags canonical = canonical_flags(flags);
  if (unchanged_since) unchanged_since = clamp_modseq(*unchanged_since);
  return writing([&](WriteContext& ctx) {
    return sqlite_ops::store_flags(ctx, mailbox, normalized, mode, canonical, unchanged_since);
  });
}

CopyResult SqliteMailStore::copy(MailboxId from, const UidSet& uids, MailboxId to) {
  UidSet normalized = normalize_uid_set(uids);
  return writing(
      [&](WriteContext& ctx) { return sqlite_ops::copy(ctx, from, normalized, to, false); });
}

CopyResult SqliteMailStore::move(MailboxId from, const UidSet& uids, MailboxId to) {
  UidSet normalized = normalize_uid_set(uids);
  return writing(
      [&](WriteContext& ctx) { return sqlite_ops::copy(ctx, from, normalized, to, true); });
}

std::vector<Uid> SqliteMailStore::expunge(MailboxId mailbox, const std::optional<UidSet>& uids) {
  UidSet normalized = normalize_uid_set(uids ? *uids : all_uids());
  return writing([&](WriteContext& ctx) {
    return sqlite_ops::expunge(ctx, mailbox, normalized, true);
  });
}

std::vector<Uid> SqliteMailStore::expunge_uids(MailboxId mailbox, const UidSet& uids) {
  UidSet normalized = normalize_uid_set(uids);
  return writing([&](WriteContext& ctx) { return sqlite_ops::expunge(ctx, mailbox, normalized, false); });
}

// ---- imports ----

MailboxInfo SqliteMailStore::prepare_import_mailbox(AccountId account, std::string_view name,
                                                    uint32_t uidvalidity,
                                                    std::string_view special_use) {
  std::string canonical = normalize_mailbox_name(name);
  std::string use = checked_special_use(special_use);
  return writing([&](WriteContext& ctx) {
    return sqlite_ops::prepare_import_mailbox(ctx, account, canonical, uidvalidity, use);
  });
}

std::vector<ImportOutcome> SqliteMailStore::import_messages(AccountId account, MailboxId mailbox,
                                                            const std::string& source,
                                                            const std::vector<ImportItem>& items) {
  if (items.size() > kMaxDeliveryTargets)
    throw StoreError(StoreErrc::invalid_argument,
                     "an import batch holds at most " + std::to_string(kMaxDeliveryTargets) + " messages");
  std::vector<ImportItem> canonical = items;
  bool unsynced = false;
  for (auto& item : canonical) {
    if (item.key.empty()) throw StoreError(StoreErrc::invalid_argument, "import item without a key");
    check_blob(item.message);
    item.flags = canonical_flags(item.flags);
    unsynced |= !item.message.blob_synced;
  }
  if (unsynced) blobs_.sync_all();  // on this thread, shared, before the rows (see append_rows)
  return writing([&](WriteContext& ctx) {
    return sqlite_ops::import_messages(ctx, account, mailbox, source, canonical);
  });
}

void SqliteMailStore::raise_uidnext(MailboxId mailbox, Uid uidnext) {
  writing([&](WriteContext& ctx) { sqlite_ops::raise_uidnext(ctx, mailbox, uidnext); });
}

std::vector<std::string> SqliteMailStore::imported_keys(AccountId account, const std::string& source) {
  return reading([&](Database& db) {
    std::vector<std::string> keys;
    auto q = db.query(sql::kImportedKeys, account, source);
    while (q.step()) keys.emplace_back(q.text(0));
    return keys;
  });
}

std::vector<std::pair<Uid, std::string>> SqliteMailStore::pop3_uidls(MailboxId mailbox) {
  return reading([&](Database& db) {
    std::vector<std::pair<Uid, std::string>> uidls;
    auto q = db.query(sql::kPop3Uidls, mailbox);
    while (q.step()) uidls.emplace_back(Uid(q.int64(0)), std::string(q.text(1)));
    return uidls;
  });
}

// ---- accounts and maintenance ----

QuotaUsage SqliteMailStore::quota_usage(AccountId account) {
  return reading([&](Database& db) { return sqlite_ops::quota_usage(db, account); });
}

void SqliteMailStore::delete_account(AccountId account) {
  writing([&](WriteContext& ctx) { sqlite_ops::delete_account(ctx, account); });
}

std::vector<AccountId> SqliteMailStore::accounts() {
  return reading([&](Database& db) {
    std::vector<AccountId> ids;
    auto q = db.query(sql::kAccountIds);
    while (q.step()) ids.push_back(AccountId(q.int64(0)));
    return ids;
  });
}

size_t SqliteMailStore::sweep_orphan_blobs(int64_t min_age_seconds) {
  std::vector<BlobId> candidates;
  blobs_.for_each([&](const BlobId& id, int64_t age) {
    if (age >= min_age_seconds) candidates.push_back(id);
  });
  // Checked on the writer thread, so no append of these blobs can be in flight meanwhile.
  return writing([&](WriteContext& ctx) {
    size_t removed = 0;
    for (const auto& id : candidates) {
      if (ctx.db.query(sql::kBlobKnown, id.str()).single_int64() != 0) continue;
      blobs_.remove(id);
      ++removed;
    }
    return removed;
  });
}

}  // namespace kurier::store
