#include "common/metrics.h"

#include <fmt/format.h>
#include <malloc.h>
#include <sqlite3.h>

#include <array>
#include <atomic>
#include <map>
#include <mutex>

namespace kurier::metrics {
namespace {

constexpr int kHours = 48;
// Delivery latency bucket bounds in seconds (le=), then +Inf.
constexpr std::array<double, 10> kLatencyBounds{0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 30, 300, 3600};

struct HourSlot {
  std::atomic<int64_t> hour{0};
  std::atomic<uint64_t> received{0}, sent{0}, bounced{0};
};

struct State {
  std::mutex mutex;
  std::map<std::string, uint64_t> connections_total;   // service
  std::map<std::string, int64_t> connections_open;     // service
  std::map<std::pair<std::string, bool>, uint64_t> logins;  // protocol, ok
  std::array<std::atomic<uint64_t>, 5> messages{};
  std::array<std::atomic<uint64_t>, kLatencyBounds.size() + 1> latency_buckets{};
  std::atomic<uint64_t> latency_count{0};
  std::mutex latency_mutex;
  double latency_sum = 0;
  std::array<HourSlot, kHours> hours;
  std::mutex hours_mutex;
};

State& state() {
  static State s;
  return s;
}

HourSlot& slot_for(std::time_t now) {
  int64_t hour = int64_t(now) / 3600;
  auto& slot = state().hours[size_t(hour % kHours)];
  if (slot.hour.load(std::memory_order_acquire) != hour) {
    std::lock_guard lock(state().hours_mutex);
    if (slot.hour.load() != hour) {
      slot.received = 0;
      slot.sent = 0;
      slot.bounced = 0;
      slot.hour.store(hour, std::memory_order_release);
    }
  }
  return slot;
}

const char* message_name(size_t i) {
  static const char* names[] = {"received", "delivered", "relayed", "bounced", "sent"};
  return names[i];
}

std::string format_value(double v) {
  if (v == double(int64_t(v))) return std::to_string(int64_t(v));
  return fmt::format("{}", v);
}

// The process's heap as glibc's malloc sees it (all arenas): what is in use, and what is free but
// kept for reuse (the server hands that back each minute, see server.cpp); and the part of the
// in-use heap that is SQLite's (page caches and statements of every connection, bounded by their
// cache_size). bench/soak.sh tells a leak from warming caches with them.
std::string render_memory() {
  struct mallinfo2 heap = mallinfo2();
  std::string out;
  out += "# HELP kurier_memory_heap_in_use_bytes Heap memory allocated and in use.\n"
         "# TYPE kurier_memory_heap_in_use_bytes gauge\n";
  out += fmt::format("kurier_memory_heap_in_use_bytes {}\n", heap.uordblks + heap.hblkhd);
  out += "# HELP kurier_memory_heap_free_bytes Heap memory freed but kept by the allocator.\n"
         "# TYPE kurier_memory_heap_free_bytes gauge\n";
  out += fmt::format("kurier_memory_heap_free_bytes {}\n", heap.fordblks);
  out += "# HELP kurier_memory_sqlite_bytes Heap memory in use by SQLite (all connections).\n"
         "# TYPE kurier_memory_sqlite_bytes gauge\n";
  out += fmt::format("kurier_memory_sqlite_bytes {}\n", sqlite3_memory_used());
  return out;
}

}  // namespace

void connection_opened(std::string_view service) {
  std::lock_guard lock(state().mutex);
  ++state().connections_total[std::string(service)];
  ++state().connections_open[std::string(service)];
}

void connection_closed(std::string_view service) {
  std::lock_guard lock(state().mutex);
  --state().connections_open[std::string(service)];
}

void login(std::string_view protocol, bool ok) {
  std::lock_guard lock(state().mutex);
  ++state().logins[{std::string(protocol), ok}];
}

void message(Message what, uint64_t n) {
  state().messages[size_t(what)] += n;
  auto& slot = slot_for(std::time(nullptr));
  if (what == Message::received) slot.received += n;
  if (what == Message::sent) slot.sent += n;
  if (what == Message::bounced) slot.bounced += n;
}

void delivery_latency(double seconds) {
  size_t i = 0;
  while (i < kLatencyBounds.size() && seconds > kLatencyBounds[i]) ++i;
  ++state().latency_buckets[i];
  ++state().latency_count;
  std::lock_guard lock(state().latency_mutex);
  state().latency_sum += seconds;
}

std::vector<HourCounts> hourly(std::time_t now, int hours) {
  hours = std::min(hours, kHours);
  std::vector<HourCounts> out;
  int64_t current = int64_t(now) / 3600;
  for (int64_t h = current - hours + 1; h <= current; ++h) {
    HourCounts c;
    c.hour_start = h * 3600;
    auto& slot = state().hours[size_t(h % kHours)];
    if (slot.hour.load() == h) {
      c.received = slot.received;
      c.sent = slot.sent;
      c.bounced = slot.bounced;
    }
    out.push_back(c);
  }
  return out;
}

std::string render_prometheus(const std::vector<Gauge>& gauges) {
  auto& s = state();
  std::string out;
  {
    std::lock_guard lock(s.mutex);
    out += "# HELP kurier_connections_total Connections accepted per service.\n# TYPE kurier_connections_total counter\n";
    for (const auto& [svc, n] : s.connections_total) out += fmt::format("kurier_connections_total{{service=\"{}\"}} {}\n", svc, n);
    out += "# HELP kurier_connections_open Connections open per service.\n# TYPE kurier_connections_open gauge\n";
    for (const auto& [svc, n] : s.connections_open) out += fmt::format("kurier_connections_open{{service=\"{}\"}} {}\n", svc, n);
    out += "# HELP kurier_logins_total Password logins per protocol and outcome.\n# TYPE kurier_logins_total counter\n";
    for (const auto& [key, n] : s.logins)
      out += fmt::format("kurier_logins_total{{protocol=\"{}\",result=\"{}\"}} {}\n", key.first, key.second ? "ok" : "failed", n);
  }
  out += "# HELP kurier_messages_total Messages received, delivered locally, relayed, bounced and sent to other servers.\n"
         "# TYPE kurier_messages_total counter\n";
  for (size_t i = 0; i < s.messages.size(); ++i)
    out += fmt::format("kurier_messages_total{{kind=\"{}\"}} {}\n", message_name(i), s.messages[i].load());
  out += "# HELP kurier_delivery_latency_seconds Time from arrival to final delivery.\n"
         "# TYPE kurier_delivery_latency_seconds histogram\n";
  uint64_t cumulative = 0;
  for (size_t i = 0; i < kLatencyBounds.size(); ++i) {
    cumulative += s.latency_buckets[i];
    out += fmt::format("kurier_delivery_latency_seconds_bucket{{le=\"{}\"}} {}\n", format_value(kLatencyBounds[i]), cumulative);
  }
  cumulative += s.latency_buckets.back();
  out += fmt::format("kurier_delivery_latency_seconds_bucket{{le=\"+Inf\"}} {}\n", cumulative);
  {
    std::lock_guard lock(s.latency_mutex);
    out += fmt::format("kurier_delivery_latency_seconds_sum {}\n", format_value(s.latency_sum));
  }
  out += fmt::format("kurier_delivery_latency_seconds_count {}\n", s.latency_count.load());
  out += render_memory();
  for (const auto& g : gauges) {
    out += fmt::format("# HELP {} {}\n# TYPE {} gauge\n", g.name, g.help, g.name);
    for (const auto& [labels, v] : g.samples)
      out += labels.empty() ? fmt::format("{} {}\n", g.name, format_value(v))
                            : fmt::format("{}{{{}}} {}\n", g.name, labels, format_value(v));
  }
  return out;
}

void reset_for_tests() {
  auto& s = state();
  {
    std::lock_guard lock(s.mutex);
    s.connections_total.clear();
    s.connections_open.clear();
    s.logins.clear();
  }
  for (auto& m : s.messages) m = 0;
  for (auto& b : s.latency_buckets) b = 0;
  s.latency_count = 0;
  std::lock_guard lock(s.latency_mutex);
  s.latency_sum = 0;
  for (auto& h : s.hours) h.hour = 0;
}

}  // namespace kurier::metrics
