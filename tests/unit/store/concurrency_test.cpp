// Concurrent writers: UIDs stay unique and dense, and group commit shares transactions.
// The throughput benchmark runs only with KURIER_STORE_BENCH=1 (it fsyncs thousands of times).
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <set>
#include <thread>

#include "store_test_util.h"

namespace kurier::store {
namespace {

using testing::StoreTest;

TEST_F(StoreTest, ConcurrentDeliveriesGetUniqueDenseUids) {
  MailboxId box = inbox();
  constexpr int kThreads = 6;
  constexpr int kPerThread = 40;
  std::vector<std::vector<Uid>> uids(kThreads);
  std::atomic<int> notified{0};
  auto sub = store_->changes().subscribe(box, [&](const MailboxChange& c) {
    notified += int(c.appended.size());
  });
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        auto msg = new_message("message " + std::to_string(t) + "/" + std::to_string(i));
        if (i % 2 == 0)
          uids[t].push_back(store_->append(box, msg, {}).uid);
        else
          uids[t].push_back(store_->deliver({{box, {}}}, msg)[0].uid);
        if (i % 10 == 0) store_->mailbox_status(box);  // reads interleave with writes
      }
    });
  }
  for (auto& t : threads) t.join();
  std::set<Uid> all;
  for (const auto& list : uids) {
    EXPECT_TRUE(std::is_sorted(list.begin(), list.end()));
    all.insert(list.begin(), list.end());
  }
  ASSERT_EQ(all.size(), size_t(kThreads * kPerThread));
  EXPECT_EQ(*all.begin(), 1u);
  EXPECT_EQ(*all.rbegin(), Uid(kThreads * kPerThread));  // dense: no gaps
  EXPECT_EQ(notified.load(), kThreads * kPerThread);
  auto status = store_->mailbox_status(box);
  EXPECT_EQ(status.messages, uint32_t(kThreads * kPerThread));
  EXPECT_EQ(status.uidnext, Uid(kThreads * kPerThread + 1));
  // Group commit: fewer transactions than writes (each thread waits while others queue up).
  EXPECT_LT(store_->write_batches(), uint64_t(kThreads * kPerThread) + 2);
}

TEST_F(StoreTest, OneFailingRequestDoesNotSpoilItsBatch) {
  MailboxId box = inbox();
  std::atomic<int> ok{0}, failed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 25; ++i) {
        try {
          store_->append(t == 0 ? MailboxId(777777) : box, new_message("m"), {});
          ++ok;
        } catch (const StoreError&) {
          ++failed;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 75);
  EXPECT_EQ(failed.load(), 25);
  EXPECT_EQ(store_->mailbox_status(box).messages, 75u);
  EXPECT_EQ(store_->mailbox_status(box).uidnext, 76u);
}

// Appends `per_thread` 4 KiB messages from each of `threads` threads. With prewrite_blobs the
// blobs are written (and fsynced) before the clock starts, so only the store's commits count.
double deliveries_per_second(SqliteMailStore& store, BlobStore& blobs, MailboxId box,
                             int threads, int per_thread, bool prewrite_blobs) {
  const std::string body(4096, 'x');
  std::vector<std::vector<BlobId>> ready(threads);
  if (prewrite_blobs)
    for (auto& list : ready)
      for (int i = 0; i < per_thread; ++i) list.push_back(testing::write_blob(blobs, body));
  auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      for (int i = 0; i < per_thread; ++i) {
        NewMessage msg;
        // write_blob: fdatasync(file) + rename + fsync(dir), in this thread
        msg.blob = prewrite_blobs ? ready[t][i] : testing::write_blob(blobs, body);
        msg.size = body.size();
        msg.cached_structure = "(\"text\" \"plain\")";
        store.append(box, msg, {});
      }
    });
  }
  for (auto& w : workers) w.join();
  std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
  return threads * per_thread / elapsed.count();
}

class StoreBenchmark : public StoreTest {
 protected:
  void SetUp() override {
    if (!std::getenv("KURIER_STORE_BENCH")) GTEST_SKIP() << "set KURIER_STORE_BENCH=1 to run";
  }
};

