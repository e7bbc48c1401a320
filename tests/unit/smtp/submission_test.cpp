#include "smtp/submission.h"

#include <gtest/gtest.h>

namespace kurier::smtp {
namespace {

SenderIdentity identity() {
  SenderIdentity id;
  id.login = "test0001";
  id.primary = "alice@example.test";
  id.addresses = {"alice@example.test", "team@example.test"};
  return id;
}

std::string run(SubmissionHeaderFilter& f, std::string_view message, size_t piece = 7) {
  std::string out;
  auto sink = [&out](std::string_view b) { out.append(b); };
  for (size_t i = 0; i < message.size(); i += piece) f.write(message.substr(i, piece), sink);
  f.finish(sink);
  return out;
}

SubmissionHeaderFilter filter(const SenderIdentity& id) {
  return SubmissionHeaderFilter(id, "mx.example.test", std::chrono::system_clock::time_point{}, 0);
}

TEST(SenderIdentity, Canonical) {
  auto id = identity();
  EXPECT_EQ(id.canonical("alice@example.test"), "alice@example.test");
  EXPECT_EQ(id.canonical("Team@Example.test"), "Team@Example.test");
  EXPECT_EQ(id.canonical("TEST0001"), "alice@example.test");
  EXPECT_FALSE(id.canonical("bob@example.test"));
  EXPECT_FALSE(id.canonical("test0001@example.test"));
}

TEST(SenderIdentity, RewriteLoginSender) {
  auto id = identity();
  EXPECT_EQ(rewrite_login_sender("MAIL FROM:<test0001> SIZE=10", id), "MAIL FROM:<alice@example.test> SIZE=10");
  EXPECT_EQ(rewrite_login_sender("mail from:<Test0001>", id), "mail from:<alice@example.test>");
  EXPECT_EQ(rewrite_login_sender("MAIL FROM:<test0001x>", id), "MAIL FROM:<test0001x>");
  EXPECT_EQ(rewrite_login_sender("RCPT TO:<test0001>", id), "RCPT TO:<test0001>");
  EXPECT_EQ(rewrite_login_sender("MAIL FROM:<test0001", id), "MAIL FROM:<test0001");
}

TEST(SubmissionHeaderFilter, AddsDateAndMessageId) {
  auto id = identity();
  auto f = filter(id);
  std::string out = run(f, "From: alice@example.test\r\nSubject: x\r\n\r\nbody\r\n");
  EXPECT_FALSE(f.refusal());
  EXPECT_EQ(out.rfind("From: alice@example.test\r\nSubject: x\r\nDate: Thu, 1 Jan 1970 00:00:00 +0000\r\nMessage-ID: <", 0), 0u) << out;
  EXPECT_NE(out.find("@mx.example.test>\r\n\r\nbody\r\n"), std::string::npos) << out;
}

TEST(SubmissionHeaderFilter, KeepsCompleteHeaderUnchanged) {
  auto id = identity();
  auto f = filter(id);
  std::string msg = "From: Team <team@example.test>\r\nDate: Fri, 27 Nov 2026 01:00:00 +0000\r\nMessage-ID: <a@b>\r\n\r\nbody\r\n";
  EXPECT_EQ(run(f, msg, 3), msg);
}

TEST(SubmissionHeaderFilter, RewritesLoginFrom) {
  auto id = identity();
  auto f = filter(id);
  std::string out = run(f, "Subject: s\r\nFrom: test0001\r\n (folded)\r\nDate: d\r\nMessage-ID: <a@b>\r\n\r\nb\r\n");
  EXPECT_EQ(out, "Subject: s\r\nFrom: alice@example.test\r\nDate: d\r\nMessage-ID: <a@b>\r\n\r\nb\r\n");
}

TEST(SubmissionHeaderFilter, RefusesForeignFrom) {
  auto id = identity();
  auto f = filter(id);
  std::string out = run(f, "From: bob@example.test\r\n\r\nb\r\n");
  ASSERT_TRUE(f.refusal());
  EXPECT_EQ(f.refusal()->code, 553);
  EXPECT_EQ(f.refusal()->enhanced, "5.7.1");
  EXPECT_EQ(out, "");
}

TEST(SubmissionHeaderFilter, HeaderWithoutBodyAndMissingFrom) {
  auto id = identity();
  auto f = filter(id);
  std::string out = run(f, "Subject: only\r\nDate: d\r\nMessage-ID: <a@b>\r\n");
  EXPECT_EQ(out, "Subject: only\r\nDate: d\r\nMessage-ID: <a@b>\r\nFrom: alice@example.test\r\n\r\n");
}

TEST(SubmissionHeaderFilter, HeaderSectionIsBounded) {
  auto id = identity();
  auto f = filter(id);
  std::string out;
  auto sink = [&out](std::string_view b) { out.append(b); };
  std::string line = "X-Filler: " + std::string(1000, 'a') + "\r\n";
  for (int i = 0; i < 300; ++i) f.write(line, sink);
  ASSERT_TRUE(f.refusal());
  EXPECT_EQ(f.refusal()->code, 552);
  EXPECT_EQ(out, "");
}

}  // namespace
}  // namespace kurier::smtp
