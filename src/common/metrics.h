// Process-wide counters for /metrics (Prometheus text format 0.0.4) and the dashboard: per-
// protocol connections, logins ok/failed, messages received/delivered/relayed/bounced, the
// delivery latency histogram, and per-hour counts of received/sent/bounced messages for the last
// 48 hours. Counting is cheap (atomics; a mutex only for labelled counters) and thread-safe, so
// every layer may count without knowing who reads.
#pragma once
#include <cstdint>
#include <ctime>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kurier::metrics {

enum class Message { received, delivered, relayed, bounced, sent };

void connection_opened(std::string_view service);
void connection_closed(std::string_view service);
void login(std::string_view protocol, bool ok);
void message(Message what, uint64_t n = 1);
// Seconds from arrival to final delivery (local store or remote acceptance).
void delivery_latency(double seconds);

struct HourCounts {
  int64_t hour_start = 0;  // Unix time, a multiple of 3600
  uint64_t received = 0, sent = 0, bounced = 0;
};
// The last `hours` hours, oldest first, ending with the current hour.
std::vector<HourCounts> hourly(std::time_t now, int hours = 48);

// Gauges the caller measures at scrape time (queue size, store size, ...).
struct Gauge {
  std::string name;  // "kurier_queue_messages"
  std::string help;
  std::vector<std::pair<std::string, double>> samples;  // labels text ("domain=\"x\"") -> value
};
// Everything counted so far plus the gauges, in Prometheus text exposition format.
std::string render_prometheus(const std::vector<Gauge>& gauges);

// For tests: forget every count.
void reset_for_tests();

}  // namespace kurier::metrics
