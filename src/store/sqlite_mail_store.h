// SqliteMailStore: the MailStore backend on one SQLite database file (DATA/store.db), with
// message bytes in a BlobStore (DATA/blobs). Schema and SQL: sqlite_sql.h.
//
// Threading model
// - Every public method may be called from any thread and blocks until done.
// - Writes are queued to ONE writer thread that owns the only write connection (GroupCommitter,
//   group_commit.h). It runs all queued writes in a single transaction, so concurrent deliveries
//   share one commit and one WAL fsync. A write returns after its batch committed
//   (synchronous=FULL: on disk), blob files that lost their last reference were unlinked, and
//   the ChangeHub subscribers were notified.
// - Reads take a connection from a small pool (WAL: readers never block the writer or each
//   other) and see everything committed before they started. Multi-query reads (snapshot,
//   changes_since) run in one read transaction.
// - Blob bytes are written by the caller (BlobStore::create → commit, with its own fsync) before
//   append/deliver; those fsyncs run in the callers' threads, in parallel.
// - ChangeHub callbacks run on the writer thread after COMMIT, with no database lock held; they
//   must only post work elsewhere. Calling the store from a callback would deadlock for writes.
//
// Durability and crash safety
// - A message row names its blob only after the blob was committed (fsynced and renamed), so a
//   crash can leave an unreferenced blob (swept by sweep_orphan_blobs) but never a message
//   without its bytes. Unlinking a blob happens after the COMMIT that dropped its last
//   reference; ids pending unlink stay in blob_garbage until done, so a crash in between only
//   delays the unlink to the next open.
#pragma once
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "store/blob_store.h"
#include "store/mail_store.h"

namespace kurier::sql {
class Database;
}

namespace kurier::store {

class GroupCommitter;

class SqliteMailStore final : public MailStore {
 public:
  struct Options {
    std::filesystem::path db_path;  // e.g. DATA/store.db
    size_t read_connections = 4;
    // Read connections of their own for threads that bind to a slot (bind_reader_slot): the
    // server's I/O threads, which run small reads in place (docs/ARCHITECTURE.md, "Reads on
    // the I/O threads"). Such a thread never waits for a pooled connection.
    size_t thread_readers = 0;
    size_t max_batch = 256;         // writes per transaction; 1 disables group commit
    // A guest shares the store with the process that owns it (`kurier serve`; the CLI's
    // imports are guests): it leaves expunged messages and blob garbage to the owner, whose
    // sessions may still hold them, and journals its changes (change_journal) for the owner
    // to publish. Works the same when no server runs.
    bool guest = false;
    // The owner polls the journal this often (0: never) and publishes what guests changed.
    int watch_interval_ms = 0;
  };

  // Opens (creating if needed) the database, applies pending migrations, finishes blob unlinks
  // interrupted by a crash, and starts the writer thread. `blobs` must outlive the store.
  SqliteMailStore(Options options, BlobStore& blobs);
  ~SqliteMailStore() override;

  std::vector<MailboxInfo> create_default_mailboxes(AccountId account) override;
  std::vector<MailboxInfo> list_mailboxes(AccountId account) override;
  std::optional<MailboxInfo> find_mailbox(AccountId account, std::string_view name) override;
  std::optional<MailboxInfo> mailbox(MailboxId id) override;
  MailboxInfo create_mailbox(AccountId account, std::string_view name,
                             std::string_view special_use = {}) override;
  void delete_mailbox(AccountId account, std::string_view name) override;
  void rename_mailbox(AccountId account, std::string_view from, std::string_view to) override;
  void set_special_use(AccountId account, std::string_view name,
                       std::string_view special_use) override;
  void subscribe(AccountId account, std::string_view name) override;
  void unsubscribe(AccountId account, std::string_view name) override;
  std::vector<std::string> subscriptions(AccountId account) override;

  MailboxStatus mailbox_status(MailboxId mailbox) override;
  MailboxSnapshot snapshot(MailboxId mailbox) override;
  std::vector<MessageMeta> messages(MailboxId mailbox, const UidSet& uids = all_uids()) override;
  std::vector<MessageMeta> expunged_messages(MailboxId mailbox, const UidSet& uids) override;
  std::vector<std::pair<Uid, std::string>> cached_structures(MailboxId mailbox,
                                                              const UidSet& uids) override;
  Changes changes_since(MailboxId mailbox, ModSeq since) override;

