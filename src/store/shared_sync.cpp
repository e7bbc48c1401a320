#include "store/shared_sync.h"

#include <algorithm>

namespace kurier::store {

void SharedSync::sync_after_writes() {
  std::unique_lock lock(mutex_);
  const uint64_t ticket = ++requested_;
  while (completed_ < ticket) {
    if (running_) {
      // A sync is in flight, but it may have started before our writes: wait for it, then
      // look again (the next leader's sync covers us).
      done_.wait(lock);
      continue;
    }
    running_ = true;
    const uint64_t covers = requested_;  // every ticket taken so far wrote before this sync
    lock.unlock();
    try {
      sync_();
    } catch (...) {
      lock.lock();
      running_ = false;
      done_.notify_all();
      throw;
    }
    lock.lock();
    running_ = false;
    ++syncs_;
    completed_ = std::max(completed_, covers);
    done_.notify_all();
  }
}

uint64_t SharedSync::syncs_run() const {
  std::lock_guard lock(mutex_);
  return syncs_;
}

}  // namespace kurier::store
