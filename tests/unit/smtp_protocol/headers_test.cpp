#include "smtp_protocol/headers.h"

#include <gtest/gtest.h>

#include <string>

namespace kurier::smtp {
namespace {

using std::chrono::seconds;
using std::chrono::system_clock;

system_clock::time_point at(int64_t unix_seconds) { return system_clock::time_point(seconds(unix_seconds)); }

TEST(Rfc5322Date, Formats) {
  EXPECT_EQ(format_rfc5322_date(at(0)), "Thu, 1 Jan 1970 00:00:00 +0000");
  EXPECT_EQ(format_rfc5322_date(at(1795740571)), "Fri, 27 Nov 2026 00:49:31 +0000");
  EXPECT_EQ(format_rfc5322_date(at(1795740571), 60), "Fri, 27 Nov 2026 01:49:31 +0100");
  EXPECT_EQ(format_rfc5322_date(at(1795740571), -330), "Thu, 26 Nov 2026 19:19:31 -0530");
  EXPECT_EQ(format_rfc5322_date(at(951782400)), "Tue, 29 Feb 2000 00:00:00 +0000");
  EXPECT_EQ(format_rfc5322_date(at(-1)), "Wed, 31 Dec 1969 23:59:59 +0000");
}

TEST(Received, ProtocolNames) {
  EXPECT_EQ(received_protocol(false, false, false, false), "SMTP");
  EXPECT_EQ(received_protocol(false, true, false, false), "ESMTP");
  EXPECT_EQ(received_protocol(false, true, true, false), "ESMTPS");
  EXPECT_EQ(received_protocol(false, true, false, true), "ESMTPA");
  EXPECT_EQ(received_protocol(false, true, true, true), "ESMTPSA");
  EXPECT_EQ(received_protocol(true, false, false, false), "LMTP");
  EXPECT_EQ(received_protocol(true, true, true, false), "LMTPS");
  EXPECT_EQ(received_protocol(true, true, true, true), "LMTPSA");
  EXPECT_EQ(received_protocol(false, true, false, false, true), "UTF8SMTP");
  EXPECT_EQ(received_protocol(false, true, true, true, true), "UTF8SMTPSA");
  EXPECT_EQ(received_protocol(true, true, true, false, true), "UTF8LMTPS");
}

ReceivedInfo sample() {
  ReceivedInfo info;
  info.helo = "client.example";
  info.reverse_dns = "mail.client.example";
  info.ip = "192.0.2.7";
  info.by_host = "mx.kurier.example";
  info.id = "4XyZ12";
  info.time = at(1795740571);
  return info;
}

TEST(Received, FullFormat) {
  ReceivedInfo info = sample();
  info.tls = true;
  info.tls_details = "using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384";
  info.recipient = "user@kurier.example";
  EXPECT_EQ(build_received(info),
            "Received: from client.example (mail.client.example [192.0.2.7])\r\n"
            "\t(using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384)\r\n"
            "\tby mx.kurier.example with ESMTPS id 4XyZ12\r\n"
            "\tfor <user@kurier.example>; Fri, 27 Nov 2026 00:49:31 +0000\r\n");
}

TEST(Received, UnknownReverseDnsIpv6AndNoRecipient) {
  ReceivedInfo info = sample();
  info.reverse_dns.clear();
  info.ip = "2001:db8::7";
  info.lmtp = true;
  EXPECT_EQ(build_received(info),
            "Received: from client.example (unknown [IPv6:2001:db8::7])\r\n"
            "\tby mx.kurier.example with LMTP id 4XyZ12; Fri, 27 Nov 2026 00:49:31 +0000\r\n");
}

TEST(Received, Utf8RecipientOnlyWithSmtputf8) {
  ReceivedInfo info = sample();
  info.recipient = "J\xC3\xB6rg@example.com";
  EXPECT_NE(build_received(info).find("for <J??rg@example.com>"), std::string::npos);
  info.smtputf8 = true;
  std::string field = build_received(info);
  EXPECT_NE(field.find("for <J\xC3\xB6rg@example.com>"), std::string::npos);
  EXPECT_NE(field.find("with UTF8SMTP id"), std::string::npos);
}

TEST(Received, HostileHeloIsNeutralised) {
  ReceivedInfo info = sample();
  info.helo = "evil (by trusted.example) [10.0.0.1]\r\nX-Injected: 1";
  std::string field = build_received(info);
  EXPECT_EQ(field.find("(by"), std::string::npos);
  EXPECT_EQ(field.find("X-Injected: 1\r\n"), std::string::npos);
  EXPECT_EQ(field.rfind("Received: from evil??by?trusted.example???10.0.0.1???X-Injected:?1 (", 0), 0u);
  info.helo = "[192.0.2.7]";
  EXPECT_EQ(build_received(info).rfind("Received: from [192.0.2.7] (mail.client.example [192.0.2.7])", 0), 0u);
  info.helo = "";
  EXPECT_EQ(build_received(info).rfind("Received: from unknown (", 0), 0u);
  info.helo = std::string(1000, 'h');
  EXPECT_LT(build_received(info).find("\r\n"), 320u);
}

// ---------------------------------------------------------------- header scanning

TEST(HeaderScanner, FindsFieldsAndEnd) {
  std::string msg =
      "Received: from x\r\n\tby y; Fri, 27 Nov 2026 00:49:31 +0000\r\n"
      "from: \"Doe, John\" <john@example.com>\r\n"
      "Date: Fri, 27 Nov 2026 00:49:31 +0000\r\n"
      "Message-Id: <1@example.com>\r\n"
      "\r\n"
      "Body From: nobody@example.com\r\n";
  HeaderSummary s = scan_headers(msg);
  EXPECT_TRUE(s.complete);
  EXPECT_FALSE(s.too_large);
  EXPECT_FALSE(s.malformed);
  EXPECT_EQ(s.header_bytes, msg.find("\r\n\r\n") + 4);
  EXPECT_TRUE(s.has_message_id);
  EXPECT_TRUE(s.has_date);
  EXPECT_TRUE(s.has_from);
  EXPECT_EQ(s.from_fields, 1u);
  ASSERT_EQ(s.from_addresses.size(), 1u);
  EXPECT_EQ(s.from_addresses[0], "john@example.com");
}

TEST(HeaderScanner, MissingFieldsAndLfOnly) {
  HeaderSummary s = scan_headers("Subject: x\n\nbody\n");
  EXPECT_TRUE(s.complete);
  EXPECT_EQ(s.header_bytes, 12u);
  EXPECT_FALSE(s.has_from);
  EXPECT_FALSE(s.has_date);
  EXPECT_FALSE(s.has_message_id);
}

TEST(HeaderScanner, OnlyHeadersWithoutEmptyLine) {
  HeaderSummary s = scan_headers("From: a@b.example\r\nSubject: x");
  EXPECT_TRUE(s.complete);
  EXPECT_EQ(s.header_bytes, 29u);
  ASSERT_EQ(s.from_addresses.size(), 1u);
  EXPECT_EQ(s.from_addresses[0], "a@b.example");
}

TEST(HeaderScanner, FoldedFromAndSeveralAddresses) {
  HeaderSummary s = scan_headers(
      "From: Alice <alice@a.example>,\r\n bob@b.example (Bob, the builder),\r\n"
      "\t\"Carol <x>\" <carol@c.example>, team: dan@d.example, eve@e.example;\r\n"
      "From: second@f.example\r\n\r\n");
  EXPECT_EQ(s.from_fields, 2u);
  std::vector<std::string> expected{"alice@a.example", "bob@b.example", "carol@c.example", "dan@d.example",
                                    "eve@e.example", "second@f.example"};
  EXPECT_EQ(s.from_addresses, expected);
}

TEST(HeaderScanner, ChunkedFeedReportsHeaderBytes) {
  std::string msg = "From: a@b.example\r\nDate: x\r\n\r\nbody\r\n";
  for (size_t n = 1; n <= msg.size(); ++n) {
    HeaderScanner scanner;
    size_t used = 0;
    for (size_t pos = 0; pos < msg.size(); pos += n) used += scanner.feed(std::string_view(msg).substr(pos, n));
    EXPECT_TRUE(scanner.done());
    EXPECT_EQ(used, 30u) << "chunk size " << n;
    EXPECT_EQ(scanner.summary().header_bytes, 30u);
    EXPECT_TRUE(scanner.summary().has_date);
    EXPECT_EQ(scanner.summary().from_addresses.size(), 1u);
  }
}

TEST(HeaderScanner, NonHeaderLineEndsTheHeader) {
  HeaderSummary s = scan_headers("From: a@b.example\r\nthis is body\r\nDate: x\r\n");
  EXPECT_TRUE(s.complete);
  EXPECT_TRUE(s.malformed);
  EXPECT_EQ(s.header_bytes, 19u);
  EXPECT_FALSE(s.has_date);
}

TEST(HeaderScanner, SizeBound) {
  std::string msg = "Subject: " + std::string(2000, 'x') + "\r\nFrom: a@b.example\r\n\r\n";
  HeaderSummary s = scan_headers(msg, 1000);
  EXPECT_TRUE(s.too_large);
  EXPECT_FALSE(s.complete);
  EXPECT_FALSE(s.has_from);
  HeaderSummary fits = scan_headers(msg, msg.size());
  EXPECT_FALSE(fits.too_large);
  EXPECT_TRUE(fits.has_from);
}

TEST(ExtractAddresses, Forms) {
  EXPECT_EQ(extract_addresses(" a@b.example "), std::vector<std::string>{"a@b.example"});
  EXPECT_EQ(extract_addresses("\"q\\\"uote\" <x@y.example>"), std::vector<std::string>{"x@y.example"});
  EXPECT_EQ(extract_addresses("<@route.example:x@y.example>"), std::vector<std::string>{"x@y.example"});
  EXPECT_EQ(extract_addresses("x@y.example (comment (nested) here)"), std::vector<std::string>{"x@y.example"});
  EXPECT_EQ(extract_addresses("\"a b\"@y.example"), std::vector<std::string>{"\"a b\"@y.example"});
  EXPECT_EQ(extract_addresses("undisclosed-recipients:;"), std::vector<std::string>{});
  EXPECT_EQ(extract_addresses(""), std::vector<std::string>{});
  EXPECT_EQ(extract_addresses("a@x, b@x, c@x", 2).size(), 2u);
}

}  // namespace
}  // namespace kurier::smtp