  Uid claim_recent(MailboxId mailbox, Uid through) override;
  AppendResult append(MailboxId mailbox, const NewMessage& message, const Flags& flags) override;
  std::vector<AppendResult> append_all(MailboxId mailbox, const std::vector<AppendItem>& items) override;
  std::vector<AppendResult> deliver(const std::vector<DeliveryTarget>& targets,
                                    const NewMessage& message) override;
  StoreFlagsResult store_flags(MailboxId mailbox, const UidSet& uids, FlagMode mode,
                               const Flags& flags,
                               std::optional<ModSeq> unchanged_since = std::nullopt) override;
  CopyResult copy(MailboxId from, const UidSet& uids, MailboxId to) override;
  CopyResult move(MailboxId from, const UidSet& uids, MailboxId to) override;
  std::vector<Uid> expunge(MailboxId mailbox,
                           const std::optional<UidSet>& uids = std::nullopt) override;
  std::vector<Uid> expunge_uids(MailboxId mailbox, const UidSet& uids) override;

  QuotaUsage quota_usage(AccountId account) override;
  void delete_account(AccountId account) override;
  std::vector<AccountId> accounts() override;
  size_t sweep_orphan_blobs(int64_t min_age_seconds) override;

  MailboxInfo prepare_import_mailbox(AccountId account, std::string_view name, uint32_t uidvalidity,
                                     std::string_view special_use = {}) override;
  std::vector<ImportOutcome> import_messages(AccountId account, MailboxId mailbox,
                                             const std::string& source,
                                             const std::vector<ImportItem>& items) override;
  void raise_uidnext(MailboxId mailbox, Uid uidnext) override;
  std::vector<std::string> imported_keys(AccountId account, const std::string& source) override;
  std::vector<std::pair<Uid, std::string>> pop3_uidls(MailboxId mailbox) override;

  // Publishes, once, every journaled change another process committed since the last call
  // (the watcher thread calls it; tests may too). Returns how many were published.
  size_t publish_external_changes();

  ChangeHub& changes() override { return hub_; }
  // Binds the calling thread to read slot `slot` (< Options::thread_readers) of every store:
  // its reads use that slot's connection, never a pooled one. -1 unbinds.
  static void bind_reader_slot(int slot);

  uint64_t write_batches() const;  // committed write transactions (for tests and metrics)
  // Test seam, set before the first write: called on the writer thread just before COMMIT; a
  // throw fails the batch as a failed COMMIT would (disk full, I/O error).
  void set_commit_fault(std::function<void()> fault) { commit_fault_ = std::move(fault); }

 private:
  class ReadLease;
  ReadLease read();
  // fn(Database&) on a pooled reader; job(WriteContext&) on the writer thread (group_commit.h).
  // Both turn SQLite failures into StoreError.
  template <class F>
  auto reading(F&& fn);
  template <class Job>
  auto writing(Job&& job);
  void open_connections();
  void migrate();
  void unlink_garbage_blobs(kurier::sql::Database& db);
  // Drops the data of expunged messages no session holds any more (ChangeHub holds).
  void release_expunged(kurier::sql::Database& db);
  void check_blob(const NewMessage& message) const;
  // One new message row: append, append_all and deliver are lists of these.
  struct NewRow {
    MailboxId mailbox;
    const NewMessage* message;
    const Flags* flags;
  };
  // Validates every row, then appends them all in ONE write job: all are kept or none.
  std::vector<AppendResult> append_rows(const std::vector<NewRow>& rows);

  Options options_;
  BlobStore& blobs_;
  ChangeHub hub_;
  std::unique_ptr<kurier::sql::Database> writer_db_;
  std::vector<std::unique_ptr<kurier::sql::Database>> readers_;
  std::vector<kurier::sql::Database*> idle_readers_;
  // Options::thread_readers connections; slot i is only ever used by the thread bound to it,
  // so neither the vector's entries nor the flags need a lock.
  std::vector<std::unique_ptr<kurier::sql::Database>> thread_readers_;
  std::vector<char> thread_reader_in_use_;
  std::mutex readers_mutex_;
  std::condition_variable reader_returned_;
  std::vector<BlobId> garbage_;   // writer thread only: blobs to unlink after this commit
  std::vector<BlobId> unlinked_;  // writer thread only: garbage rows to forget (cleared once
                                  // a batch that deleted their rows committed)
  std::function<void()> commit_fault_;
  std::unique_ptr<GroupCommitter> committer_;
  // The journal watcher (owner only): its own read connection and thread.
  void journal_changes(kurier::sql::Database& db, const std::vector<MailboxChange>& changes);
  void watch_loop();
  std::unique_ptr<kurier::sql::Database> watch_db_;
  std::mutex watch_mutex_;                // guards watch_db_, journal_seq_, data_version_
  std::condition_variable watch_wake_;
  bool watch_stop_ = false;
  int64_t journal_seq_ = 0;               // last journal row published
  int64_t data_version_ = -1;
  std::thread watcher_;
};

}  // namespace kurier::store
