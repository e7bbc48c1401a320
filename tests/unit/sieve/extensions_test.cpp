// Sieve extensions other than variables and vacation: body (RFC 5173), relational (RFC 5231),
// subaddress (RFC 5233), date and index (RFC 5260), mailbox (RFC 5490), include (RFC 6609),
// editheader (RFC 5293), duplicate (RFC 7352), regex, enotify (RFC 5435/5436).
#include <gtest/gtest.h>

#include "test_env.h"

namespace kurier::sieve {
namespace {

using test::holds;
using test::run;
using test::summary;
using test::TestEnv;

const char* kMultipart =
    "From: a@example.org\r\n"
    "Subject: parts\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: multipart/mixed; boundary=\"b1\"\r\n"
    "\r\n"
    "prologue text\r\n"
    "--b1\r\n"
    "Content-Type: text/plain; charset=iso-8859-1\r\n"
    "Content-Transfer-Encoding: quoted-printable\r\n"
    "\r\n"
    "Gr=FC=DFe, the MEETING is at noon\r\n"
    "--b1\r\n"
    "Content-Type: text/html\r\n"
    "\r\n"
    "<p>html <b>bold</b> words</p>\r\n"
    "--b1\r\n"
    "Content-Type: application/octet-stream\r\n"
    "Content-Transfer-Encoding: base64\r\n"
    "\r\n"
    "c2VjcmV0IGJpbmFyeQ==\r\n"
    "--b1--\r\n";

TEST(SieveBody, TextRawAndContent) {
  TestEnv env(kMultipart);
  const char* req = "require \"body\";\n";
  auto h = [&](std::string t) { return holds(std::string(req) + t, env); };
  EXPECT_TRUE(h("body :contains \"meeting\""));  // :text by default, decoded
  EXPECT_TRUE(h("body :text :contains \"Gr\xC3\xBC\xC3\x9F" "e\""));  // converted to UTF-8
  EXPECT_TRUE(h("body :text :contains \"bold words\""));  // HTML without its tags
  EXPECT_FALSE(h("body :text :contains \"<b>\""));
  EXPECT_FALSE(h("body :text :contains \"secret\""));
  EXPECT_TRUE(h("body :raw :contains \"Gr=FC=DFe\""));
  EXPECT_TRUE(h("body :raw :contains \"prologue\""));
  EXPECT_TRUE(h("body :content \"application\" :contains \"secret binary\""));
  EXPECT_FALSE(h("body :content \"text/plain\" :contains \"bold\""));
  EXPECT_TRUE(h("body :content \"text/html\" :contains \"<b>\""));
  EXPECT_TRUE(h("body :content \"\" :contains \"secret\""));
}

TEST(SieveBody, SizeIsBoundedOverAllParts) {
  std::string msg = "Content-Type: multipart/mixed; boundary=x\r\n\r\n";
  for (int i = 0; i < 3; ++i) msg += "--x\r\nContent-Type: text/plain\r\n\r\n" + std::string(100, char('a' + i)) + "\r\n";
  msg += "--x--\r\n";
  ParsedMessage m(msg);
  std::vector<std::string> parts = m.body(BodyTransform::text, {}, 150);
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(parts[0], std::string(100, 'a'));
  EXPECT_EQ(parts[1], std::string(50, 'b'));
  EXPECT_EQ(m.body(BodyTransform::raw, {}, 10)[0].size(), 10u);
}

// RFC 5231 with the examples of section 6 (:count of addresses, :value comparisons).
TEST(SieveRelational, ValueAndCount) {
  TestEnv env("To: a@example.com, b@example.com\r\nCc: c@example.com\r\nX-Priority: 5\r\n"
              "Subject: Hello\r\n\r\n");
  const char* req = "require [\"relational\", \"comparator-i;ascii-numeric\"];\n";
  auto h = [&](std::string t) { return holds(std::string(req) + t, env); };
  EXPECT_TRUE(h("address :count \"ge\" :comparator \"i;ascii-numeric\" [\"to\", \"cc\"] [\"3\"]"));
  EXPECT_FALSE(h("address :count \"gt\" :comparator \"i;ascii-numeric\" [\"to\", \"cc\"] [\"3\"]"));
  EXPECT_TRUE(h("header :count \"eq\" :comparator \"i;ascii-numeric\" \"x-missing\" \"0\""));
  EXPECT_TRUE(h("header :value \"gt\" :comparator \"i;ascii-numeric\" \"x-priority\" \"3\""));
  EXPECT_FALSE(h("header :value \"lt\" :comparator \"i;ascii-numeric\" \"x-priority\" \"3\""));
  EXPECT_TRUE(h("header :value \"lt\" \"subject\" \"M\""));   // casemap ordering: "hello" < "m"
  EXPECT_TRUE(h("header :value \"ne\" \"subject\" \"x\""));
  EXPECT_FALSE(h("header :value \"eq\" \"x-missing\" \"\""));
}

TEST(SieveSubaddress, UserAndDetail) {
  TestEnv env;  // To: bob+lists@example.com
  const char* req = "require [\"subaddress\", \"envelope\"];\n";
  EXPECT_TRUE(holds(std::string(req) + "address :user \"to\" \"bob\"", env));
  EXPECT_TRUE(holds(std::string(req) + "address :detail \"to\" \"lists\"", env));
  EXPECT_FALSE(holds(std::string(req) + "address :detail :matches \"from\" \"*\"", env));  // no separator
  env.env.to = "bob+@example.com";
  EXPECT_TRUE(holds(std::string(req) + "envelope :detail \"to\" \"\"", env));  // empty detail is a detail
  env.env.to = "bob-x@example.com";
  EXPECT_TRUE(holds(std::string(req) + "envelope :user \"to\" \"bob-x\"", env));
}

TEST(SieveDate, HeaderDates) {
  // Date: Tue, 1 Dec 2026 09:30:15 -0800
  const char* req = "require \"date\";\n";
  auto h = [&](std::string t) { return holds(std::string(req) + t); };
  EXPECT_TRUE(h("date :originalzone \"date\" \"hour\" \"09\""));
  EXPECT_TRUE(h("date :originalzone \"date\" \"zone\" \"-0800\""));
  EXPECT_TRUE(h("date :zone \"+0000\" \"date\" \"time\" \"17:30:15\""));
  EXPECT_TRUE(h("date \"date\" \"iso8601\" \"2026-12-01T17:30:15+00:00\""));  // the local zone, UTC here
  EXPECT_TRUE(h("date :zone \"+0100\" \"date\" \"std11\" \"Tue, 01 Dec 2026 18:30:15 +0100\""));
  EXPECT_TRUE(h("date \"date\" \"date\" \"2026-12-01\""));
  EXPECT_TRUE(h("date \"date\" \"weekday\" \"2\""));
  EXPECT_TRUE(h("date \"date\" \"julian\" \"61375\""));
  EXPECT_TRUE(h("date \"received\" \"date\" \"2026-12-07\""));  // date after the ';'
  EXPECT_FALSE(h("date \"subject\" \"year\" \"2026\""));         // not a date
  EXPECT_FALSE(h("date \"date\" \"fortnight\" \"\""));          // not a date part
  EXPECT_TRUE(holds("require [\"date\", \"relational\"];\ndate :value \"ge\" \"date\" \"date\" \"2026-11-30\""));
}

TEST(SieveDate, CurrentDate) {
  TestEnv env;  // 2026-12-07 10:00:00 UTC, a Monday
  env.zone = 60;
  EXPECT_TRUE(holds("require \"date\";\ncurrentdate \"hour\" \"11\"", env));
  EXPECT_TRUE(holds("require \"date\";\ncurrentdate \"weekday\" \"1\"", env));
  EXPECT_TRUE(holds("require \"date\";\ncurrentdate :zone \"-1000\" \"date\" \"2026-12-07\"", env));
  EXPECT_TRUE(holds("require \"date\";\ncurrentdate :zone \"-1001\" \"date\" \"2026-12-06\"", env));
  EXPECT_TRUE(holds("require [\"date\", \"relational\"];\n"
                    "allof(currentdate :value \"ge\" \"date\" \"2026-12-01\", currentdate :value \"le\" \"date\" \"2026-12-31\")",
                    env));
}

TEST(SieveIndex, NthFieldFromEitherEnd) {
  TestEnv env("Received: from c; Mon, 7 Dec 2026 10:00:03 +0000\r\n"
              "Received: from b; Mon, 7 Dec 2026 10:00:02 +0000\r\n"
              "Received: from a; Mon, 7 Dec 2026 10:00:01 +0000\r\n\r\n");
  const char* req = "require [\"index\", \"date\"];\n";
  EXPECT_TRUE(holds(std::string(req) + "header :index 1 :contains \"received\" \"from c\"", env));
  EXPECT_TRUE(holds(std::string(req) + "header :index 2 :last :contains \"received\" \"from b\"", env));
  EXPECT_TRUE(holds(std::string(req) + "header :index 1 :last :contains \"received\" \"from a\"", env));
  EXPECT_FALSE(holds(std::string(req) + "header :index 1 :contains \"received\" \"from a\"", env));
  EXPECT_FALSE(holds(std::string(req) + "header :index 4 :contains \"received\" \"\"", env));
  EXPECT_TRUE(holds(std::string(req) + "date :index 1 :last \"received\" \"second\" \"01\"", env));
}

TEST(SieveMailbox, ExistsAndCreate) {
  EXPECT_TRUE(holds("require \"mailbox\";\nmailboxexists [\"INBOX\", \"Archive\"]"));
  EXPECT_FALSE(holds("require \"mailbox\";\nmailboxexists [\"INBOX\", \"Nope\"]"));
  Result r = run("require [\"mailbox\", \"fileinto\"]; fileinto :create \"New/Sub\";");
  ASSERT_EQ(r.actions.size(), 1u);
  EXPECT_TRUE(std::get<FileInto>(r.actions[0]).create);
}

TEST(SieveInclude, PersonalGlobalReturnAndGlobals) {
  TestEnv env;
  env.personal_scripts["spam"] =
      "require [\"fileinto\", \"include\", \"variables\"];\n"
      "global \"folder\";\n"
      "if header :contains \"X-Spam-Score\" \"7\" { fileinto \"${folder}\"; return; }\n"
      "fileinto \"not-reached\";\n";
  env.global_scripts["site"] = "require \"fileinto\"; fileinto \"site\";";
  Result r = run("require [\"include\", \"variables\", \"fileinto\"];\n"
                 "global \"folder\"; set \"folder\" \"Junk\"; set \"local\" \"L\";\n"
                 "include \"spam\";\ninclude :global \"site\";\ninclude :optional \"missing\";\n"
                 "fileinto \"after-${local}\";", env);
  EXPECT_EQ(summary(r), "fileinto:Junk fileinto:site fileinto:after-L");
}

TEST(SieveInclude, LoopsDepthMissingAndOnce) {
  TestEnv env;
  env.personal_scripts["a"] = "require \"include\"; include \"b\";";
  env.personal_scripts["b"] = "require \"include\"; include \"a\";";
  Result r = run("require \"include\"; include \"a\";", env);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(*r.error, "in included script 'b': line 1, column 20: include loop: script 'a' includes itself");
  r = run("require \"include\"; include \"missing\";", env);
  EXPECT_EQ(*r.error, "line 1, column 20: included script 'missing' does not exist");
  env.personal_scripts["bad"] = "filein \"x\";";
  r = run("require \"include\"; include \"bad\";", env);
  EXPECT_EQ(*r.error, "line 1, column 20: included script 'bad': line 1, column 1: unknown command 'filein'");
  for (int i = 0; i < 10; ++i)
    env.personal_scripts["d" + std::to_string(i)] = "require \"include\"; include \"d" + std::to_string(i + 1) + "\";";
  env.personal_scripts["d10"] = "keep;";
  r = run("require \"include\"; include \"d0\";", env);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error->find("includes nested too deep (limit 5)"), std::string::npos);
  env.personal_scripts["once"] = "require [\"fileinto\", \"variables\"]; fileinto \"once\";";
  r = run("require \"include\"; include :once \"once\"; include :once \"once\"; stop;", env);
  EXPECT_EQ(summary(r), "fileinto:once");
  Limits few;
  few.max_includes = 3;
  r = run("require \"include\"; include :optional \"m1\"; include :optional \"m2\"; include :optional \"m3\";"
          "include :optional \"m4\";", env, few);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(*r.error, "line 1, column 91: too many includes (limit 3)");
  // "stop" in an included script ends everything (RFC 6609 3.2).
  env.personal_scripts["stopper"] = "stop;";
  EXPECT_EQ(summary(run("require \"include\"; include \"stopper\"; discard;", env)), "implicit-keep");
}

TEST(SieveEditheader, AddDeleteAndWhatTestsSee) {
  Result r = run("require [\"editheader\", \"fileinto\"];\n"
                 "addheader \"X-Sieve\" \"first\";\n"
                 "addheader :last \"X-Sieve\" \"last \xC3\xA9t\xC3\xA9\";\n"
                 "if header :is \"X-Sieve\" \"first\" { fileinto \"seen-add\"; }\n"
                 "deleteheader \"Cc\";\n"
                 "deleteheader :contains \"X-Sieve\" \"irs\";\n"
                 "if not exists \"Cc\" { fileinto \"seen-delete\"; }\n"
                 "deleteheader \"Received\";\naddheader \"Auto-Submitted\" \"auto-generated\";\nkeep;\n");
  ASSERT_TRUE(r.ok()) << *r.error;
  ASSERT_EQ(summary(r), "fileinto:seen-add fileinto:seen-delete keep");
  const FileInto& first = std::get<FileInto>(r.actions[0]);
  ASSERT_TRUE(first.header);
  EXPECT_EQ(first.header->substr(0, 18), "X-Sieve: first\r\nRe");
  const Keep& keep = std::get<Keep>(r.actions[2]);
  ASSERT_TRUE(keep.header);
  EXPECT_EQ(keep.header->find("Cc:"), std::string::npos);
  EXPECT_EQ(keep.header->find("X-Sieve: first"), std::string::npos);
  EXPECT_NE(keep.header->find("X-Sieve: =?UTF-8?B?bGFzdCDDqXTDqQ==?=\r\n\r\n"), std::string::npos);
  EXPECT_NE(keep.header->find("Received: from mx"), std::string::npos);  // protected
  EXPECT_EQ(keep.header->find("Auto-Submitted"), std::string::npos);
  EXPECT_EQ(r.header_edits.size(), 4u);  // two adds, two deletes
}

TEST(SieveEditheader, DeleteByIndexAndUnchangedHeader) {
  TestEnv env("X-A: 1\r\nX-A: 2\r\nX-A: 3\r\n\r\nbody\r\n");
  Result r = run("require [\"editheader\", \"index\"]; deleteheader :index 1 :last \"X-A\"; deleteheader :index 1 \"x-a\";", env);
  ASSERT_EQ(r.actions.size(), 1u);
  EXPECT_EQ(*std::get<Keep>(r.actions[0]).header, "X-A: 2\r\n\r\n");
  EXPECT_EQ(std::get<Keep>(run("keep;").actions[0]).header, nullptr);
  TestEnv lf("X-A: folded\n  value\nX-B: 1\n\nbody\n");
  r = run("require \"editheader\"; deleteheader \"X-B\";", lf);
  EXPECT_EQ(*std::get<Keep>(r.actions[0]).header, "X-A: folded\r\n  value\r\n\r\n");
}

TEST(SieveDuplicate, TracksMessageIdAndHandles) {
  TestEnv env;
  const char* script = "require \"duplicate\"; if duplicate { discard; }";
  Result first = run(script, env);
  EXPECT_EQ(summary(first), "implicit-keep");
  ASSERT_EQ(first.duplicate_marks.size(), 1u);
  EXPECT_EQ(first.duplicate_marks[0].id, std::string("\0<1234@example.org>", 19));
  EXPECT_EQ(first.duplicate_marks[0].period_seconds, 7u * 86400);
  env.seen.insert(first.duplicate_marks[0].id);
  Result second = run(script, env);
  EXPECT_EQ(summary(second), "discard");
  EXPECT_TRUE(second.duplicate_marks.empty());  // without :last the period is not extended
  EXPECT_EQ(run("require \"duplicate\"; if duplicate :last { discard; }", env).duplicate_marks.size(), 1u);
  // Other handles and values are tracked apart.
  EXPECT_EQ(summary(run("require \"duplicate\"; if duplicate :handle \"h\" { discard; }", env)), "implicit-keep");
  Result u = run("require [\"duplicate\", \"fileinto\"]; if duplicate :uniqueid \"x\" :seconds 60 { discard; }"
                 "if duplicate :uniqueid \"x\" { fileinto \"dup\"; }", env);
  EXPECT_EQ(u.duplicate_marks.size(), 1u);
  EXPECT_EQ(u.duplicate_marks[0].period_seconds, 60u);
  TestEnv no_id("Subject: x\r\n\r\n");
  EXPECT_EQ(summary(run(script, no_id)), "implicit-keep");
  EXPECT_TRUE(run(script, no_id).duplicate_marks.empty());
}

TEST(SieveRegex, MatchesAndCaptures) {
  const char* req = "require [\"regex\", \"variables\", \"fileinto\"];\n";
  EXPECT_TRUE(holds(std::string(req) + "header :regex \"Subject\" \"^\\\\[acme-[a-z]+\\\\]\""));
  EXPECT_FALSE(holds(std::string(req) + "header :regex :comparator \"i;octet\" \"Subject\" \"ACME\""));
  EXPECT_TRUE(holds(std::string(req) + "header :regex \"Subject\" \"ACME\""));
  Result r = run(std::string(req) + "if address :regex :localpart \"to\" \"^([a-z]+)\\\\+(.*)$\" { fileinto \"${2}-${1}\"; }");
  EXPECT_EQ(summary(r), "fileinto:lists-bob");
  r = run(std::string(req) + "set \"re\" \"(\"; if header :regex \"Subject\" \"${re}\" { keep; }");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error->find("invalid regular expression '('"), std::string::npos);
}