TEST_F(StoreBenchmark, GroupCommitThroughput) {
  const int threads = 8, per_thread = 500;
  for (bool prewrite : {false, true}) {
    for (size_t max_batch : {size_t(256), size_t(1)}) {
      open(max_batch);
      std::string name = "Bench" + std::to_string(max_batch) + (prewrite ? "p" : "");
      MailboxId box = store_->create_mailbox(kAlice, name).id;
      uint64_t batches_before = store_->write_batches();
      double rate = deliveries_per_second(*store_, *blobs_, box, threads, per_thread, prewrite);
      std::printf("%s, max_batch=%zu: %d threads x %d appends of 4 KiB: %.0f deliveries/s"
                  " in %llu commits\n",
                  prewrite ? "store only (blobs pre-written)" : "blob fsync + store",
                  max_batch, threads, per_thread, rate,
                  static_cast<unsigned long long>(store_->write_batches() - batches_before));
      EXPECT_EQ(store_->mailbox_status(box).messages, uint32_t(threads * per_thread));
      store_.reset();
      blobs_.reset();
    }
  }
}

TEST_F(StoreBenchmark, SnapshotOfLargeMailbox) {
  open();
  MailboxId box = store_->create_mailbox(kAlice, "Big").id;
  auto msg = new_message("one blob, many messages");
  std::vector<DeliveryTarget> targets(10000, DeliveryTarget{box, {}});
  targets[0].flags.keywords = {"$Important"};
  for (int i = 0; i < 10; ++i) store_->deliver(targets, msg);
  auto start = std::chrono::steady_clock::now();
  auto snap = store_->snapshot(box);
  std::chrono::duration<double, std::milli> load = std::chrono::steady_clock::now() - start;
  start = std::chrono::steady_clock::now();
  auto status = store_->mailbox_status(box);
  std::chrono::duration<double, std::milli> stat = std::chrono::steady_clock::now() - start;
  start = std::chrono::steady_clock::now();
  auto flagged = store_->store_flags(box, all_uids(), FlagMode::add, testing::flags_of(kSeen));
  std::chrono::duration<double, std::milli> store = std::chrono::steady_clock::now() - start;
  std::printf("100k messages: snapshot %.0f ms, status %.2f ms, STORE +FLAGS \\Seen 1:* %.0f ms\n",
              load.count(), stat.count(), store.count());
  EXPECT_EQ(snap.messages.size(), 100000u);
  EXPECT_EQ(status.messages, 100000u);
  EXPECT_EQ(flagged.messages.size(), 100000u);
}

// The I/O threads' own read connections (Options::thread_readers, bind_reader_slot): a bound
// thread sees every write committed before its read started, as a pooled reader does, while
// other threads write and read beside it; a slot out of range falls back to the pool.
TEST(ThreadReaders, BoundThreadsReadTheirOwnWritesBesideOtherThreads) {
  testing::TempDir dir;
  FileBlobStore blobs(dir.path() / "blobs");
  SqliteMailStore::Options options;
  options.db_path = dir.path() / "store.db";
  options.read_connections = 1;
  options.thread_readers = 2;
  SqliteMailStore store(options, blobs);
  auto box = store.create_default_mailboxes(AccountId(1)).front().id;
  constexpr int kPerThread = 30;
  std::atomic<int> mismatches{0};
  auto work = [&](int slot) {
    SqliteMailStore::bind_reader_slot(slot);
    for (int i = 0; i < kPerThread; ++i) {
      std::string content = "slot " + std::to_string(slot) + " message " + std::to_string(i);
      NewMessage msg;
      msg.blob = testing::write_blob(blobs, content);
      msg.size = content.size();
      Uid uid = store.append(box, msg, {}).uid;
      auto metas = store.messages(box, UidSet{{uid, uid}});
      if (metas.size() != 1 || metas[0].uid != uid) ++mismatches;
      if (store.mailbox_status(box).uidnext <= uid) ++mismatches;
    }
    SqliteMailStore::bind_reader_slot(-1);
  };
  std::vector<std::thread> threads;
  for (int slot : {0, 1, -1, 7}) threads.emplace_back(work, slot);  // 7: no such slot
  for (auto& t : threads) t.join();
  EXPECT_EQ(mismatches.load(), 0);
  EXPECT_EQ(store.mailbox_status(box).messages, uint32_t(4 * kPerThread));
}

}  // namespace
}  // namespace kurier::store
