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
#include <string>
#include <thread>
#include <vector>

#include "common/log.h"
#include "net/asio.h"

namespace kurier::net {
namespace asio = boost::asio;

namespace {

enum class Priority { idle, low };

// Lowers the calling thread's CPU priority. Lowering one's own needs no privilege, so it works
// after serve dropped root.
void lower_own_priority(Priority priority) {
  auto tid = id_t(syscall(SYS_gettid));
  if (priority == Priority::low) {  // nice 10 above the process's own
    setpriority(PRIO_PROCESS, tid, std::min(19, getpriority(PRIO_PROCESS, tid) + 10));
    return;
  }
  // SCHED_IDLE: the thread gets the CPU only when no other thread wants it, so a storm of
  // password hashing cannot delay a delivery's RCPT. nice 19 where SCHED_IDLE is refused.
  sched_param idle{};
  if (pthread_setschedparam(pthread_self(), SCHED_IDLE, &idle) != 0) setpriority(PRIO_PROCESS, tid, 19);
}

// An io_context run by its own threads, which lower their priority before they run anything.
struct PriorityPool {
  using WorkGuard = asio::executor_work_guard<asio::io_context::executor_type>;
  asio::io_context context;
  std::optional<WorkGuard> work;
  std::vector<std::thread> threads;

  PriorityPool(unsigned n, Priority priority) : context(int(n)) {
    work.emplace(context.get_executor());
    for (unsigned i = 0; i < n; ++i)
      threads.emplace_back([this, priority] {
        lower_own_priority(priority);
        context.run();
      });
  }
  ~PriorityPool() { join(); }
  // Lets the threads finish the work already queued, then joins them. Idempotent.
  void join() {
    work.reset();
    for (auto& t : threads) t.join();
    threads.clear();
  }
};

}  // namespace

struct Runtime::Impl {
  using WorkGuard = asio::executor_work_guard<asio::io_context::executor_type>;
  // Declared before the I/O contexts, so destroyed after them: a listener on the first context
  // may hold a pending accept whose socket belongs to the admin context.
  PriorityPool admin_io{1, Priority::low};
  // Concurrency hint 1: each context is run by one thread, which lets asio skip waking others.
  std::vector<std::unique_ptr<asio::io_context>> contexts;
  std::vector<WorkGuard> work;
  std::atomic<size_t> next{0};
  asio::thread_pool blocking;
  // The login pool: SCHED_IDLE threads (see Pool::login).
  PriorityPool login{std::max(1u, std::thread::hardware_concurrency()), Priority::idle};
  // The admin plane's blocking pool (its I/O thread is admin_io above), at nice 10.
  PriorityPool admin_blocking{2, Priority::low};
  std::unique_ptr<asio::signal_set> signals;
  std::function<void()> on_shutdown;
  std::function<void()> on_reload;
  std::function<void(int)> on_io_thread_start;

  // Names the thread (for top -H, perf and gdb; the first one is the process's main thread and
  // keeps the process's name, which pidof and killall see) and runs the start hook, then the
  // context.
  void run_io_thread(int index) {
    if (index > 0) pthread_setname_np(pthread_self(), ("kurier-io" + std::to_string(index)).c_str());
    if (on_io_thread_start) on_io_thread_start(index);
    contexts[size_t(index)]->run();
  }

  Impl(int threads, int blocking_threads) : blocking(blocking_threads) {
    for (int i = 0; i < threads; ++i) {
      contexts.push_back(std::make_unique<asio::io_context>(1));
      work.emplace_back(contexts.back()->get_executor());
    }
  }

  void join_pools() {
    // The admin plane's connections first: they may still offload to the pools below.
    admin_io.join();
    blocking.join();
    login.join();
    admin_blocking.join();
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
  for (int i = 1; i < threads_; ++i) workers.emplace_back([this, i] { impl_->run_io_thread(i); });
  impl_->run_io_thread(0);
  for (auto& t : workers) t.join();
}

void Runtime::on_io_thread_start(std::function<void(int)> hook) { impl_->on_io_thread_start = std::move(hook); }

void Runtime::stop() {
  for (auto& w : impl_->work) w.reset();
  for (auto& c : impl_->contexts) c->stop();
  impl_->admin_io.context.stop();  // its connections are abandoned like the mail contexts' ones
}

bool Runtime::stopped() const { return impl_->contexts[0]->stopped(); }

Executor Runtime::executor() { return impl_->contexts[0]->get_executor(); }

asio::io_context& Runtime::context() { return *impl_->contexts[0]; }

asio::io_context& Runtime::admin_context() { return impl_->admin_io.context; }

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

awaitable<void> Runtime::repeat_offloaded(std::chrono::seconds interval, std::function<void()> work,
                                          const char* failure_event) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  while (!stopped()) {
    timer.expires_after(interval);
    boost::system::error_code ec;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (ec || stopped()) break;
    try {
      co_await offload(work);
    } catch (const std::exception& e) {
      log::warn(failure_event, {{"error", e.what()}});
    }
  }
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
  co_await asio::async_initiate<decltype(asio::use_awaitable), void(std::exception_ptr)>(
      [this, pool, &work](auto handler) {
        // Resume on the coroutine's own executor (its strand), never on the pool thread.
        auto resume = asio::get_associated_executor(handler);
        asio::post(pool_executor(pool, resume), [&work, resume, handler = std::move(handler)]() mutable {
          std::exception_ptr error;
          try {
            work();
          } catch (...) {
            error = std::current_exception();
          }
          asio::post(resume, [handler = std::move(handler), error]() mutable { handler(error); });
        });
      },
      asio::use_awaitable);
}

asio::any_io_executor Runtime::pool_executor(Pool pool, const asio::any_io_executor& caller) {
  if (pool == Pool::login) return impl_->login.context.get_executor();
  // The admin plane's blocking work queues in its own pool, never in front of a delivery's.
  if (&asio::query(caller, asio::execution::context) == &impl_->admin_io.context)
    return impl_->admin_blocking.context.get_executor();
  return impl_->blocking.get_executor();
}

}  // namespace kurier::net
