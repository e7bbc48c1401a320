// What every `kurier import` writes through (docs/ARCHITECTURE.md "Imports and other writers
// beside the server"): the account's mail store opened as a GUEST beside a running `kurier
// serve` (or alone), messages streamed into blobs (bare LF made CRLF) and appended in batches —
// one transaction, one filesystem sync and one WAL fsync per batch, the source keys recorded in
// the same transaction so an interrupted import resumes without duplicates — plus the progress
// display and the final report (text, or JSON with --json).
// One batch commits on a second thread while the next one is read and written (at most one in
// flight), so the sync of one overlaps the file work of the next; a message counts as imported
// only once its batch committed.
#pragma once
#include <chrono>
#include <cstdint>
#include <future>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/crlf.h"
#include "config/config.h"
#include "directory/directory.h"
#include "store/blob_store.h"
#include "store/sqlite_mail_store.h"

namespace kurier::cli {

// Progress on stderr: a bar redrawn in place on a terminal (messages, MB/s, ETA), plain lines
// every few seconds otherwise (logs, pipes), nothing with --json.
class Progress {
 public:
  explicit Progress(bool quiet);
  void set_total(uint64_t messages) { total_ = messages; }
  void add_total(uint64_t messages) { total_ += messages; }
  void update(uint64_t messages, uint64_t bytes, bool force = false);
  void finish(uint64_t messages, uint64_t bytes);

 private:
  bool quiet_;
  bool terminal_;
  uint64_t total_ = 0;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point last_ = start_;
};

// One message being streamed into a blob.
class MessageBlob {
 public:
  explicit MessageBlob(std::unique_ptr<store::BlobWriter> writer) : writer_(std::move(writer)) {}
  // Bytes of the message; bare LF become CRLF (RFC 9051 2.2, common/crlf.h).
  void write(std::string_view chunk);
  uint64_t size() const { return writer_->bytes_written() + buffer_.size(); }

 private:
  friend class ImportTarget;
  std::unique_ptr<store::BlobWriter> writer_;
  CrlfNormalizer crlf_;
  std::string buffer_;
};

struct FolderReport {
  std::string name;
  uint32_t uidvalidity = 0;
  bool uidvalidity_kept = false;
  uint64_t imported = 0;
  uint64_t already = 0;  // imported by an earlier run
};

class ImportTarget {
 public:
  // `source` names the import's origin durably (e.g. "maildir:/abs/path"): the keys of its
  // messages are recorded under it.
  // The account's quota holds unless ignore_quota: add() stops the import (QuotaReached) before
  // a message would take the account's usage past it.
  ImportTarget(const config::Config& config, directory::Directory& directory,
               const std::string& address, std::string kind, std::string source, bool json,
               bool ignore_quota = false);
  ~ImportTarget();

  store::AccountId account() const { return account_; }
  Progress& progress() { return progress_; }

  // Starts a folder: created when missing; takes `uidvalidity` (0: none) while unused.
  store::MailboxId open_folder(const std::string& name, uint32_t uidvalidity);
  void subscribe(const std::string& name);
  // True when an earlier run already imported the message with this key (cheap: read once).
  bool already_imported(const std::string& folder, const std::string& key) const;
  void count_already(store::MailboxId folder, uint64_t n = 1);

  MessageBlob begin_message();
  // Queues the streamed message; written with the next batch. Throws QuotaReached, having
  // recorded the message as skipped "over quota", when it would exceed the account's quota.
  void add(store::MailboxId folder, const std::string& folder_name, MessageBlob blob,
           store::Flags flags, store::Uid source_uid, const std::string& key,
           int64_t internal_date, std::string pop3_uidl = {});
  // Flushes the folder's queued messages and raises its UIDNEXT to the source's.
  void finish_folder(store::MailboxId folder, store::Uid source_next_uid);
  void skip(const std::string& what, const std::string& why);
  void warn(const std::string& what);

  // Flushes everything, prints the summary (or the JSON report). Returns the exit status.
  int finish();
  bool stopped_over_quota() const { return over_quota_; }
  uint64_t quota() const { return quota_; }

 private:
  void flush();                     // hands the batch to the committing thread
  void wait_for_commit();           // the batch in flight is done (rethrows its failure)
  void commit(store::MailboxId folder, std::vector<store::ImportItem> batch);
  FolderReport& report_for(store::MailboxId folder);  // stats_mutex_ held

  bool json_;
  std::string kind_, source_, address_;
  store::AccountId account_ = 0;
  std::unique_ptr<store::FileBlobStore> blobs_;
  std::unique_ptr<store::SqliteMailStore> store_;
  std::set<std::string> done_keys_;
  // The batch being assembled: one folder at a time (a batch is one mailbox's transaction).
  store::MailboxId batch_folder_ = 0;
  std::vector<store::ImportItem> batch_;
  uint64_t batch_bytes_ = 0;
  std::future<void> in_flight_;
  std::mutex stats_mutex_;          // the report and counters below, and the progress display
  std::vector<std::pair<store::MailboxId, FolderReport>> folders_;
  std::vector<std::pair<std::string, std::string>> skipped_;
  std::vector<std::string> warnings_;
  uint64_t imported_ = 0, bytes_ = 0, already_ = 0;
  bool ignore_quota_ = false;
  uint64_t quota_ = 0;    // the account's, in bytes; 0 = none
  uint64_t planned_ = 0;  // the account's usage once every message added so far is stored
  bool over_quota_ = false;
  Progress progress_;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

// Thrown by ImportTarget::add when the next message would exceed the account's quota: the
// import stops there (what was added before is stored by finish()).
struct QuotaReached {};

// The source key of a message: folder and name at the source, unambiguous.
std::string import_key(const std::string& folder, const std::string& name);

// When run as root on a data directory another user owns (the [server] user), the import runs
// as that user, so the server can read and remove what it writes.
void become_data_dir_owner(const config::Config& config);

}  // namespace kurier::cli
