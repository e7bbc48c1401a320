// Group commit for the SQLite backend: one writer thread owns the write connection and runs
// every pending write request in ONE transaction, so N concurrent deliveries share one WAL
// fsync instead of paying N.
//
// Batch cycle on the writer thread:
//   BEGIN IMMEDIATE; hooks.begin
//   for each request: SAVEPOINT; job; RELEASE   (a throwing job is rolled back alone and its
//                                               caller gets the exception; the others go on)
//   hooks.before_commit; COMMIT                 (synchronous=FULL: durable when this returns)
//   hooks.after_commit(changes)                 (unlink blob files, publish to the ChangeHub)
//   complete every request                      (so a returned write has been published)
// If BEGIN or COMMIT fails, every request of the batch fails with that error, and
// hooks.rolled_back lets the owner drop what it noted for after_commit (the blob-garbage list:
// unlinking blobs of a rolled-back expunge would delete the bytes of live messages).
#pragma once
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <exception>
#include <functional>
#include <future>
#include <mutex>
#include <optional>
#include <thread>
#include <type_traits>
#include <vector>

#include "common/sqlite.h"
#include "store/change_hub.h"

namespace kurier::store {

// The store's connections are kurier's one SQLite layer; inside the store, sql:: names the
// store's SQL text (sqlite_sql.h), so the layer's classes are brought in by name.
using kurier::sql::Database;
using kurier::sql::Statement;

// What a write job sees: the write connection inside the batch transaction, and where to note
// the mailbox changes to publish once the batch committed.
struct WriteContext {
  Database& db;
  std::vector<MailboxChange> changes;
  MailboxChange& change_for(MailboxId mailbox);
};

class GroupCommitter {
 public:
  struct Hooks {
    std::function<void(Database&)> begin;          // inside the transaction, before the jobs
    // inside the transaction, after the jobs, with the changes the batch made
    std::function<void(Database&, const std::vector<MailboxChange>&)> before_commit;
    std::function<void(const std::vector<MailboxChange>&)> after_commit;
    std::function<void()> rolled_back;  // the batch failed: nothing of it was committed
  };

  // max_batch = 1 disables group commit (one transaction and fsync per request).
  GroupCommitter(Database& db, size_t max_batch, Hooks hooks);
  ~GroupCommitter();  // finishes queued requests, then stops the thread
  GroupCommitter(const GroupCommitter&) = delete;
  GroupCommitter& operator=(const GroupCommitter&) = delete;

  // Runs job(WriteContext&) on the writer thread and returns its result once committed;
  // rethrows what the job (or the commit) threw.
  template <class Job>
  auto run(Job&& job) -> std::invoke_result_t<Job&, WriteContext&> {
    using Result = std::invoke_result_t<Job&, WriteContext&>;
    if constexpr (std::is_void_v<Result>) {
      submit([&job](WriteContext& ctx) { job(ctx); }).get();
    } else {
      std::optional<Result> result;  // lives on this stack until the future is ready
      submit([&job, &result](WriteContext& ctx) { result.emplace(job(ctx)); }).get();
      return std::move(*result);
    }
  }

  uint64_t batches_committed() const;

 private:
  struct Request {
    std::function<void(WriteContext&)> job;
    std::promise<void> done;
  };

  std::future<void> submit(std::function<void(WriteContext&)> job);
  void writer_loop();
  void run_batch(std::vector<Request>& batch);
  bool run_job(Request& request, std::vector<MailboxChange>& changes, std::exception_ptr& error);

  Database& db_;
  size_t max_batch_;
  Hooks hooks_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Request> queue_;
  bool stopping_ = false;
  uint64_t batches_ = 0;
  std::thread thread_;
};

}  // namespace kurier::store
