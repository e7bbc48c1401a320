// Cross-check against Pigeonhole, Dovecot's Sieve implementation: each script below runs in
// kurier's interpreter and in `sieve-test` (Debian package dovecot-sieve, installed by
// scripts/install-deps.sh --test), and both must end with the same actions. Vacation is compared
// as "vacation" only: sieve-test prints the reply before the RFC 3834 checks that decide it.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "../temp_dir.h"
#include "test_env.h"

namespace kurier::sieve {
namespace {

const char* kMessage =
    "Return-Path: <alice@example.org>\r\n"
    "Date: Tue, 1 Dec 2026 09:30:15 -0800\r\n"
    "From: Alice Example <alice@example.org>\r\n"
    "To: Bob <bob+lists@example.com>, carol@example.net\r\n"
    "Cc: dave@example.com\r\n"
    "Subject: [acme-users] [fwd] version 1.0 is out\r\n"
    "Message-ID: <1234@example.org>\r\n"
    "X-Spam-Score: 7\r\n"
    "X-Spam-Score: 3\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: multipart/alternative; boundary=\"b\"\r\n"
    "\r\n"
    "--b\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "\r\n"
    "Hello Bob, the MEETING is at noon.\r\n"
    "--b\r\n"
    "Content-Type: text/html\r\n"
    "\r\n"
    "<p>Hello <b>Bob</b></p>\r\n"
    "--b--\r\n";

const char* kScripts[] = {
    "",
    "keep;",
    "discard;",
    "require \"fileinto\"; fileinto \"Lists\";",
    "require [\"fileinto\", \"copy\"]; fileinto :copy \"Lists\";",
    "redirect \"x@example.net\"; redirect \"x@example.net\";",
    "require \"copy\"; redirect :copy \"x@example.net\";",
    "require \"reject\"; reject \"go away\";",
    "require \"fileinto\";\n"
    "if header :contains \"Subject\" \"ACME\" { fileinto \"acme\"; } elsif true { discard; }",
    "require \"fileinto\"; if header :contains :comparator \"i;octet\" \"Subject\" \"ACME\" { fileinto \"x\"; }",
    "require \"fileinto\"; if address :domain :is \"to\" \"example.net\" { fileinto \"net\"; }",
    "require \"fileinto\"; if address :localpart \"from\" \"ALICE\" { fileinto \"alice\"; }",
    "require \"fileinto\"; if not exists \"X-Nothing\" { fileinto \"a\"; } if exists [\"From\", \"X-No\"] { discard; }",
    "require \"fileinto\"; if size :over 100 { fileinto \"big\"; } if size :under 10 { discard; }",
    "require \"fileinto\"; if anyof (false, allof (true, not false)) { fileinto \"logic\"; }",
    "require [\"fileinto\", \"envelope\"]; if envelope :is \"from\" \"alice@example.org\" { fileinto \"env\"; }",
    "require [\"fileinto\", \"envelope\", \"subaddress\"];\n"
    "if envelope :detail \"to\" \"lists\" { fileinto \"detail\"; } elsif envelope :user \"to\" \"bob\" { fileinto \"user\"; }",
    "require [\"fileinto\", \"subaddress\"]; if address :detail \"to\" \"lists\" { fileinto \"d\"; }",
    "require [\"fileinto\", \"variables\"];\n"
    "if header :matches \"Subject\" \"[*] *\" { fileinto \"lists/${1}\"; }",
    "require [\"fileinto\", \"variables\"];\n"
    "if header :matches \"From\" \"*<*@*>\" { set :upperfirst \"u\" \"${2}\"; fileinto \"from-${u}-${3}\"; }",
    "require [\"fileinto\", \"variables\"];\n"
    "set :length \"n\" \"hello\"; set :quotewildcard \"q\" \"a*b\"; fileinto \"${n}-${q}\";",
    "require [\"fileinto\", \"variables\"]; if string :is \"${undefined}\" \"\" { fileinto \"empty\"; }",
    "require [\"fileinto\", \"relational\", \"comparator-i;ascii-numeric\"];\n"
    "if header :value \"gt\" :comparator \"i;ascii-numeric\" \"X-Spam-Score\" \"5\" { fileinto \"spam\"; }",
    "require [\"fileinto\", \"relational\", \"comparator-i;ascii-numeric\"];\n"
    "if address :count \"ge\" :comparator \"i;ascii-numeric\" [\"to\", \"cc\"] \"3\" { fileinto \"many\"; }",
    "require [\"fileinto\", \"relational\"]; if header :value \"lt\" \"Subject\" \"b\" { fileinto \"lt\"; }",
    "require [\"fileinto\", \"body\"]; if body :text :contains \"meeting\" { fileinto \"meeting\"; }",
    "require [\"fileinto\", \"body\"]; if body :raw :contains \"<b>Bob\" { fileinto \"raw\"; }",
    "require [\"fileinto\", \"body\"]; if body :content \"text/html\" :contains \"<b>\" { fileinto \"html\"; }",
    "require [\"fileinto\", \"date\"]; if date :originalzone \"date\" \"hour\" \"09\" { fileinto \"nine\"; }",
    "require [\"fileinto\", \"date\"]; if date :zone \"+0100\" \"date\" \"time\" \"18:30:15\" { fileinto \"t\"; }",
    "require [\"fileinto\", \"date\", \"relational\"];\n"
    "if date :value \"ge\" :originalzone \"date\" \"date\" \"2026-11-30\" { fileinto \"recent\"; }",
    "require [\"fileinto\", \"date\", \"variables\"];\n"
    "if date :matches :zone \"+0000\" \"date\" \"weekday\" \"*\" { fileinto \"wd${0}\"; }",
    "require [\"fileinto\", \"date\"]; if date \"date\" \"fortnight\" \"\" { fileinto \"x\"; }",
    "require [\"fileinto\", \"index\"]; if header :index 2 :is \"X-Spam-Score\" \"3\" { fileinto \"second\"; }",
    "require [\"fileinto\", \"index\"]; if header :index 1 :last :is \"X-Spam-Score\" \"7\" { fileinto \"no\"; }",
    "require [\"fileinto\", \"editheader\"];\n"
    "addheader \"X-Tag\" \"tagged\"; if header :is \"X-Tag\" \"tagged\" { fileinto \"tagged\"; }",
    "require [\"fileinto\", \"editheader\"];\n"
    "deleteheader \"Cc\"; if not exists \"Cc\" { fileinto \"nocc\"; }",
    "require [\"fileinto\", \"imap4flags\"]; addflag \"\\\\Seen\"; if hasflag \"\\\\seen\" { fileinto \"f\"; }",
    "require [\"fileinto\", \"regex\", \"variables\"];\n"
    "if header :regex \"Subject\" \"^\\\\[([a-z-]+)\\\\]\" { fileinto \"re-${1}\"; }",
    "require \"vacation\"; vacation :days 3 :subject \"away\" \"I am away\";",
    "require [\"vacation\", \"fileinto\"]; vacation \"away\"; fileinto \"x\";",
    "require [\"fileinto\", \"encoded-character\"]; fileinto \"${hex:41 42}${unicode:43}\";",
    "require \"variables\"; set \"a\" \"not an address\"; redirect \"${a}\";",
    "keep; discard;",
    "require \"fileinto\"; keep; fileinto \"INBOX\";",
    "require \"fileinto\"; fileinto \"INBOX\"; keep;",
    "REQUIRE \"fileinto\"; IF HEADER :CONTAINS \"subject\" \"acme\" { FileInto \"X\"; }",
    "discard; stop; keep;",
    "require \"fileinto\"; fileinto \"A\"; fileinto \"A\"; keep; keep;",
    "require \"fileinto\"; if header :matches \"Subject\" \"?acme-*\" { fileinto \"q\"; }",
    "require \"fileinto\"; if header :matches \"Subject\" \"*\\\\[fwd]*\" { fileinto \"esc\"; }",
    "require [\"fileinto\", \"relational\", \"comparator-i;ascii-numeric\"];\n"
    "if header :count \"eq\" :comparator \"i;ascii-numeric\" \"X-Spam-Score\" \"2\" { fileinto \"two\"; }",
    "require [\"fileinto\", \"comparator-i;ascii-numeric\"];\n"
    "if header :is :comparator \"i;ascii-numeric\" \"Subject\" \"abc\" { fileinto \"inf\"; }",
    "require [\"fileinto\", \"variables\", \"relational\"];\n"
    "if string :count \"eq\" [\"a\", \"\", \"b\"] \"2\" { fileinto \"count\"; }",
    "require [\"fileinto\", \"variables\"];\n"
    "if address :matches \"to\" \"*+*@*\" { fileinto \"${1}.${2}.${3}.${0}\"; }",
    "require [\"fileinto\", \"body\"]; if body :text :contains \"Hello Bob\" { fileinto \"text\"; }",
    "require [\"fileinto\", \"body\"]; if body :content \"text\" :matches \"*noon*\" { fileinto \"noon\"; }",
    "require [\"fileinto\", \"editheader\", \"index\"];\n"
    "deleteheader :index 1 \"X-Spam-Score\"; if header :is \"X-Spam-Score\" \"7\" { fileinto \"still\"; }",
    "require [\"fileinto\", \"editheader\"];\n"
    "deleteheader :matches \"X-Spam-Score\" \"3\"; if header :is \"X-Spam-Score\" \"3\" { fileinto \"still\"; }",
    "require [\"fileinto\", \"editheader\"]; deleteheader \"Received\"; addheader \"Received\" \"x\"; keep;",
    "require [\"fileinto\", \"reject\"]; fileinto \"x\"; reject \"no\";",
    "require [\"vacation\", \"reject\"]; vacation \"away\"; reject \"no\";",
    "require [\"reject\", \"copy\"]; redirect :copy \"a@example.net\"; reject \"no\";",
    "require [\"fileinto\", \"mailbox\"]; fileinto :create \"New\";",
    "require [\"fileinto\", \"variables\"]; set \"a\" \"${}${ x}${1a}${a.b}${9}\"; fileinto \"x${a}\";",
    "require [\"fileinto\", \"variables\"];\n"
    "if header :matches \"Subject\" \"[*]*\" { if header :matches \"Subject\" \"*${1}*\" { fileinto \"n-${1}\"; } }",
    "require [\"fileinto\", \"variables\"];\n"
    "set \"k\" \"*acme*\"; if header :matches \"Subject\" \"${k}\" { fileinto \"wild\"; }",
    "require [\"fileinto\", \"variables\"];\n"
    "set :quotewildcard \"k\" \"*acme*\"; if header :matches \"Subject\" \"${k}\" { fileinto \"quoted\"; }",
    "require [\"fileinto\", \"variables\"];\n"
    "if header :matches \"Subject\" \"*[*]*\" { fileinto \"${1}|${2}|${3}\"; }",
    "require [\"fileinto\", \"variables\"]; if header :matches \"Subject\" \"*\" { fileinto \"all-${1}\"; }",
    "require [\"fileinto\", \"variables\"]; if string :matches \"abc\" \"a?c\" { fileinto \"q-${1}\"; }",
    "require [\"fileinto\", \"variables\"]; if string :is \"${0}${1}\" \"\" { fileinto \"nomatch\"; }",
    "require \"fileinto\"; if address :all :is \"to\" \"BOB+LISTS@EXAMPLE.COM\" { fileinto \"ci\"; }",
    "require \"fileinto\"; if header :is \"X-Missing\" \"\" { fileinto \"wrong\"; }",
    "require [\"fileinto\", \"relational\"]; if header :value \"eq\" \"X-Spam-Score\" \"7\" { fileinto \"eq\"; }",
    "require [\"fileinto\", \"date\", \"variables\"];\n"
    "if date :matches :originalzone \"date\" \"zone\" \"*\" { fileinto \"z${1}\"; }",
    "require [\"fileinto\", \"date\", \"variables\"];\n"
    "if date :matches :originalzone \"date\" \"std11\" \"*\" { fileinto \"${1}\"; }",
    "require [\"fileinto\", \"date\", \"variables\"];\n"
    "if date :matches :zone \"-0130\" \"date\" \"iso8601\" \"*\" { fileinto \"${1}\"; }",
    "require [\"fileinto\", \"date\", \"variables\"];\n"
    "if date :matches \"date\" \"julian\" \"*\" { fileinto \"mjd${1}\"; }",
    "require [\"fileinto\", \"body\"]; if body :raw :contains \"--b\" { fileinto \"boundary\"; }",
    "require \"fileinto\"; if address :domain :matches \"from\" \"*.ORG\" { fileinto \"org\"; }",
    "require [\"fileinto\", \"regex\", \"variables\"];\n"
    "if header :regex \"Subject\" \"^\\\\[([^]]+)\\\\] \\\\[([a-z]+)\\\\]\" { fileinto \"${2}-${1}-${3}\"; }",
    "require [\"fileinto\", \"variables\"];\n"
    "set \"x\" \"a\"; set \"y\" \"${x}${x}\"; set :upper \"y\" \"${y}-${x}\"; fileinto \"${y}\";",
    "require [\"fileinto\", \"variables\"]; set \"a\" \"x\"; fileinto \"${a${a}}${\";",
    "require [\"fileinto\", \"variables\", \"encoded-character\"]; fileinto \"x${hex:24}{a}\";",
    "require [\"fileinto\", \"imap4flags\", \"variables\"];\n"
    "set \"v\" \"$A $B\"; addflag \"v\" \"\\\\Seen\"; removeflag \"v\" \"$a\"; fileinto \"${v}\";",
    "require [\"fileinto\", \"imap4flags\", \"variables\"];\n"
    "set \"v\" \"\\\\\\\\A \\\\\\\\B\"; addflag \"v\" \"\\\\\\\\C\"; removeflag \"v\" \"\\\\\\\\a\"; fileinto \"${v}\";",
    "require [\"fileinto\", \"subaddress\", \"variables\"];\n"
    "if address :matches :user \"to\" \"*\" { fileinto \"u-${1}\"; }",
    "require [\"fileinto\", \"editheader\", \"variables\"];\n"
    "addheader :last \"X-Z\" \"1\"; addheader \"X-Z\" \"2\";\n"
    "if header :matches \"X-Z\" \"*\" { fileinto \"first-${1}\"; }",
    "require [\"fileinto\", \"imap4flags\"]; setflag \"\\\\Seen \\\\Flagged\"; removeflag \"\\\\Seen\";\n"
    "if hasflag :is \"\\\\Seen\" { fileinto \"seen\"; } elsif hasflag \"\\\\flagged\" { fileinto \"flagged\"; }",
};

class PigeonholeCheck : public ::testing::Test {
 protected:
  void SetUp() override {
    if (access("/usr/bin/sieve-test", X_OK) != 0) GTEST_SKIP() << "sieve-test (dovecot-sieve) is not installed";
    chmod(dir_.path().c_str(), 0777);  // sieve-test may run as nobody, see command()
    write("message.eml", kMessage);
  }