TEST(SieveEnotify, NotifyAndMethodTests) {
  Result r = run("require \"enotify\";\n"
                 "notify :importance \"1\" :options [\"x\"] :message \"You got mail\" \"mailto:bob@example.com?subject=hi\";\n"
                 "notify \"mailto:bob@example.com?subject=hi\";\n"
                 "notify :from \"me@example.com\" \"mailto:sms%40gw.example\";\n");
  ASSERT_TRUE(r.ok()) << *r.error;
  ASSERT_EQ(r.actions.size(), 3u);  // the duplicate notification is dropped
  const Notify& n = std::get<Notify>(r.actions[0]);
  EXPECT_EQ(n.importance, 1);
  EXPECT_EQ(n.message, "You got mail");
  EXPECT_EQ(n.options, std::vector<std::string>{"x"});
  EXPECT_EQ(std::get<Notify>(r.actions[1]).message, "Alice Example <alice@example.org>: [acme-users] [fwd] version 1.0 is out");
  EXPECT_TRUE(holds("require \"enotify\";\nvalid_notify_method [\"mailto:a@b.example\", \"mailto:?to=c@d.example\"]"));
  EXPECT_FALSE(holds("require \"enotify\";\nvalid_notify_method \"mailto:\""));
  EXPECT_FALSE(holds("require \"enotify\";\nvalid_notify_method \"sms:+1555\""));
  EXPECT_TRUE(holds("require \"enotify\";\nnotify_method_capability \"mailto:a@b.example\" \"Online\" \"maybe\""));
  EXPECT_FALSE(holds("require \"enotify\";\nnotify_method_capability \"xmpp:a@b.example\" \"online\" \"maybe\""));
  Result enc = run("require [\"enotify\", \"variables\", \"fileinto\"]; set :encodeurl \"e\" \"a b&c\"; fileinto \"${e}\";");
  EXPECT_EQ(summary(enc), "fileinto:a%20b%26c");
}

}  // namespace
}  // namespace kurier::sieve
