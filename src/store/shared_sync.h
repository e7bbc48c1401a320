// One filesystem sync shared by every thread that needs one at the same time (group sync).
// A caller needs a sync that *starts* after its own writes; whoever arrives while none runs
// becomes the leader and syncs for everyone waiting, the rest sleep and return when a sync
// that covers them completes. So N concurrent deliveries cost one or two syncs, and the
// blocking-pool threads that wait for them do so in parallel with the mail store's writer
// committing other batches (the writer never syncs blobs itself).
#pragma once
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>

namespace kurier::store {

class SharedSync {
 public:
  explicit SharedSync(std::function<void()> sync) : sync_(std::move(sync)) {}

  // Returns once a sync that started after this call began has completed; rethrows the error
  // of a sync this caller ran itself (a waiter whose leader failed runs a sync of its own).
  void sync_after_writes();

  uint64_t syncs_run() const;  // for tests: how many syncs the callers shared

 private:
  std::function<void()> sync_;
  mutable std::mutex mutex_;
  std::condition_variable done_;
  uint64_t requested_ = 0;  // tickets handed out
  uint64_t completed_ = 0;  // every ticket <= this is covered by a finished sync
  bool running_ = false;
  uint64_t syncs_ = 0;
};

}  // namespace kurier::store
