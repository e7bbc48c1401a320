// Executing base Sieve (RFC 5228): tests, actions, the implicit keep, runtime errors, limits.
#include <gtest/gtest.h>

#include "test_env.h"

namespace kurier::sieve {
namespace {

using test::holds;
using test::run;
using test::summary;
using test::TestEnv;

TEST(SieveExecute, EmptyScriptKeeps) {
  EXPECT_EQ(summary(run("")), "implicit-keep");
  EXPECT_EQ(summary(run("# nothing\n")), "implicit-keep");
}

// RFC 5228 2.10.2: the implicit keep happens unless an action cancels it.
TEST(SieveExecute, ImplicitKeepAndItsCancellation) {
  EXPECT_EQ(summary(run("keep;")), "keep");
  EXPECT_EQ(summary(run("discard;")), "discard");
  EXPECT_EQ(summary(run("redirect \"x@example.net\";")), "redirect:x@example.net");
  EXPECT_EQ(summary(run("require \"fileinto\"; fileinto \"Junk\";")), "fileinto:Junk");
  EXPECT_EQ(summary(run("require \"reject\"; reject \"no thanks\";")), "reject:no thanks");
  EXPECT_EQ(summary(run("require \"ereject\"; ereject \"no\";")), "ereject:no");
  // RFC 3894 3: :copy does not cancel it.
  EXPECT_EQ(summary(run("require [\"fileinto\", \"copy\"]; fileinto :copy \"A\";")), "fileinto:A(copy) implicit-keep");
  EXPECT_EQ(summary(run("require \"copy\"; redirect :copy \"x@example.net\";")),
            "redirect:x@example.net(copy) implicit-keep");
  // Discard cancels only the implicit keep, not an explicit one (RFC 5228 4.5).
  EXPECT_EQ(summary(run("keep; discard;")), "keep discard");
  EXPECT_TRUE(run("discard;").delivers_nowhere());
  EXPECT_FALSE(run("keep; discard;").delivers_nowhere());
}

TEST(SieveExecute, StopEndsTheScript) {
  EXPECT_EQ(summary(run("stop; discard;")), "implicit-keep");
  EXPECT_EQ(summary(run("discard; stop; keep;")), "discard");
}

TEST(SieveExecute, IfElsifElse) {
  const char* script =
      "require \"fileinto\";\n"
      "if header :contains \"Subject\" \"nomatch\" { fileinto \"A\"; }\n"
      "elsif header :contains \"Subject\" \"acme\" { fileinto \"B\"; }\n"
      "elsif true { fileinto \"C\"; }\n"
      "else { fileinto \"D\"; }\n";
  EXPECT_EQ(summary(run(script)), "fileinto:B");
  EXPECT_EQ(summary(run("require \"fileinto\"; if false { fileinto \"A\"; } else { fileinto \"E\"; }")), "fileinto:E");
}

// RFC 5228 2.10.3: the same action twice is done once.
TEST(SieveExecute, DuplicateActionsMerge) {
  EXPECT_EQ(summary(run("require \"fileinto\"; fileinto \"A\"; fileinto \"A\"; fileinto \"B\";")), "fileinto:A fileinto:B");
  EXPECT_EQ(summary(run("redirect \"a@example.net\"; redirect \"A@example.net\";")), "redirect:a@example.net");
  EXPECT_EQ(summary(run("keep; keep;")), "keep");
  // keep and fileinto "INBOX" are the same action.
  EXPECT_EQ(summary(run("require \"fileinto\"; keep; fileinto \"INBOX\";")), "keep");
  EXPECT_EQ(summary(run("require \"fileinto\"; fileinto \"inbox\"; keep;")), "fileinto:inbox");
  EXPECT_EQ(summary(run("require [\"fileinto\", \"copy\"]; fileinto :copy \"INBOX\";")), "fileinto:INBOX(copy)");
  Result r = run("require [\"fileinto\", \"imap4flags\"]; keep :flags \"$a\"; fileinto :flags \"$b\" \"INBOX\";");
  EXPECT_EQ(std::get<Keep>(r.actions[0]).flags, (std::vector<std::string>{"$a", "$b"}));
}

TEST(SieveExecute, HeaderTest) {
  EXPECT_TRUE(holds("header :is \"Subject\" \"[acme-users] [fwd] version 1.0 is out\""));
  EXPECT_TRUE(holds("header :is \"subject\" \"[ACME-USERS] [FWD] VERSION 1.0 IS OUT\""));  // casemap default
  EXPECT_FALSE(holds("header :is :comparator \"i;octet\" \"subject\" \"[ACME-USERS] [FWD] VERSION 1.0 IS OUT\""));
  EXPECT_TRUE(holds("header :contains [\"To\", \"Cc\"] \"dave@\""));
  EXPECT_TRUE(holds("header :matches \"Subject\" \"*version ?.?*\""));
  EXPECT_FALSE(holds("header :matches \"Subject\" \"version*\""));
  EXPECT_FALSE(holds("header :contains \"X-Missing\" \"\""));
  EXPECT_TRUE(holds("header :contains \"Subject\" \"\""));  // the empty key is in every value
  EXPECT_TRUE(holds("header \"Subject\" [\"x\", \"[acme-users] [fwd] version 1.0 is out\"]"));  // :is by default
}

// RFC 5228 2.7.2: header values are compared decoded (RFC 2047).
TEST(SieveExecute, HeaderValuesAreDecoded) {
  TestEnv env("Subject: =?ISO-8859-1?Q?Gr=FC=DFe?= aus Berlin\r\nFrom: =?UTF-8?B?SsO8cmdlbg==?= <j@example.de>\r\n\r\nbody\r\n");
  EXPECT_TRUE(holds("header :is \"Subject\" \"Gr\xC3\xBC\xC3\x9F" "e aus Berlin\"", env));
  EXPECT_TRUE(holds("header :contains \"From\" \"J\xC3\xBCrgen\"", env));
}

TEST(SieveExecute, AddressTest) {
  EXPECT_TRUE(holds("address :is :all \"from\" \"alice@example.org\""));
  EXPECT_TRUE(holds("address \"from\" \"ALICE@example.org\""));
  EXPECT_TRUE(holds("address :localpart \"to\" \"carol\""));
  EXPECT_TRUE(holds("address :domain :is [\"to\", \"cc\"] \"example.net\""));
  EXPECT_FALSE(holds("address :domain :is \"from\" \"example\""));
  EXPECT_TRUE(holds("address :matches :domain \"from\" \"*.org\""));
  EXPECT_FALSE(holds("address :contains \"from\" \"Example <\""));  // display names are not addresses
  // RFC 5228 5.1: only address fields; a variable naming another field finds nothing.
  EXPECT_EQ(test::compile_error("if address \"subject\" \"x\" {}"), "line 1, column 12: not an address header: 'subject'");
  EXPECT_FALSE(holds("require \"variables\";\nset \"h\" \"subject\";\naddress :contains \"${h}\" \"acme\""));
  TestEnv groups("To: friends: a@x.example, b@y.example;, c@z.example\r\n\r\n");
  EXPECT_TRUE(holds("address :domain \"to\" \"y.example\"", groups));
  EXPECT_TRUE(holds("address :domain \"to\" \"z.example\"", groups));
}

TEST(SieveExecute, EnvelopeTest) {
  TestEnv env;
  EXPECT_TRUE(holds("require \"envelope\";\nenvelope :is \"from\" \"alice@example.org\"", env));
  EXPECT_TRUE(holds("require \"envelope\";\nenvelope :domain \"to\" \"example.com\"", env));
  EXPECT_TRUE(holds("require \"envelope\";\nenvelope :localpart [\"from\", \"to\"] \"bob\"", env));
  env.env.from = "";  // RFC 5228 5.4: the null reverse-path is ""
  EXPECT_TRUE(holds("require \"envelope\";\nenvelope :is \"from\" \"\"", env));
  EXPECT_FALSE(holds("require \"envelope\";\nenvelope :domain :contains \"from\" \"\"", env));
}

TEST(SieveExecute, ExistsAndSize) {
  EXPECT_TRUE(holds("exists [\"From\", \"Date\"]"));
  EXPECT_FALSE(holds("exists [\"From\", \"X-Nope\"]"));
  TestEnv env;
  uint64_t size = env.text.size();
  EXPECT_TRUE(holds("size :over " + std::to_string(size - 1)));
  EXPECT_FALSE(holds("size :over " + std::to_string(size)));
  EXPECT_TRUE(holds("size :under " + std::to_string(size + 1)));
  EXPECT_FALSE(holds("size :under " + std::to_string(size)));
  EXPECT_FALSE(holds("size :over 1M"));
}

TEST(SieveExecute, AllofAnyofNot) {
  EXPECT_TRUE(holds("allof (true, not false)"));
  EXPECT_FALSE(holds("allof (true, false)"));
  EXPECT_TRUE(holds("anyof (false, true)"));
  EXPECT_FALSE(holds("anyof (false, not true)"));
  EXPECT_TRUE(holds("not not true"));
}

TEST(SieveExecute, Comparators) {
  const char* numeric = "require \"comparator-i;ascii-numeric\";\n";
  EXPECT_TRUE(holds(std::string(numeric) + "header :is :comparator \"i;ascii-numeric\" \"X-Spam-Score\" \"007\""));
  EXPECT_FALSE(holds(std::string(numeric) + "header :is :comparator \"i;ascii-numeric\" \"X-Spam-Score\" \"70\""));
  EXPECT_TRUE(holds("header :contains :comparator \"i;octet\" \"Subject\" \"acme\""));
  EXPECT_FALSE(holds("header :contains :comparator \"i;octet\" \"Subject\" \"ACME\""));
}

TEST(SieveExecute, RedirectAddressIsCheckedAtRunTime) {
  Result r = run("require \"variables\"; set \"a\" \"not an address\"; redirect \"${a}\";");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(*r.error, "line 1, column 48: invalid redirect address 'not an address'");
  // RFC 5228 2.10.6: after a runtime error the message is kept.
  ASSERT_EQ(r.actions.size(), 1u);
  EXPECT_TRUE(std::get<Keep>(r.actions[0]).implicit);
}

TEST(SieveExecute, RejectConflicts) {
  EXPECT_FALSE(run("require \"reject\"; reject \"a\"; reject \"b\";").ok());
  EXPECT_FALSE(run("require \"reject\"; keep; reject \"a\";").ok());
  EXPECT_FALSE(run("require [\"reject\", \"vacation\"]; vacation \"away\"; reject \"a\";").ok());
  Result r = run("require [\"reject\", \"copy\"]; redirect :copy \"a@b.example\"; reject \"a\";");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(*r.error, "reject cannot be combined with keep, fileinto or redirect");
  EXPECT_TRUE(run("require [\"reject\", \"imap4flags\"]; addflag \"x\"; reject \"a\";").ok());
}

TEST(SieveExecute, ActionLimits) {
  Limits limits;
  limits.max_actions = 3;
  std::string script = "require \"fileinto\";";
  for (int i = 0; i < 4; ++i) script += " fileinto \"F" + std::to_string(i) + "\";";
  Result r = run(script, TestEnv(), limits);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(*r.error, "line 1, column 66: too many actions (limit 3)");
  limits = Limits{};
  limits.max_redirects = 2;
  r = run("redirect \"a@x.example\"; redirect \"b@x.example\"; redirect \"c@x.example\";", TestEnv(), limits);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error->find("too many redirects (limit 2)"), std::string::npos);
}

TEST(SieveExecute, StepLimit) {
  Limits limits;
  limits.max_steps = 50;
  std::string script;
  for (int i = 0; i < 30; ++i) script += "if true { }\n";
  Result r = run(script, TestEnv(), limits);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error->find("script ran too long (limit 50 steps)"), std::string::npos);
}

TEST(SieveExecute, CostlyMatchIsARuntimeError) {
  TestEnv env("Subject: " + std::string(200000, 'a') + "\r\n\r\n");
  Result r = run("if header :matches \"Subject\" \"*" + std::string(1000, '?') + "b*\" { discard; }", env);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error->find("too costly to match"), std::string::npos);
}

TEST(SieveExecute, ProgramIsReusable) {
  auto program = test::compiled("require \"fileinto\"; if header :contains \"Subject\" \"acme\" { fileinto \"acme\"; }");
  ASSERT_TRUE(program);
  TestEnv acme, other("Subject: hello\r\n\r\n");
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(summary(execute(*program, acme)), "fileinto:acme");
    EXPECT_EQ(summary(execute(*program, other)), "implicit-keep");
  }
}

}  // namespace
}  // namespace kurier::sieve
