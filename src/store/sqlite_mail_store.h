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
    size_t max_batch = 256;         // writes per transaction; 1 disables group commit
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

  ChangeHub& changes() override { return hub_; }
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
  std::mutex readers_mutex_;
  std::condition_variable reader_returned_;
  std::vector<BlobId> garbage_;   // writer thread only: blobs to unlink after this commit
  std::vector<BlobId> unlinked_;  // writer thread only: garbage rows to forget (cleared once
                                  // a batch that deleted their rows committed)
  std::function<void()> commit_fault_;
  std::unique_ptr<GroupCommitter> committer_;
};

}  // namespace kurier::store