  void write(const std::string& name, const std::string& text) {
    std::ofstream(dir_.path() / name, std::ios::binary) << text;
    chmod((dir_.path() / name).c_str(), 0644);
  }

  // Run as root, sieve-test refuses to start without a mail_uid: drop to nobody.
  std::string command(const std::string& script) {
    std::string d = dir_.path().string();
    std::string prefix = geteuid() == 0 ? "setpriv --reuid=65534 --regid=65534 --clear-groups " : "";
    return prefix + "env HOME=" + d + " sieve-test -x '+editheader +vacation-seconds' -f alice@example.org " +
           "-r bob+lists@example.com " + d + "/" + script + " " + d + "/message.eml 2>&1";
  }

  // sieve-test's report as the sorted list of kurier-style action names.
  std::vector<std::string> pigeonhole(const std::string& script) {
    write("s.sieve", script);
    FILE* p = popen(command("s.sieve").c_str(), "r");
    std::string out;
    std::array<char, 4096> buf;
    size_t n;
    while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
    pclose(p);
    std::vector<std::string> actions;
    if (out.find("final result: failed") != std::string::npos) return {"error"};
    if (out.find("failed to compile") != std::string::npos) return {"compile-error"};
    std::istringstream lines(out);
    std::string line;
    bool implicit = false;
    while (std::getline(lines, line)) {
      if (line.rfind("Implicit keep:", 0) == 0) implicit = true;
      auto after = [&](std::string_view prefix) { return line.substr(prefix.size()); };
      if (line.rfind(" * store message in folder: ", 0) == 0) {
        std::string folder = after(" * store message in folder: ");
        actions.push_back(implicit ? "implicit-keep" : folder == "INBOX" ? "keep" : "fileinto:" + folder);
      } else if (line.rfind(" * redirect message to: <", 0) == 0) {
        std::string to = after(" * redirect message to: <");
        actions.push_back("redirect:" + to.substr(0, to.find('>')));
      } else if (line == " * discard") {
        actions.push_back("discard");
      } else if (line.rfind(" * reject message with reason: ", 0) == 0) {
        actions.push_back("reject:" + after(" * reject message with reason: "));
      } else if (line.rfind(" * send vacation message", 0) == 0) {
        actions.push_back("vacation");
      }
    }
    if (out.find("Performed actions:") == std::string::npos) ADD_FAILURE() << "sieve-test said:\n" << out;
    std::sort(actions.begin(), actions.end());
    return actions;
  }

