// The process's I/O runtime: N io_contexts, each run by exactly one thread, a separate pool for
// blocking work (database calls, password hashing, fsync) and POSIX signal handling. Connections
// are spread round-robin over the contexts (next_context()); each runs as a coroutine on its own
// strand of its context (see net/listener.h).
//
// Why one context per thread rather than one context run by N threads: with a shared context
// every completion goes through one scheduler lock and wakes the other threads through the
// reactor's eventfd; measured on 2 cores that cost a futex storm and ~20% of the server's CPU
// per SMTP message. A connection never moves between threads, so its coroutine, buffers and
// timers stay on one core; work still crosses threads only for offload().
//
// The admin plane: the web admin and its API run on an io_context and a pool of their own, whose
// threads run at a lower CPU priority (nice 10). 200 busy API clients then queue behind each
// other, not in front of a delivery's database call, and the kernel gives the mail threads the
// CPU first; at nice 10 the API still gets about a tenth of a saturated CPU, so it never starves
// (SCHED_IDLE did, under a full mail load).
#pragma once
#include <exception>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <type_traits>

#include "net/asio_fwd.h"

namespace kurier::net {

// The thread pool offload() runs work on.
enum class Pool {
  blocking,  // database calls, fsync, creating files: [server] blocking_threads threads; for a
             // coroutine on the admin plane, the admin plane's own pool instead
  login,     // password checks: one thread per core at SCHED_IDLE, so a storm of (failed) logins
             // waits here instead of holding the blocking threads deliveries need, and yields
             // the CPU to the I/O threads
};

// Which threads serve a listener's connections.
enum class Plane {
  mail,   // the I/O contexts (next_context())
  admin,  // admin_context(): one thread at nice 10
};

class Runtime {
 public:
  // threads <= 0 means one per core. blocking_threads sizes the offload() pool.
  explicit Runtime(int threads = 0, int blocking_threads = 4);
  ~Runtime();
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  // Runs each io_context on its own thread (the calling thread runs the first) and blocks
  // until stop() is called. Idle periods do not end it.
  void run();
  // Called on each mail I/O thread, with its index (0 .. threads()-1), before it runs any
  // handler: the store binds each to a read connection of its own (SqliteMailStore). Set it
  // before run().
  void on_io_thread_start(std::function<void(int)> hook);
  // Makes run() return; pending handlers are abandoned. Safe from any thread or a signal callback.
  void stop();
  bool stopped() const;
  // After run() returns: waits for the work already on the pools to finish. Call it before the
  // services that work uses (stores, directory) are destroyed. Idempotent; the destructor calls it.
  void join_pools();

  Executor executor();                   // of the first context (signals, listeners, the queue)
  boost::asio::io_context& context();    // the first context
  boost::asio::io_context& next_context();  // round-robin over all contexts, for new work
  boost::asio::io_context& admin_context();  // the admin plane's context (see the file comment)
  boost::asio::io_context& context_for(Plane plane) {
    return plane == Plane::admin ? admin_context() : next_context();
  }
  int threads() const { return threads_; }

  // SIGTERM and SIGINT call on_shutdown, SIGHUP calls on_reload (both on an I/O thread). Call once
  // before run(); without it the signals keep their default actions.
  void handle_signals(std::function<void()> on_shutdown, std::function<void()> on_reload);

  // Starts a detached coroutine on a new strand of next_context(); an escaping exception is
  // logged, not rethrown.
  void spawn(awaitable<void> task);

  // Runs f() on a pool (the blocking pool unless told otherwise) and resumes the calling
  // coroutine on its own executor (its strand) with f's result; an exception thrown by f is
  // rethrown in the coroutine.
  template <class F>
  awaitable<std::invoke_result_t<F&>> offload(F f, Pool pool = Pool::blocking);

  // Runs work() on the blocking pool every `interval` until the runtime stops (spawn it). An
  // exception is logged as warning `failure_event` with its text, and work runs again at the
  // next interval.
  awaitable<void> repeat_offloaded(std::chrono::seconds interval, std::function<void()> work,
                                   const char* failure_event);

 private:
  // Runs work on the pool; resumes on the awaiting coroutine's executor; rethrows work's exception.
  awaitable<void> run_blocking(std::function<void()> work, Pool pool);
  // The executor of the pool that runs work for a coroutine resuming on `caller`.
  boost::asio::any_io_executor pool_executor(Pool pool, const boost::asio::any_io_executor& caller);

  struct Impl;
  std::unique_ptr<Impl> impl_;
  int threads_;
};

template <class F>
awaitable<std::invoke_result_t<F&>> Runtime::offload(F f, Pool pool) {
  using R = std::invoke_result_t<F&>;
  if constexpr (std::is_void_v<R>) {
    co_await run_blocking([&f] { f(); }, pool);
  } else {
    // Safe to capture by reference: this coroutine stays suspended until the work is done.
    std::optional<R> result;
    co_await run_blocking([&] { result.emplace(f()); }, pool);
    co_return std::move(*result);
  }
}

}  // namespace kurier::net
