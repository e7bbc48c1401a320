// Connection pool and the retry loop (see pool.h).
#include "sqldb/pool.h"

#include <algorithm>
#include <chrono>
#include <thread>

namespace kurier::sqldb {

// A connection taken from the pool for one call; given back (or dropped, if it broke) at the end.
class Pool::Lease {
 public:
  explicit Lease(Pool& pool) : pool_(pool), slot_(pool.acquire()) {}
  ~Lease() { pool_.release(std::move(slot_), lost_); }
  Connection& operator*() { return *slot_.connection; }
  void mark_lost() { lost_ = true; }

 private:
  Pool& pool_;
  Slot slot_;
  bool lost_ = false;
};

Pool::Pool(Dialect dialect, Factory factory, size_t max_size)
    : dialect_(dialect), factory_(std::move(factory)), max_size_(max_size == 0 ? 1 : max_size) {}

Pool::~Pool() = default;

size_t Pool::open_connections() {
  std::lock_guard lock(mutex_);
  return open_;
}

Pool::Slot Pool::acquire() {
  uint64_t generation;
  {
    std::unique_lock lock(mutex_);
    available_.wait(lock, [&] { return !idle_.empty() || open_ < max_size_; });
    if (!idle_.empty()) {
      Slot slot = std::move(idle_.back());
      idle_.pop_back();
      return slot;
    }
    ++open_;  // a place for the connection opened below, outside the lock
    generation = generation_;
  }
  try {
    return Slot{factory_(), generation};
  } catch (...) {
    std::lock_guard lock(mutex_);
    --open_;
    available_.notify_one();
    throw;
  }
}

void Pool::release(Slot slot, bool lost) {
  std::vector<Slot> stale;  // closed outside the lock
  {
    std::lock_guard lock(mutex_);
    if (lost || !slot.connection->usable()) {
      --open_;
      bool newest = slot.generation >= generation_;
      stale.push_back(std::move(slot));
      if (lost && newest) {
        // The server went away: every idle connection opened before now is stale too.
        ++generation_;
        open_ -= idle_.size();
        for (auto& s : idle_) stale.push_back(std::move(s));
        idle_.clear();
      }
    } else {
      idle_.push_back(std::move(slot));
    }
    available_.notify_all();
  }
}

void Pool::run_read(const std::function<void(Connection&)>& fn) {
  for (int attempt = 1;; ++attempt) {
    Lease lease(*this);
    try {
      fn(*lease);
      return;
    } catch (const Error& e) {
      if (e.kind() == Error::connection) lease.mark_lost();
      bool again = (e.kind() == Error::connection && attempt == 1) ||
                   (e.kind() == Error::retry && attempt < kMaxAttempts);
      if (!again) throw;
    }
  }
}

// One attempt: true when it committed, false when it should run again; throws otherwise.
bool Pool::try_write(const std::function<void(Connection&)>& fn, int attempt) {
  Lease lease(*this);
  Connection& c = *lease;
  bool committing = false;
  try {
    c.begin();
    fn(c);
    committing = true;
    c.commit();
    return true;
  } catch (const Error& e) {
    if (e.kind() == Error::connection) {
      lease.mark_lost();
    } else {
      c.rollback();
    }
    bool again = (e.kind() == Error::connection && !committing && attempt == 1) ||
                 (e.kind() == Error::retry && attempt < kMaxAttempts);
    if (!again) throw;
    return false;
  } catch (...) {
    c.rollback();
    throw;
  }
}

void Pool::run_write(const std::function<void(Connection&)>& fn) {
  for (int attempt = 1;; ++attempt) {
    if (try_write(fn, attempt)) return;
    // Let the transaction that won finish before trying again: 1, 2, 4 ... 64 ms.
    std::this_thread::sleep_for(std::chrono::milliseconds(1 << std::min(attempt - 1, 6)));
  }
}

}  // namespace kurier::sqldb