  std::vector<std::string> kurier(const std::string& script, const char* message = kMessage) {
    if (!compile(script, ExtensionSet::all()).ok()) return {"compile-error"};
    test::TestEnv env(message);
    env.env = Envelope{"alice@example.org", "bob+lists@example.com", ""};
    Result r = test::run(script, env);
    if (!r.ok()) return {"error"};
    std::vector<std::string> actions;
    for (const Action& a : r.actions) {
      if (auto* k = std::get_if<Keep>(&a)) actions.push_back(k->implicit ? "implicit-keep" : "keep");
      else if (auto* f = std::get_if<FileInto>(&a)) actions.push_back(f->mailbox == "INBOX" ? "keep" : "fileinto:" + f->mailbox);
      else if (auto* d = std::get_if<Redirect>(&a)) actions.push_back("redirect:" + d->address);
      else if (std::holds_alternative<Discard>(a)) actions.push_back("discard");
      else if (auto* j = std::get_if<Reject>(&a)) actions.push_back("reject:" + j->reason);
      else if (std::holds_alternative<Vacation>(a)) actions.push_back("vacation");
    }
    std::sort(actions.begin(), actions.end());
    return actions;
  }

  testing::TempDir dir_{"kurier-sieve"};
};

TEST_F(PigeonholeCheck, ReportIsUnderstood) {
  EXPECT_EQ(pigeonhole(""), std::vector<std::string>{"implicit-keep"});
  EXPECT_EQ(pigeonhole("require \"fileinto\"; fileinto \"Lists\"; redirect \"a@b.example\";"),
            (std::vector<std::string>{"fileinto:Lists", "redirect:a@b.example"}));
  EXPECT_EQ(pigeonhole("require \"reject\"; reject \"no thanks\";"), std::vector<std::string>{"reject:no thanks"});
  EXPECT_EQ(pigeonhole("require \"variables\"; set \"a\" \"bad\"; redirect \"${a}\";"),
            std::vector<std::string>{"error"});
  EXPECT_EQ(pigeonhole("filein \"x\";"), std::vector<std::string>{"compile-error"});
}

// Scripts both implementations must refuse to compile.
const char* kInvalid[] = {
    "if header :index 1 \"a\" \"b\" {}",
    "fileinto :flags \"x\" \"box\";",
    "set \"x\" \"y\";",
    "require \"vacation\"; vacation :days 1 :days 2 \"x\";",
    "require \"copy\"; redirect :copy :copy \"a@b.example\";",
    "if address :all :localpart \"to\" \"x\" {}",
    "require \"fileinto\"; fileinto \"a\" \"b\";",
    "if true",
    "stop \"x\";",
    "if header :comparator 5 \"a\" \"b\" {}",
    "if allof () {}",
    "if not {}",
    "require \"fileinto\"; fileinto :create \"x\";",
    "require \"date\"; if date :zone \"+0100\" :originalzone \"date\" \"year\" \"2026\" {}",
    "require \"include\"; return \"x\";",
    "require \"body\"; if body :raw :text \"x\" {}",
    "require [\"relational\"]; if header :count \"eq\" :matches \"a\" \"b\" {}",
    "require \"enotify\"; notify :importance \"4\" \"mailto:a@b.example\";",
    "require \"editheader\"; addheader \"Bad Name\" \"x\";",
    "redirect \"\";",
    "require \"imap4flags\"; if hasflag :comparator \"i;foo\" \"x\" {}",
    "require \"variables\"; set :lower :upper \"a\" \"b\";",
    "require \"duplicate\"; if duplicate :header \"a\" :uniqueid \"b\" {}",
    "require \"regex\"; if header :regex \"a\" \"[\" {}",
    "require \"index\"; if header :last \"a\" \"b\" {}",
    "require \"mailbox\"; if mailboxexists {}",
    "require \"enotify\"; notify \"foo:bar\";",
    "if exists \"a\" \"b\" {}",
    "if address \"subject\" \"x\" {}",
    "require \"include\"; include :personal :global \"x\";",
    "filein \"x\";",
    "fileinto \"x\";",
    "keep",
    "if true { keep; ",
    "if header :is :contains \"a\" \"b\" {}",
    "if header :comparator \"i;foo\" \"a\" \"b\" {}",
    "require \"nosuch\";",
    "keep; require \"fileinto\";",
    "redirect \"no-at-sign\";",
    "if size 10 {}",
    "require \"variables\"; set \"1a\" \"x\";",
    "require \"relational\"; if header :value \"xx\" \"a\" \"b\" {}",
    "require \"vacation\"; vacation :days \"1\" \"x\";",
    "if true {} else {} else {}",
    "require \"comparator-i;ascii-numeric\"; if header :contains :comparator \"i;ascii-numeric\" \"a\" \"1\" {}",
};

TEST_F(PigeonholeCheck, SameScriptsRefused) {
  for (const char* script : kInvalid) EXPECT_EQ(kurier(script), pigeonhole(script)) << "script:\n" << script;
}

// Address lists and encoded words that parsers disagree on.
const char* kOddMessage =
    "From: \"Doe, John\" <john.doe@Example.COM>\r\n"
    "To: undisclosed-recipients:;\r\n"
    "Cc: =?UTF-8?Q?J=C3=BCrgen?= <juergen@example.de>, <bare@example.net>, group: a@g.example, b@g.example;\r\n"
    "Subject: =?ISO-8859-1?Q?caf=E9?= time\r\n"
    "\r\n"
    "body\r\n";

const char* kOddScripts[] = {
    "require \"fileinto\"; if address :localpart \"from\" \"john.doe\" { fileinto \"a\"; }",
    "require \"fileinto\"; if address :domain :is \"from\" \"example.com\" { fileinto \"b\"; }",
    "require [\"fileinto\", \"variables\"]; if address :all :matches \"from\" \"*\" { fileinto \"${1}\"; }",
    "require \"fileinto\"; if header :contains \"cc\" \"J\xC3\xBCrgen\" { fileinto \"c\"; }",
    "require \"fileinto\"; if header :is \"subject\" \"caf\xC3\xA9 time\" { fileinto \"d\"; }",
    "require [\"fileinto\", \"relational\", \"comparator-i;ascii-numeric\"];\n"
    "if address :count \"eq\" :comparator \"i;ascii-numeric\" \"cc\" \"4\" { fileinto \"four\"; }",
    "require [\"fileinto\", \"relational\", \"comparator-i;ascii-numeric\"];\n"
    "if address :count \"eq\" :comparator \"i;ascii-numeric\" \"to\" \"0\" { fileinto \"none\"; }",
    "require \"fileinto\"; if address :domain \"cc\" \"g.example\" { fileinto \"group\"; }",
    "require \"fileinto\"; if exists \"to\" { fileinto \"e\"; }",
};

TEST_F(PigeonholeCheck, SameActionsOnOddAddresses) {
  write("message.eml", kOddMessage);
  for (const char* script : kOddScripts) {
    std::vector<std::string> theirs = pigeonhole(script);
    std::vector<std::string> ours = kurier(script, kOddMessage);
    EXPECT_EQ(ours, theirs) << "script:\n" << script;
  }
}

TEST_F(PigeonholeCheck, SameActionsAsSieveTest) {
  for (const char* script : kScripts) {
    std::vector<std::string> theirs = pigeonhole(script);
    std::vector<std::string> ours = kurier(script);
    EXPECT_EQ(ours, theirs) << "script:\n" << script;
  }
}

}  // namespace
}  // namespace kurier::sieve
