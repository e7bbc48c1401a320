// The vacation extension (RFC 5230, RFC 6131 :seconds): parameters resolved, and the pure
// decision of RFC 5230 4.5-4.6 / RFC 3834 about whether a reply may be sent.
#include <gtest/gtest.h>

#include "sieve/vacation.h"
#include "test_env.h"

namespace kurier::sieve {
namespace {

using test::run;
using test::TestEnv;

Vacation vacation_of(const Result& r) {
  EXPECT_TRUE(r.ok()) << (r.error ? *r.error : "");
  for (const Action& a : r.actions)
    if (auto* v = std::get_if<Vacation>(&a)) return *v;
  ADD_FAILURE() << "no vacation action";
  return {};
}

TEST(SieveVacation, DefaultsFromTheMessage) {
  Result r = run("require \"vacation\"; vacation \"I'm away\";");
  Vacation v = vacation_of(r);
  EXPECT_TRUE(v.send) << v.why_not;
  EXPECT_EQ(v.to, "alice@example.org");
  EXPECT_EQ(v.subject, "Auto: [acme-users] [fwd] version 1.0 is out");
  EXPECT_EQ(v.reason, "I'm away");
  EXPECT_EQ(v.period_seconds, 7u * 86400);
  EXPECT_EQ(v.in_reply_to, "<1234@example.org>");
  EXPECT_EQ(v.references, "<1234@example.org>");
  EXPECT_FALSE(v.handle.empty());
  // vacation does not cancel the implicit keep.
  EXPECT_EQ(test::summary(r), "vacation:send implicit-keep");
}

TEST(SieveVacation, ParametersAndPeriods) {
  Vacation v = vacation_of(run("require \"vacation\";\n"
                               "vacation :days 3 :subject \"Out\" :from \"bob@example.com\" :handle \"h1\" :mime\n"
                               "  text:\nContent-Type: text/plain\r\n\r\nAway\r\n.\n;"));
  EXPECT_EQ(v.period_seconds, 3u * 86400);
  EXPECT_EQ(v.subject, "Out");
  EXPECT_EQ(v.from, "bob@example.com");
  EXPECT_EQ(v.handle, "h1");
  EXPECT_TRUE(v.mime);
  EXPECT_EQ(v.reason, "Content-Type: text/plain\r\n\r\nAway\r\n");
  EXPECT_EQ(vacation_of(run("require \"vacation\"; vacation :days 0 \"x\";")).period_seconds, 86400u);
  EXPECT_EQ(vacation_of(run("require \"vacation\"; vacation :days 1000 \"x\";")).period_seconds, 90u * 86400);
  EXPECT_EQ(vacation_of(run("require [\"vacation\", \"vacation-seconds\"]; vacation :seconds 0 \"x\";")).period_seconds, 0u);
  EXPECT_EQ(vacation_of(run("require [\"vacation\", \"vacation-seconds\"]; vacation :seconds 1800 \"x\";")).period_seconds,
            1800u);
  // The default handle depends on the arguments (RFC 5230 4.2).
  EXPECT_NE(vacation_of(run("require \"vacation\"; vacation \"a\";")).handle,
            vacation_of(run("require \"vacation\"; vacation \"b\";")).handle);
  EXPECT_FALSE(run("require \"vacation\"; vacation \"a\"; vacation \"b\";").ok());
}

TEST(SieveVacation, OneReplyPerSenderPerPeriod) {
  TestEnv env;
  const char* script = "require \"vacation\"; vacation :handle \"h\" :days 2 \"away\";";
  env.replies["alice@example.org|h"] = env.clock - 86400;
  Vacation v = vacation_of(run(script, env));
  EXPECT_FALSE(v.send);
  EXPECT_EQ(v.why_not, "already replied to alice@example.org within the period");
  env.replies["alice@example.org|h"] = env.clock - 2 * 86400;
  EXPECT_TRUE(vacation_of(run(script, env)).send);
  env.replies["alice@example.org|h"] = env.clock - 60;
  EXPECT_TRUE(vacation_of(run("require [\"vacation\", \"vacation-seconds\"]; vacation :handle \"h\" :seconds 0 \"x\";",
                              env)).send);
}

TEST(SieveVacation, AddressesWidenWhoTheUserIs) {
  TestEnv env("From: x@example.org\r\nTo: someone@elsewhere.example\r\nSubject: hi\r\n\r\n");
  EXPECT_FALSE(vacation_of(run("require \"vacation\"; vacation \"away\";", env)).send);
  EXPECT_TRUE(vacation_of(run("require \"vacation\"; vacation :addresses \"someone@elsewhere.example\" \"away\";", env)).send);
}

// The rules of RFC 5230 4.5-4.6 and RFC 3834, one message each.
struct Case {
  const char* sender;
  const char* header;
  bool send;
  const char* why;
};

TEST(SieveVacation, NeverReplyTo) {
  const Case cases[] = {
      {"alice@example.org", "To: bob@example.com\r\n", true, ""},
      {"", "To: bob@example.com\r\n", false, "null envelope sender"},
      {"MAILER-DAEMON@example.org", "To: bob@example.com\r\n", false, "system address"},
      {"owner-list@example.org", "To: bob@example.com\r\n", false, "mailing list address"},
      {"list-request@example.org", "To: bob@example.com\r\n", false, "mailing list address"},
      {"bob@example.com", "To: bob@example.com\r\n", false, "from the user"},
      {"alice@example.org", "To: bob@example.com\r\nAuto-Submitted: auto-replied\r\n", false, "Auto-Submitted"},
      {"alice@example.org", "To: bob@example.com\r\nAuto-Submitted: no\r\n", true, ""},
      {"alice@example.org", "To: bob@example.com\r\nPrecedence: bulk\r\n", false, "Precedence: bulk"},
      {"alice@example.org", "To: bob@example.com\r\nPrecedence: junk\r\n", false, "Precedence: junk"},
      {"alice@example.org", "To: bob@example.com\r\nList-Id: <l.example.org>\r\n", false, "List-Id"},
      {"alice@example.org", "To: bob@example.com\r\nList-Unsubscribe: <mailto:u@l>\r\n", false, "List-Unsubscribe"},
      {"alice@example.org", "To: bob@example.com\r\nX-Auto-Response-Suppress: OOF\r\n", false, "X-Auto-Response"},
      {"alice@example.org", "To: list@example.net\r\n", false, "none of the user's addresses"},
      {"alice@example.org", "To: list@example.net\r\nCc: Bob <BOB@example.com>\r\n", true, ""},
      {"alice@example.org", "Resent-To: bob@example.com\r\n", true, ""},
  };
  for (const Case& c : cases) {
    TestEnv env(std::string("From: alice@example.org\r\n") + c.header + "Subject: hi\r\n\r\nbody\r\n");
    env.env.from = c.sender;
    Vacation v = vacation_of(run("require \"vacation\"; vacation \"away\";", env));
    EXPECT_EQ(v.send, c.send) << c.sender << " / " << c.header << ": " << v.why_not;
    EXPECT_NE(v.why_not.find(c.why), std::string::npos) << v.why_not;
  }
}

TEST(SieveVacation, DecisionIsAPureFunction) {
  VacationCheck c;
  c.sender = "a@example.org";
  c.recipients = {"me@example.com"};
  c.header = [](std::string_view name) -> std::vector<std::string> {
    if (name == "To") return {"Me <me@example.com>"};
    return {};
  };
  c.now = 1000000;
  c.period_seconds = 3600;
  EXPECT_TRUE(decide_vacation(c).send);
  c.last_reply = c.now - 3599;
  EXPECT_FALSE(decide_vacation(c).send);
  c.last_reply = c.now - 3600;
  EXPECT_TRUE(decide_vacation(c).send);
}

TEST(SieveVacation, ComposedReply) {
  Vacation v = vacation_of(run("require \"vacation\"; vacation :subject \"Abwesend \xC3\xA4\" \"Bin weg.\nBis bald\";"));
  std::string reply = compose_vacation_reply(v, {"bob@example.com", "Mon, 7 Dec 2026 10:00:00 +0000", "<r1@example.com>"});
  EXPECT_EQ(reply,
            "From: bob@example.com\r\n"
            "To: <alice@example.org>\r\n"
            "Subject: =?UTF-8?B?QWJ3ZXNlbmQgw6Q=?=\r\n"
            "Date: Mon, 7 Dec 2026 10:00:00 +0000\r\n"
            "Message-ID: <r1@example.com>\r\n"
            "In-Reply-To: <1234@example.org>\r\n"
            "References: <1234@example.org>\r\n"
            "Auto-Submitted: auto-replied\r\n"
            "MIME-Version: 1.0\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n"
            "Content-Transfer-Encoding: 7bit\r\n"
            "\r\n"
            "Bin weg.\r\nBis bald\r\n");
  Vacation m = vacation_of(run("require \"vacation\"; vacation :mime :from \"Bob <b@example.com>\" text:\n"
                               "Content-Type: text/plain\n\nAway\n.\n;"));
  reply = compose_vacation_reply(m, {"bob@example.com", "d", "<i>"});
  EXPECT_EQ(reply.substr(0, 26), "From: Bob <b@example.com>\r");
  EXPECT_NE(reply.find("MIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\nAway\r\n"), std::string::npos);
}

}  // namespace
}  // namespace kurier::sieve
