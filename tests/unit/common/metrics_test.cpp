#include "common/metrics.h"

#include <gtest/gtest.h>

namespace kurier::metrics {
namespace {

TEST(Metrics, RendersCountersAndHistogram) {
  reset_for_tests();
  connection_opened("imap");
  connection_opened("imap");
  connection_closed("imap");
  login("imap", true);
  login("imap", false);
  login("imap", false);
  message(Message::received, 3);
  delivery_latency(0.2);
  delivery_latency(100);
  auto text = render_prometheus({{"kurier_queue_messages", "Messages in the queue.", {{"", 7}}}});
  EXPECT_NE(text.find("kurier_connections_total{service=\"imap\"} 2\n"), std::string::npos) << text;
  EXPECT_NE(text.find("kurier_connections_open{service=\"imap\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("kurier_logins_total{protocol=\"imap\",result=\"failed\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("kurier_messages_total{kind=\"received\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("kurier_delivery_latency_seconds_bucket{le=\"0.25\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("kurier_delivery_latency_seconds_bucket{le=\"+Inf\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("kurier_delivery_latency_seconds_count 2\n"), std::string::npos);
  EXPECT_NE(text.find("kurier_queue_messages 7\n"), std::string::npos);
}

TEST(Metrics, HourlyCountsEndWithTheCurrentHour) {
  reset_for_tests();
  message(Message::sent);
  message(Message::bounced, 2);
  auto hours = hourly(std::time(nullptr), 48);
  ASSERT_EQ(hours.size(), 48u);
  EXPECT_EQ(hours.back().sent, 1u);
  EXPECT_EQ(hours.back().bounced, 2u);
  EXPECT_EQ(hours.front().sent, 0u);
  EXPECT_EQ(hours.back().hour_start % 3600, 0);
  EXPECT_EQ(hours.back().hour_start - hours.front().hour_start, 47 * 3600);
}

}  // namespace
}  // namespace kurier::metrics
