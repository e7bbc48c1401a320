// Runtime implementation (see runtime.h).
#include "net/runtime.h"

#include <pthread.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <optional>
#include <thread>
#include <vector>

#include "common/log.h"
#include "net/asio.h"

namespace kurier::net {
namespace asio = boost::asio;

struct Runtime::Impl {
  using WorkGuard = asio::executor_work_guard<asio::io_context::executor_type>;
  // Concurrency hint 1: each context is run by one thread, which lets asio skip waking others.
  std::vector<std::unique_ptr<asio::io_context>> contexts;
  std::vector<WorkGuard> work;
  std::atomic<size_t> next{0};
  asio::thread_pool blocking;
  // The login pool: a context run by its own threads, which lower their CPU priority first.
  asio::io_context login{1};
  std::optional<WorkGuard> login_work;
  std::vector<std::thread> login_threads;
  std::unique_ptr<asio::signal_set> signals;
  std::function<void()> on_shutdown;
  std::function<void()> on_reload;

  Impl(int threads, int blocking_threads) : blocking(blocking_threads) {
    for (int i = 0; i < threads; ++i) {
      contexts.push_back(std::make_unique<asio::io_context>(1));
      work.emplace_back(contexts.back()->get_executor());
    }
    login_work.emplace(login.get_executor());
    for (unsigned i = 0; i < std::max(1u, std::thread::hardware_concurrency()); ++i)
      login_threads.emplace_back([this] { run_login_thread(); });
  }

  void run_login_thread() {
    // SCHED_IDLE for this thread only: it gets the CPU only when no I/O thread wants it, so a
    // storm of password hashing cannot delay a delivery's RCPT. Lowering one's own policy needs
    // no privilege (it works after serve dropped root); nice 19 where SCHED_IDLE is refused.
    sched_param idle{};
    if (pthread_setschedparam(pthread_self(), SCHED_IDLE, &idle) != 0)
      setpriority(PRIO_PROCESS, id_t(syscall(SYS_gettid)), 19);
    login.run();
  }

  void join_pools() {
    blocking.join();
    login_work.reset();
    for (auto& t : login_threads) t.join();
    login_threads.clear();
  }

  void wait_for_signal() {
    signals->async_wait([this](const boost::system::error_code& ec, int signo) {
      if (ec) return;
      log::info("signal", {{"signal", signo == SIGHUP ? "HUP" : signo == SIGINT ? "INT" : "TERM"}});
      if (signo == SIGHUP) {
        if (on_reload) on_reload();
      } else if (on_shutdown) {
        on_shutdown();
      }
      wait_for_signal();
    });
  }
};

Runtime::Runtime(int threads, int blocking_threads)
    : threads_(threads > 0 ? threads : std::max(1u, std::thread::hardware_concurrency())) {
  impl_ = std::make_unique<Impl>(threads_, std::max(1, blocking_threads));
}

Runtime::~Runtime() {
  stop();
  join_pools();
}

void Runtime::join_pools() { impl_->join_pools(); }

void Runtime::run() {
  std::vector<std::thread> workers;
  for (int i = 1; i < threads_; ++i) workers.emplace_back([this, i] { impl_->contexts[size_t(i)]->run(); });
  impl_->contexts[0]->run();
  for (auto& t : workers) t.join();
}

void Runtime::stop() {
  for (auto& w : impl_->work) w.reset();
  for (auto& c : impl_->contexts) c->stop();
}

bool Runtime::stopped() const { return impl_->contexts[0]->stopped(); }

Executor Runtime::executor() { return impl_->contexts[0]->get_executor(); }

asio::io_context& Runtime::context() { return *impl_->contexts[0]; }

asio::io_context& Runtime::next_context() {
  size_t n = impl_->next.fetch_add(1, std::memory_order_relaxed);
  return *impl_->contexts[n % impl_->contexts.size()];
}

void Runtime::handle_signals(std::function<void()> on_shutdown, std::function<void()> on_reload) {
  impl_->on_shutdown = std::move(on_shutdown);
  impl_->on_reload = std::move(on_reload);
  impl_->signals = std::make_unique<asio::signal_set>(context(), SIGTERM, SIGINT, SIGHUP);
  impl_->wait_for_signal();
}

void Runtime::spawn(awaitable<void> task) {
  asio::co_spawn(asio::make_strand(next_context()), std::move(task), [](std::exception_ptr e) {
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      log::error("task_failed", {{"error", ex.what()}});
    } catch (...) {
      log::error("task_failed", {{"error", "unknown exception"}});
    }
  });
}

awaitable<void> Runtime::run_blocking(std::function<void()> work, Pool pool) {
  asio::any_io_executor target = pool == Pool::login ? asio::any_io_executor(impl_->login.get_executor())
                                                     : asio::any_io_executor(impl_->blocking.get_executor());
  co_await asio::async_initiate<decltype(asio::use_awaitable), void(std::exception_ptr)>(
      [&target, &work](auto handler) {
        asio::post(target, [&work, handler = std::move(handler)]() mutable {
          std::exception_ptr error;
          try {
            work();
          } catch (...) {
            error = std::current_exception();
          }
          // Resume on the coroutine's own executor (its strand), never on the pool thread.
          auto ex = asio::get_associated_executor(handler);
          asio::post(ex, [handler = std::move(handler), error]() mutable { handler(error); });
        });
      },
      asio::use_awaitable);
}

}  // namespace kurier::net
