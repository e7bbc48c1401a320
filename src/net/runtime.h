// The process's I/O runtime: one io_context run by N threads, a separate pool for blocking work
// (database calls, password hashing, fsync) and POSIX signal handling. Every protocol connection
// runs as a coroutine on its own strand of this io_context (see net/listener.h).
#pragma once
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <type_traits>

#include "net/asio_fwd.h"

namespace kurier::net {

class Runtime {
 public:
  // threads <= 0 means one per core. blocking_threads sizes the offload() pool.
  explicit Runtime(int threads = 0, int blocking_threads = 4);
  ~Runtime();
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  // Runs the io_context on `threads` threads (the calling thread is one of them) and blocks
  // until stop() is called. Idle periods do not end it.
  void run();
  // Makes run() return; pending handlers are abandoned. Safe from any thread or a signal callback.
  void stop();
  bool stopped() const;

  Executor executor();
  boost::asio::io_context& context();
  int threads() const { return threads_; }

  // SIGTERM and SIGINT call on_shutdown, SIGHUP calls on_reload (both on an I/O thread). Call once
  // before run(); without it the signals keep their default actions.
  void handle_signals(std::function<void()> on_shutdown, std::function<void()> on_reload);

  // Starts a detached coroutine on a new strand; an escaping exception is logged, not rethrown.
  void spawn(awaitable<void> task);

  // Runs f() on the blocking pool and resumes the calling coroutine on its own executor (its
  // strand) with f's result; an exception thrown by f is rethrown in the coroutine.
  template <class F>
  awaitable<std::invoke_result_t<F&>> offload(F f);

 private:
  // Runs work on the pool; resumes on the awaiting coroutine's executor; rethrows work's exception.
  awaitable<void> run_blocking(std::function<void()> work);

  struct Impl;
  std::unique_ptr<Impl> impl_;
  int threads_;
};

template <class F>
awaitable<std::invoke_result_t<F&>> Runtime::offload(F f) {
  using R = std::invoke_result_t<F&>;
  if constexpr (std::is_void_v<R>) {
    co_await run_blocking([&f] { f(); });
  } else {
    // Safe to capture by reference: this coroutine stays suspended until the work is done.
    std::optional<R> result;
    co_await run_blocking([&] { result.emplace(f()); });
    co_return std::move(*result);
  }
}

}  // namespace kurier::net
