// Runtime: offload() to the blocking pool, resumption on the caller's strand, exceptions,
// signal callbacks, the admin plane's own lower-priority threads.
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <csignal>

#include "net_test_support.h"

namespace kurier::net::test {
namespace {

struct OffloadReport {
  bool on_strand_after = false;
  bool ran_on_other_thread = false;
  int value = 0;
  std::string error;
  bool void_ran = false;
};

awaitable<void> offload_checks(Runtime& rt, asio::strand<asio::io_context::executor_type> strand,
                               OffloadReport& report, std::promise<void>& done) {
  const auto io_thread = std::this_thread::get_id();
  report.value = co_await rt.offload([&] {
    report.ran_on_other_thread = std::this_thread::get_id() != io_thread;
    std::this_thread::sleep_for(20ms);
    return 42;
  });
  report.on_strand_after = strand.running_in_this_thread();
  try {
    co_await rt.offload([]() -> std::string { throw std::runtime_error("disk on fire"); });
  } catch (const std::runtime_error& e) {
    report.error = e.what();
  }
  co_await rt.offload([&] { report.void_ran = true; });
  report.on_strand_after = report.on_strand_after && strand.running_in_this_thread();
  done.set_value();
}

TEST(Runtime, OffloadResumesOnTheStrandAndPropagatesExceptions) {
  Runtime rt(2, 2);
  std::thread runner([&] { rt.run(); });
  auto strand = asio::make_strand(rt.context());
  OffloadReport report;
  std::promise<void> done;
  asio::co_spawn(strand, offload_checks(rt, strand, report, done), asio::detached);
  ASSERT_EQ(done.get_future().wait_for(5s), std::future_status::ready);
  rt.stop();
  runner.join();
  EXPECT_EQ(report.value, 42);
  EXPECT_TRUE(report.ran_on_other_thread);
  EXPECT_TRUE(report.on_strand_after);
  EXPECT_EQ(report.error, "disk on fire");
  EXPECT_TRUE(report.void_ran);
}

TEST(Runtime, OffloadDoesNotBlockTheIoThreads) {
  Runtime rt(1, 2);  // a single I/O thread
  std::thread runner([&] { rt.run(); });
  std::atomic<bool> release{false};
  std::promise<void> slow_done, fast_done;
  auto slow = [&]() -> awaitable<void> {
    co_await rt.offload([&] { while (!release) std::this_thread::sleep_for(1ms); });
    slow_done.set_value();
  };
  auto fast = [&]() -> awaitable<void> {
    fast_done.set_value();
    co_return;
  };
  rt.spawn(slow());
  rt.spawn(fast());
  EXPECT_EQ(fast_done.get_future().wait_for(2s), std::future_status::ready);
  release = true;
  EXPECT_EQ(slow_done.get_future().wait_for(2s), std::future_status::ready);
  rt.stop();
  runner.join();
}

int own_nice() { return getpriority(PRIO_PROCESS, id_t(syscall(SYS_gettid))); }

struct PlaneReport {
  int io_nice = -100;
  int pool_nice = -100;
  bool pool_is_other_thread = false;
  bool back_on_strand = false;
};

// A coroutine on the admin context: it runs at nice 10, and its offload() goes to the admin
// plane's pool (also nice 10), not to the blocking pool the mail sessions use (nice 0).
awaitable<void> admin_plane_checks(Runtime& rt, asio::strand<asio::io_context::executor_type> strand,
                                   PlaneReport& report, std::promise<void>& done) {
  report.io_nice = own_nice();
  const auto io_thread = std::this_thread::get_id();
  co_await rt.offload([&] {
    report.pool_nice = own_nice();
    report.pool_is_other_thread = std::this_thread::get_id() != io_thread;
  });
  report.back_on_strand = strand.running_in_this_thread();
  done.set_value();
}

TEST(Runtime, TheAdminPlaneRunsOnItsOwnLowPriorityThreads) {
  Runtime rt(1, 1);
  std::thread runner([&] { rt.run(); });
  // The mail side for comparison: the blocking pool keeps the process's priority.
  int mail_pool_nice = -100;
  std::promise<void> mail_done;
  auto mail = [&]() -> awaitable<void> {
    co_await rt.offload([&] { mail_pool_nice = own_nice(); });
    mail_done.set_value();
  };
  rt.spawn(mail());
  ASSERT_EQ(mail_done.get_future().wait_for(5s), std::future_status::ready);

  auto strand = asio::make_strand(rt.admin_context());
  PlaneReport report;
  std::promise<void> done;
  asio::co_spawn(strand, admin_plane_checks(rt, strand, report, done), asio::detached);
  ASSERT_EQ(done.get_future().wait_for(5s), std::future_status::ready);
  rt.stop();
  runner.join();
  const int base = getpriority(PRIO_PROCESS, 0);
  EXPECT_EQ(mail_pool_nice, base);
  EXPECT_EQ(report.io_nice, std::min(19, base + 10));
  EXPECT_EQ(report.pool_nice, std::min(19, base + 10));
  EXPECT_TRUE(report.pool_is_other_thread);
  EXPECT_TRUE(report.back_on_strand);
}

TEST(Runtime, SignalsCallShutdownAndReload) {
  Runtime rt(1, 1);
  std::atomic<int> reloads{0};
  std::atomic<int> shutdowns{0};
  rt.handle_signals([&] { ++shutdowns; rt.stop(); }, [&] { ++reloads; });
  std::thread runner([&] { rt.run(); });
  std::raise(SIGHUP);
  const auto deadline = std::chrono::steady_clock::now() + 2s;
  while (reloads == 0 && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(5ms);
  EXPECT_EQ(reloads, 1);
  std::raise(SIGTERM);
  runner.join();  // run() returns because the shutdown callback stopped the runtime
  EXPECT_EQ(shutdowns, 1);
}

}  // namespace
}  // namespace kurier::net::test
