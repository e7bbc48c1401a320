#include "store/group_commit.h"

#include "store/errors.h"

namespace kurier::store {

MailboxChange& WriteContext::change_for(MailboxId mailbox) {
  for (auto& change : changes)
    if (change.mailbox == mailbox) return change;
  changes.push_back(MailboxChange{});
  changes.back().mailbox = mailbox;
  return changes.back();
}

GroupCommitter::GroupCommitter(Database& db, size_t max_batch, Hooks hooks)
    : db_(db), max_batch_(max_batch == 0 ? 1 : max_batch), hooks_(std::move(hooks)) {
  thread_ = std::thread([this] { writer_loop(); });
}

GroupCommitter::~GroupCommitter() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

uint64_t GroupCommitter::batches_committed() const {
  std::lock_guard lock(mutex_);
  return batches_;
}

std::future<void> GroupCommitter::submit(std::function<void(WriteContext&)> job) {
  Request request{std::move(job), {}};
  auto future = request.done.get_future();
  {
    std::lock_guard lock(mutex_);
    if (stopping_) throw StoreError(StoreErrc::shut_down, "mail store is shutting down");
    queue_.push_back(std::move(request));
  }
  wake_.notify_one();
  return future;
}

void GroupCommitter::writer_loop() {
  std::vector<Request> batch;
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping and drained
      while (!queue_.empty() && batch.size() < max_batch_) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    run_batch(batch);
    batch.clear();
  }
}

bool GroupCommitter::run_job(Request& request, std::vector<MailboxChange>& changes,
                             std::exception_ptr& error) {
  WriteContext ctx{db_, {}};
  try {
    db_.exec("SAVEPOINT request");
    request.job(ctx);
    db_.exec("RELEASE request");
  } catch (...) {
    error = std::current_exception();
    try {
      db_.exec("ROLLBACK TO request");
      db_.exec("RELEASE request");
    } catch (...) {
      return false;  // the transaction itself is broken
    }
    return true;
  }
  for (auto& change : ctx.changes) {
    bool merged = false;
    for (auto& existing : changes)
      if (existing.mailbox == change.mailbox) {
        existing.merge(change);
        merged = true;
      }
    if (!merged) changes.push_back(std::move(change));
  }
  return true;
}

void GroupCommitter::run_batch(std::vector<Request>& batch) {
  std::vector<std::exception_ptr> errors(batch.size());
  std::vector<MailboxChange> changes;
  std::exception_ptr batch_error;
  try {
    db_.exec("BEGIN IMMEDIATE");
    if (hooks_.begin) hooks_.begin(db_);
    for (size_t i = 0; i < batch.size(); ++i)
      if (!run_job(batch[i], changes, errors[i]))
        throw StoreError(StoreErrc::database, "write transaction aborted");
    if (hooks_.before_commit) hooks_.before_commit(db_, changes);
    db_.exec("COMMIT");
  } catch (...) {
    batch_error = std::current_exception();
    db_.rollback();
    if (hooks_.rolled_back) hooks_.rolled_back();
  }
  if (!batch_error) {
    {
      std::lock_guard lock(mutex_);
      ++batches_;
    }
    if (hooks_.after_commit) hooks_.after_commit(changes);
  }
  for (size_t i = 0; i < batch.size(); ++i) {
    std::exception_ptr error = batch_error ? batch_error : errors[i];
    if (error)
      batch[i].done.set_exception(error);
    else
      batch[i].done.set_value();
  }
}

}  // namespace kurier::store
