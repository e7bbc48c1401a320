// The pool's retry loop and reconnects, against scripted connections (sqldb/pool.h).
#include <gtest/gtest.h>

#include <atomic>
#include <deque>
#include <thread>

#include "sqldb/pool.h"

using namespace kurier::sqldb;

namespace {

// What the scripted connections did, shared by all of them.
struct Log {
  std::atomic<int> opened{0}, begins{0}, commits{0}, rollbacks{0};
  std::deque<Error::Kind> commit_failures;  // the next commits fail with these
};

class ScriptedConnection final : public Connection {
 public:
  explicit ScriptedConnection(Log& log) : log_(log) { ++log_.opened; }
  Dialect dialect() const override { return Dialect::postgresql; }
  Statement& statement(const std::string&) override { throw Error(Error::other, "not scripted"); }
  void exec(std::string_view) override {}
  void begin() override { ++log_.begins; }
  void commit() override {
    if (!log_.commit_failures.empty()) {
      auto kind = log_.commit_failures.front();
      log_.commit_failures.pop_front();
      throw Error(kind, "scripted commit failure");
    }
    ++log_.commits;
  }
  void rollback() noexcept override { ++log_.rollbacks; }
  int64_t last_insert_id() override { return 0; }
  bool usable() const override { return true; }

 private:
  Log& log_;
};

Pool make_pool(Log& log, size_t size = 4) {
  return Pool(Dialect::postgresql, [&log] { return std::make_unique<ScriptedConnection>(log); }, size);
}

}  // namespace

TEST(Pool, WriteRunsAgainWhenTheDatabaseAbortsIt) {
  Log log;
  Pool pool = make_pool(log);
  int calls = 0;
  int result = pool.write([&](Connection&) {
    if (++calls < 3) throw Error(Error::retry, "could not serialize access");
    return 42;
  });
  EXPECT_EQ(result, 42);
  EXPECT_EQ(calls, 3);
  EXPECT_EQ(log.begins, 3);
  EXPECT_EQ(log.rollbacks, 2);
  EXPECT_EQ(log.commits, 1);
}

TEST(Pool, SerializationFailureAtCommitIsRetriedToo) {
  Log log;
  Pool pool = make_pool(log);
  log.commit_failures = {Error::retry};
  int calls = 0;
  pool.write([&](Connection&) { ++calls; });
  EXPECT_EQ(calls, 2);
  EXPECT_EQ(log.commits, 1);
}

TEST(Pool, GivesUpAfterTheLastAttempt) {
  Log log;
  Pool pool = make_pool(log);
  int calls = 0;
  EXPECT_THROW(pool.write([&](Connection&) {
    ++calls;
    throw Error(Error::retry, "deadlock");
  }),
               Error);
  EXPECT_EQ(calls, Pool::kMaxAttempts);
}

TEST(Pool, OtherFailuresAreNotRetried) {
  Log log;
  Pool pool = make_pool(log);
  int calls = 0;
  EXPECT_THROW(pool.write([&](Connection&) {
    ++calls;
    throw Error(Error::unique_violation, "duplicate key");
  }),
               Error);
  EXPECT_THROW(pool.write([&](Connection&) { throw std::runtime_error("not the database's"); }), std::runtime_error);
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(log.rollbacks, 2);
}

TEST(Pool, ALostConnectionIsReplacedAndTheWorkRunOnce) {
  Log log;
  Pool pool = make_pool(log);
  pool.read([](Connection&) {});  // one idle connection, soon stale
  EXPECT_EQ(log.opened, 1);
  int calls = 0;
  pool.read([&](Connection&) {
    if (++calls == 1) throw Error(Error::connection, "server closed the connection");
  });
  EXPECT_EQ(calls, 2);
  EXPECT_EQ(log.opened, 2);
  EXPECT_EQ(pool.open_connections(), 1u);
  // A second loss in a row is the caller's temporary failure, not a loop.
  EXPECT_THROW(pool.read([](Connection&) -> void { throw Error(Error::connection, "still down"); }), Error);
}

TEST(Pool, ALostConnectionDropsTheOtherIdleOnes) {
  Log log;
  Pool pool = make_pool(log);
  // Two connections in use at once, then both idle.
  std::atomic<int> inside{0};
  std::thread other([&] {
    pool.read([&](Connection&) {
      ++inside;
      while (inside < 2) std::this_thread::yield();
    });
  });
  pool.read([&](Connection&) {
    ++inside;
    while (inside < 2) std::this_thread::yield();
  });
  other.join();
  ASSERT_EQ(pool.open_connections(), 2u);
  int calls = 0;
  pool.read([&](Connection&) {
    if (++calls == 1) throw Error(Error::connection, "terminating connection due to administrator command");
  });
  EXPECT_EQ(pool.open_connections(), 1u);  // the retry's fresh one only
  EXPECT_EQ(log.opened, 3);
}

TEST(Pool, ConnectionLostDuringCommitIsReportedNotRetried) {
  Log log;
  Pool pool = make_pool(log);
  log.commit_failures = {Error::connection};
  int calls = 0;
  EXPECT_THROW(pool.write([&](Connection&) { ++calls; }), Error);  // it may have committed
  EXPECT_EQ(calls, 1);
}

TEST(Pool, AtMostMaxSizeConnectionsAndWaitersGetOne) {
  Log log;
  Pool pool = make_pool(log, 2);
  std::atomic<int> busy{0}, most{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 6; ++i)
    threads.emplace_back([&] {
      for (int j = 0; j < 50; ++j)
        pool.read([&](Connection&) {
          int now = ++busy;
          int seen = most;
          while (now > seen && !most.compare_exchange_weak(seen, now)) {
          }
          std::this_thread::yield();
          --busy;
        });
    });
  for (auto& t : threads) t.join();
  EXPECT_LE(most, 2);
  EXPECT_LE(log.opened, 2);
}

TEST(Pool, AFailedConnectFreesItsPlace) {
  int attempts = 0;
  Log log;
  Pool pool(
      Dialect::postgresql,
      [&]() -> std::unique_ptr<Connection> {
        if (++attempts == 1) throw Error(Error::connection, "connection refused");
        return std::make_unique<ScriptedConnection>(log);
      },
      1);
  EXPECT_THROW(pool.read([](Connection&) {}), Error);
  EXPECT_EQ(pool.open_connections(), 0u);
  pool.read([](Connection&) {});  // would wait forever if the failed connect kept its place
  EXPECT_EQ(pool.open_connections(), 1u);
}
