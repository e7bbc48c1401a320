// Connections shared by threads, and the one place that runs work again when the database asks
// for it. Blocking: callers on the event loop go through Runtime::offload.
//
//   read(fn)   fn(Connection&) in autocommit mode (each statement its own snapshot). A lost
//              connection is replaced and fn run once more: reads change nothing.
//   write(fn)  fn(Connection&) inside one transaction (dialect.h: begin_sql). When the database
//              aborts it (serialization failure, deadlock, SQLITE_BUSY) it is rolled back and run
//              again, up to kMaxAttempts times with a growing pause; a connection lost before
//              COMMIT is replaced and fn run again. A connection lost during COMMIT is reported
//              (Error::connection): whether it committed is unknown.
//
// fn may run more than once, so it must only touch the database and its own locals. Connections
// that fail unusably are dropped; after the server restarts, the idle ones are all stale, so a
// lost connection makes the pool drop every idle connection made before it.
#pragma once
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <type_traits>
#include <vector>

#include "sqldb/sqldb.h"

namespace kurier::sqldb {

class Pool {
 public:
  using Factory = std::function<std::unique_ptr<Connection>()>;
  static constexpr int kMaxAttempts = 12;

  // factory opens a connection (throws Error::connection when it cannot); at most max_size open.
  Pool(Dialect dialect, Factory factory, size_t max_size);
  ~Pool();
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  Dialect dialect() const { return dialect_; }

  template <class F>
  auto read(F&& fn) -> std::invoke_result_t<F, Connection&> {
    return with_result(&Pool::run_read, std::forward<F>(fn));
  }
  template <class F>
  auto write(F&& fn) -> std::invoke_result_t<F, Connection&> {
    return with_result(&Pool::run_write, std::forward<F>(fn));
  }

  size_t open_connections();  // for tests and metrics

 private:
  struct Slot {
    std::unique_ptr<Connection> connection;
    uint64_t generation;
  };
  class Lease;

  template <class F>
  auto with_result(void (Pool::*run)(const std::function<void(Connection&)>&), F&& fn)
      -> std::invoke_result_t<F, Connection&> {
    using R = std::invoke_result_t<F, Connection&>;
    if constexpr (std::is_void_v<R>) {
      (this->*run)([&](Connection& c) { fn(c); });
    } else {
      std::optional<R> result;
      (this->*run)([&](Connection& c) { result.emplace(fn(c)); });
      return std::move(*result);
    }
  }

  void run_read(const std::function<void(Connection&)>& fn);
  void run_write(const std::function<void(Connection&)>& fn);
  bool try_write(const std::function<void(Connection&)>& fn, int attempt);
  Slot acquire();
  void release(Slot slot, bool lost);

  Dialect dialect_;
  Factory factory_;
  size_t max_size_;
  std::mutex mutex_;  // guards the pool's own bookkeeping only, never a database operation
  std::condition_variable available_;
  std::vector<Slot> idle_;
  size_t open_ = 0;
  uint64_t generation_ = 0;  // bumped when a connection is found lost
};

}  // namespace kurier::sqldb
