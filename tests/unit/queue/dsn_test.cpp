// DSN composition, checked in C++ and by parsing the result with Python's email package.
#include "queue/dsn.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

namespace kurier::queue {
namespace {

const std::string kOriginal =
    "From: alice@example.org\r\nTo: bob@remote.test\r\nSubject: Quarterly report\r\n"
    "Message-ID: <m1@example.org>\r\n\r\nHello Bob,\r\n.leading dot\r\n";

DsnReport failure_report() {
  DsnReport r;
  r.kind = NoticeKind::failure;
  r.reporting_mta = "mail.example.org";
  r.queue_id = "0123456789AB";
  r.envid = "env+2B1";
  r.original_sender = "alice@example.org";
  r.arrival = 1700000000;
  r.now = 1700000100;
  r.recipients.push_back({"bob@remote.test", "rfc822;bob+2Bx@remote.test", "failed", "5.1.1", "mx.remote.test",
                          "smtp; 550 5.1.1 <bob@remote.test>: Recipient address rejected: User unknown in virtual mailbox table",
                          1700000100});
  r.recipients.push_back({"carol@remote.test", "", "relayed", "2.0.0", "mx.remote.test", "smtp; 250 2.0.0 Ok", 1700000100});
  return r;
}

std::string compose(const DsnReport& r, const std::string& original = kOriginal) {
  std::string out;
  write_dsn(r, [&](std::string_view s) { out.append(s); }, [&](const ByteSink& sink) {
    for (size_t i = 0; i < original.size(); i += 7) sink(std::string_view(original).substr(i, 7));
  });
  return out;
}

nlohmann::json parse_with_python(const std::string& message) {
  std::string dir = "/tmp/kurier-dsn-XXXXXX";
  if (!mkdtemp(dir.data())) throw std::runtime_error("mkdtemp");
  std::ofstream(dir + "/dsn.eml", std::ios::binary) << message;
  std::string cmd = "/usr/bin/python3 " KURIER_TEST_DATA "/queue/parse_dsn.py " + dir + "/dsn.eml > " + dir + "/out.json";
  EXPECT_EQ(std::system(cmd.c_str()), 0);
  std::ifstream in(dir + "/out.json");
  nlohmann::json j = nlohmann::json::parse(in);
  std::filesystem::remove_all(dir);
  return j;
}

TEST(Dsn, FailureReportParsesAsMultipartReport) {
  std::string dsn = compose(failure_report());
  auto j = parse_with_python(dsn);
  EXPECT_TRUE(j["defects"].empty()) << dsn;
  EXPECT_EQ(j["content_type"], "multipart/report");
  EXPECT_EQ(j["report_type"], "delivery-status");
  EXPECT_EQ(j["headers"]["To"], "alice@example.org");
  EXPECT_EQ(j["headers"]["Subject"], "Undelivered Mail Returned to Sender");
  EXPECT_EQ(j["headers"]["Auto-Submitted"], "auto-replied");
  ASSERT_EQ(j["parts"].size(), 3u);
  EXPECT_EQ(j["parts"][0]["content_type"], "text/plain");
  EXPECT_EQ(j["parts"][1]["content_type"], "message/delivery-status");
  EXPECT_EQ(j["parts"][2]["content_type"], "message/rfc822");
  EXPECT_EQ(j["parts"][2]["subject"], "Quarterly report");
  EXPECT_EQ(j["parts"][2]["body"], "Hello Bob,\n.leading dot\n");  // Python reads CRLF as \\n

  ASSERT_EQ(j["status"].size(), 3u);  // per-message block + two recipients
  auto msg = j["status"][0];
  EXPECT_EQ(msg["Reporting-MTA"], "dns; mail.example.org");
  EXPECT_EQ(msg["Original-Envelope-Id"], "env+1");
  EXPECT_EQ(msg["Arrival-Date"], "Tue, 14 Nov 2023 22:13:20 +0000");
  auto bob = j["status"][1];
  EXPECT_EQ(bob["Final-Recipient"], "rfc822; bob@remote.test");
  EXPECT_EQ(bob["Original-Recipient"], "rfc822;bob+x@remote.test");
  EXPECT_EQ(bob["Action"], "failed");
  EXPECT_EQ(bob["Status"], "5.1.1");
  EXPECT_EQ(bob["Remote-MTA"], "dns; mx.remote.test");
  EXPECT_EQ(bob["Diagnostic-Code"],
            "smtp; 550 5.1.1 <bob@remote.test>: Recipient address rejected: User unknown in virtual mailbox table");
  EXPECT_EQ(j["status"][2]["Action"], "relayed");
  std::string text = j["parts"][0]["text"];
  EXPECT_NE(text.find("<bob@remote.test>: failed, host mx.remote.test: 550 5.1.1"), std::string::npos) << text;
}

TEST(Dsn, HeadersOnlyForRetHdrsAndDelays) {
  DsnReport r = failure_report();
  r.return_full_message = false;
  std::string dsn = compose(r);
  auto j = parse_with_python(dsn);
  ASSERT_EQ(j["parts"].size(), 3u);
  EXPECT_EQ(j["parts"][2]["content_type"], "text/rfc822-headers");
  std::string headers = j["parts"][2]["text"];
  EXPECT_NE(headers.find("Subject: Quarterly report"), std::string::npos);
  EXPECT_EQ(headers.find("Hello Bob"), std::string::npos);

  r.kind = NoticeKind::delay;
  r.retry_until = 1700400000;
  r.recipients.resize(1);
  r.recipients[0].action = "delayed";
  r.recipients[0].status = "4.4.1";
  j = parse_with_python(compose(r));
  EXPECT_EQ(j["headers"]["Subject"], "Delayed Mail (still being retried)");
  EXPECT_EQ(j["status"][1]["Action"], "delayed");
  EXPECT_EQ(j["status"][1]["Will-Retry-Until"], "Sun, 19 Nov 2023 13:20:00 +0000");
}

// RFC 3461 5.2.3 / 5.2.7.3: notices about local deliveries have no queue entry behind them.
TEST(Dsn, LocalDeliveryNoticeWithoutQueueId) {
  DsnReport r = failure_report();
  r.kind = NoticeKind::success;
  r.queue_id = "";
  r.return_full_message = false;
  r.recipients = {{"bob@example.org", "rfc822;bob@example.org", "delivered", "2.0.0", "", "", 1700000100},
                  {"team@example.org", "", "expanded", "2.0.0", "", "", 1700000100}};
  std::string dsn = compose(r);
  EXPECT_EQ(dsn.find("X-Kurier-Queue-ID"), std::string::npos);
  auto j = parse_with_python(dsn);
  EXPECT_EQ(j["headers"]["Subject"], "Successful Mail Delivery Report");
  EXPECT_EQ(j["status"][0]["Original-Envelope-Id"], "env+1");
  EXPECT_EQ(j["status"][1]["Action"], "delivered");
  EXPECT_EQ(j["status"][1]["Original-Recipient"], "rfc822;bob@example.org");
  EXPECT_EQ(j["status"][2]["Action"], "expanded");
  EXPECT_EQ(j["parts"][2]["content_type"], "text/rfc822-headers");
  std::string text = j["parts"][0]["text"];
  EXPECT_NE(text.find("<team@example.org>: expanded"), std::string::npos) << text;
}

TEST(Dsn, EightBitOriginalIsDeclaredAndUnterminatedOriginalEndsCleanly) {
  DsnReport r = failure_report();
  r.eight_bit = true;
  std::string dsn = compose(r, "From: a@example.org\r\nSubject: x\r\n\r\nGr\xc3\xbc\xc3\x9f" "e");
  EXPECT_NE(dsn.find("Content-Type: message/rfc822\r\nContent-Transfer-Encoding: 8bit\r\n"), std::string::npos);
  EXPECT_NE(dsn.find("Gr\xc3\xbc\xc3\x9f" "e\r\n\r\n--"), std::string::npos);
  auto j = parse_with_python(dsn);
  EXPECT_TRUE(j["defects"].empty());
  EXPECT_EQ(j["parts"].size(), 3u);
}

TEST(Dsn, LongDiagnosticsAreFoldedAndControlCharactersRemoved) {
  DsnReport r = failure_report();
  r.recipients[0].diagnostic = "smtp; 550 " + std::string(40, 'x') + " " + std::string(60, 'y') + "\r\nInjected: header";
  std::string dsn = compose(r);
  EXPECT_EQ(dsn.find("\r\nInjected: header"), std::string::npos);
  size_t start = 0;
  for (size_t nl; (nl = dsn.find("\r\n", start)) != std::string::npos; start = nl + 2) EXPECT_LE(nl - start, 998u);
  auto j = parse_with_python(dsn);
  std::string diag = j["status"][1]["Diagnostic-Code"];
  EXPECT_NE(diag.find(std::string(60, 'y')), std::string::npos);
}

TEST(HeaderSectionFilter, StopsAfterTheEmptyLine) {
  std::string out;
  HeaderSectionFilter f([&](std::string_view s) { out.append(s); });
  std::string in = "A: 1\r\nB: 2\r\n\r\nbody\r\n\r\nmore";
  for (char c : in) f.feed(std::string_view(&c, 1));
  EXPECT_EQ(out, "A: 1\r\nB: 2\r\n\r\n");
  EXPECT_TRUE(f.done());
}

std::string filtered(std::string_view in, bool bytewise) {
  std::string out;
  HeaderSectionFilter f([&](std::string_view s) { out.append(s); });
  if (bytewise)
    for (char c : in) f.feed(std::string_view(&c, 1));
  else
    f.feed(in);
  f.finish();
  return out;
}

// issue 8: a message without an empty line passed whole, body included, into notices that go
// to a possibly forged sender.
TEST(HeaderSectionFilter, WithoutAnEmptyLineStopsAtTheFirstNonHeaderLine) {
  std::string in = "A: 1\r\nB: 2\r\n folded\r\nsecret body line\r\nC: 3\r\n";
  for (bool bytewise : {false, true}) {
    EXPECT_EQ(filtered(in, bytewise), "A: 1\r\nB: 2\r\n folded\r\n");
    EXPECT_EQ(header_section(in), "A: 1\r\nB: 2\r\n folded\r\n");
  }
}

TEST(HeaderSectionFilter, LfLineEndsAndALastLineWithoutLineEnd) {
  EXPECT_EQ(header_section("A: 1\nB: 2\n\nbody\n"), "A: 1\nB: 2\n\n");
  EXPECT_EQ(header_section("A: 1\r\nB: 2"), "A: 1\r\nB: 2");
  EXPECT_EQ(header_section("A: 1\r\nno header"), "A: 1\r\n");
  EXPECT_EQ(header_section("just a body\r\nA: 1\r\n"), "");
  EXPECT_EQ(header_section(" A: continuation first\r\n"), "");  // nothing to continue
  EXPECT_EQ(header_section("Bad Name: x\r\n"), "");              // RFC 5322 2.2: no SP in a name
}

TEST(HeaderSectionFilter, IsBounded) {
  std::string line = "X-Filler: " + std::string(990, 'x') + "\r\n";
  std::string in;
  while (in.size() <= HeaderSectionFilter::kMaxBytes) in += line;
  std::string out = header_section(in);
  EXPECT_LE(out.size(), HeaderSectionFilter::kMaxBytes);
  EXPECT_GT(out.size(), HeaderSectionFilter::kMaxBytes - line.size() - 1);
  EXPECT_EQ(out.size() % line.size(), 0u);  // cut at a line end
  EXPECT_EQ(header_section(std::string(HeaderSectionFilter::kMaxBytes + 10, 'a')), "");
}

TEST(Dsn, HeadersOnlyNeverReturnsTheBodyOfAMessageWithoutAnEmptyLine) {
  DsnReport r = failure_report();
  r.return_full_message = false;
  std::string dsn;
  write_dsn(r, [&](std::string_view s) { dsn.append(s); },
            [](const ByteSink& s) { s("Subject: hi\r\nthe secret body\r\n"); });
  EXPECT_NE(dsn.find("Subject: hi\r\n"), std::string::npos);
  EXPECT_EQ(dsn.find("the secret body"), std::string::npos);
}

TEST(FoldedField, FoldsAtSpaces) {
  std::string f = folded_field("Diagnostic-Code", "smtp; " + std::string(70, 'a') + " " + std::string(70, 'b'));
  EXPECT_NE(f.find("\r\n " + std::string(70, 'b')), std::string::npos) << f;
}

}  // namespace
}  // namespace kurier::queue
