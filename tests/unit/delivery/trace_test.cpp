// TraceScanner: Received counting and Delivered-To matching over a streamed header section.
#include "delivery/trace.h"

#include <gtest/gtest.h>

#include <string>

namespace kurier::delivery {
namespace {

std::string received(size_t n) {
  std::string s;
  for (size_t i = 0; i < n; ++i) s += "Received: from a.example\r\n\tby b.example; Fri, 27 Nov 2026 01:00:00 +0000\r\n";
  return s;
}

TraceScanner scan(const std::string& message, size_t chunk = 3) {
  TraceScanner t;
  for (size_t i = 0; i < message.size(); i += chunk) t.feed(std::string_view(message).substr(i, chunk));
  return t;
}

TEST(TraceScanner, CountsReceivedFieldsOfTheHeaderSectionOnly) {
  auto t = scan(received(50) + "Subject: x\r\n\r\n" + received(5));
  EXPECT_TRUE(t.header_done());
  EXPECT_EQ(t.received_fields(), 50u);
  EXPECT_FALSE(t.too_many_hops());
  EXPECT_TRUE(scan(received(51) + "\r\nbody\r\n").too_many_hops());
  EXPECT_EQ(scan("X-Received: a\r\nReceived-SPF: pass\r\nreceived : b\r\n\r\n").received_fields(), 1u);
}

TEST(TraceScanner, MatchesDeliveredToWithoutCaseOrBrackets) {
  auto t = scan("Delivered-To: Alice@Example.TEST\r\nDELIVERED-TO:\r\n <fwd@example.test>\r\nSubject: x\r\n\r\n"
                "Delivered-To: body@example.test\r\n");
  EXPECT_TRUE(t.delivered_to("alice@example.test"));
  EXPECT_TRUE(t.delivered_to("FWD@example.test"));
  EXPECT_FALSE(t.delivered_to("body@example.test"));  // in the body: not a header
  EXPECT_FALSE(t.delivered_to("bob@example.test"));
  EXPECT_TRUE(scan("Delivered-To: a@b\n\n", 1).delivered_to("a@b"));  // bare LF lines too
}

}  // namespace
}  // namespace kurier::delivery
