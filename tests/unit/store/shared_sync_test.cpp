#include "store/shared_sync.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>
#include <vector>

namespace kurier::store {
namespace {

// The "filesystem": writes are numbered; a sync makes durable every write numbered before it
// started. A caller's write must be durable when sync_after_writes() returns.
struct FakeDisk {
  std::atomic<uint64_t> writes{0};
  std::atomic<uint64_t> durable{0};
  std::atomic<int> calls{0};
  std::atomic<bool> hold_first{false};
  std::atomic<bool> release{false};

  void sync() {
    uint64_t covered = writes.load();
    if (calls++ == 0 && hold_first)
      while (!release) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    uint64_t seen = durable.load();
    while (seen < covered && !durable.compare_exchange_weak(seen, covered)) {
    }
  }
};

TEST(SharedSyncTest, EveryCallerReturnsOnlyOnceItsWriteIsDurable) {
  FakeDisk disk;
  SharedSync sync([&] { disk.sync(); });
  std::atomic<int> uncovered{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i) {
        uint64_t mine = ++disk.writes;
        sync.sync_after_writes();
        if (disk.durable.load() < mine) ++uncovered;
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(uncovered.load(), 0);
  EXPECT_LE(sync.syncs_run(), 400u);
}

TEST(SharedSyncTest, CallersWaitingDuringOneSyncShareTheNext) {
  FakeDisk disk;
  disk.hold_first = true;
  SharedSync sync([&] { disk.sync(); });
  std::thread leader([&] {
    ++disk.writes;
    sync.sync_after_writes();
  });
  while (disk.calls.load() == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  std::vector<std::thread> followers;
  std::atomic<int> arrived{0};
  for (int t = 0; t < 10; ++t)
    followers.emplace_back([&] {
      ++disk.writes;
      ++arrived;
      sync.sync_after_writes();
    });
  while (arrived.load() < 10) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // all ten are now waiting
  disk.release = true;
  leader.join();
  for (auto& t : followers) t.join();
  // The held sync started before the followers wrote, so it cannot cover them; one more does.
  EXPECT_EQ(sync.syncs_run(), 2u);
  EXPECT_EQ(disk.durable.load(), 11u);
}

TEST(SharedSyncTest, AFailedSyncFailsItsLeaderAndTheOthersSyncAgain) {
  std::atomic<int> calls{0};
  SharedSync sync([&] {
    if (calls++ == 0) throw std::runtime_error("EIO");
  });
  EXPECT_THROW(sync.sync_after_writes(), std::runtime_error);
  EXPECT_NO_THROW(sync.sync_after_writes());
  EXPECT_EQ(sync.syncs_run(), 1u);
}

}  // namespace
}  // namespace kurier::store
