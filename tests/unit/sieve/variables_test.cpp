// The variables extension (RFC 5229), with encoded-character and match variables, and the
// imap4flags extension (RFC 5232) which keeps its flags in variables.
#include <gtest/gtest.h>

#include "test_env.h"

namespace kurier::sieve {
namespace {

using test::holds;
using test::run;
using test::summary;
using test::TestEnv;

std::string fileinto_with(std::string_view setup, std::string_view mailbox) {
  return summary(run("require [\"variables\", \"fileinto\"];\n" + std::string(setup) + "\nfileinto \"" +
                     std::string(mailbox) + "\";"));
}

TEST(SieveVariables, SetAndExpand) {
  EXPECT_EQ(fileinto_with("set \"a\" \"x\"; set \"B\" \"y\";", "${a}-${b}-${A}"), "fileinto:x-y-x");
  EXPECT_EQ(fileinto_with("", "[${unknown}]"), "fileinto:[]");
  // RFC 5229 3: a reference that is not well formed stays as written.
  EXPECT_EQ(fileinto_with("set \"a\" \"x\";", "${a${a}}${-}${"), "fileinto:${ax}${-}${");
  EXPECT_EQ(fileinto_with("", "x${foo.bar}${global.a}${foo.}y"), "fileinto:x${foo.}y");  // unknown namespaces are empty
  EXPECT_EQ(fileinto_with("set \"a\" \"${b}\"; set \"b\" \"B\";", "x${a}"), "fileinto:x");  // expanded at set time
}

// RFC 5229 4.1, with the examples of the RFC.
TEST(SieveVariables, Modifiers) {
  EXPECT_EQ(fileinto_with("set :upper \"a\" \"Juliet\";", "${a}"), "fileinto:JULIET");
  EXPECT_EQ(fileinto_with("set :lower \"a\" \"Juliet\";", "${a}"), "fileinto:juliet");
  EXPECT_EQ(fileinto_with("set :upperfirst \"a\" \"juliet\";", "${a}"), "fileinto:Juliet");
  EXPECT_EQ(fileinto_with("set :lowerfirst \"a\" \"JULIET\";", "${a}"), "fileinto:jULIET");
  EXPECT_EQ(fileinto_with("set :upperfirst :lower \"a\" \"JULIET\";", "${a}"), "fileinto:Juliet");  // :lower first
  EXPECT_EQ(fileinto_with("set :quotewildcard \"a\" \"Rock*\";", "${a}"), "fileinto:Rock\\*");
  EXPECT_EQ(fileinto_with("set :length \"a\" \"ab\xC3\xA9\";", "${a}"), "fileinto:3");  // characters, not bytes
  EXPECT_EQ(fileinto_with("set :length :quotewildcard \"a\" \"a*\";", "${a}"), "fileinto:3");
}

TEST(SieveVariables, StringTest) {
  const char* req = "require \"variables\";\n";
  EXPECT_TRUE(holds(std::string(req) + "string :is \"abc\" \"abc\""));
  EXPECT_TRUE(holds(std::string(req) + "set \"x\" \"hello\";\nstring :matches \"${x}\" \"h*o\""));
  EXPECT_FALSE(holds(std::string(req) + "string :is \"${unset}\" \"x\""));
  // RFC 5229 5: :count counts the non-empty strings.
  EXPECT_TRUE(holds("require [\"variables\", \"relational\"];\nstring :count \"eq\" [\"a\", \"\", \"b\"] \"2\""));
}

// RFC 5229 3.2: match variables, with the RFC's List-ID and Subject examples.
TEST(SieveVariables, MatchVariables) {
  TestEnv env("List-ID: Jane's list <jane-list@example.com>\r\nSubject: [acme-users] [fwd] version 1.0 is out\r\n\r\n");
  auto r = run("require [\"variables\", \"fileinto\"];\n"
               "if header :matches \"List-ID\" \"*<*@*\" { fileinto \"INBOX.lists.${2}\"; stop; }", env);
  EXPECT_EQ(summary(r), "fileinto:INBOX.lists.jane-list");
  r = run("require [\"variables\", \"fileinto\"];\n"
          "if header :matches \"Subject\" \"[*] *\" { fileinto \"${1}/${2}/${0}\"; }", env);
  EXPECT_EQ(summary(r), "fileinto:acme-users/[fwd] version 1.0 is out/[acme-users] [fwd] version 1.0 is out");
  // A failed match leaves the variables as they were.
  r = run("require [\"variables\", \"fileinto\"];\n"
          "if header :matches \"Subject\" \"[*]*\" {}\n"
          "if header :matches \"Subject\" \"nomatch*\" {}\n"
          "fileinto \"${1}\";", env);
  EXPECT_EQ(summary(r), "fileinto:acme-users");
  r = run("require [\"variables\", \"fileinto\"];\n"
          "if header :matches \"Subject\" \"?acme*\" { fileinto \"${1}|${2}|${3}\"; }", env);
  EXPECT_EQ(summary(r), "fileinto:[|-users] [fwd] version 1.0 is out|");
}

TEST(SieveVariables, TooLongValuesAreTruncated) {
  Limits limits;
  limits.max_variable_size = 5;
  Result r = run("require [\"variables\", \"fileinto\"]; set \"a\" \"123456789\"; fileinto \"${a}\";", TestEnv(), limits);
  EXPECT_EQ(summary(r), "fileinto:12345");
  limits = Limits{};
  limits.max_variables = 2;
  r = run("require \"variables\"; set \"a\" \"1\"; set \"b\" \"2\"; set \"c\" \"3\";", TestEnv(), limits);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error->find("too many variables (limit 2)"), std::string::npos);
}

TEST(SieveVariables, ExpansionIsBounded) {
  Limits limits;
  limits.max_string_size = 100;
  Result r = run("require [\"variables\", \"fileinto\"]; set \"a\" \"0123456789012345678901234567890123456789\";"
                 " set \"b\" \"${a}${a}${a}\";", TestEnv(), limits);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error->find("string too long after variable expansion"), std::string::npos);
}

TEST(SieveVariables, GlobalNamespaceAndReturn) {
  TestEnv env;
  env.personal_scripts["child"] = "require [\"include\", \"variables\"]; set \"global.x\" \"from-child\";";
  Result r = run("require [\"include\", \"variables\", \"fileinto\"];\n"
                 "global \"x\"; include \"child\"; fileinto \"${x}|${global.x}\"; return; discard;", env);
  EXPECT_EQ(summary(r), "fileinto:from-child|from-child");
}

TEST(SieveImap4flags, FlagsGoWithKeepAndFileinto) {
  Result r = run("require [\"imap4flags\", \"fileinto\"];\n"
                 "setflag \"\\\\Seen\";\naddflag [\"$Work\", \"\\\\Flagged $Work\"];\n"
                 "fileinto \"A\";\nremoveflag \"\\\\seen\";\nkeep;\n"
                 "fileinto :flags \"\\\\Deleted\" \"B\";");
  ASSERT_TRUE(r.ok()) << *r.error;
  ASSERT_EQ(r.actions.size(), 3u);
  EXPECT_EQ(std::get<FileInto>(r.actions[0]).flags, (std::vector<std::string>{"\\Seen", "$Work", "\\Flagged"}));
  EXPECT_EQ(std::get<Keep>(r.actions[1]).flags, (std::vector<std::string>{"$Work", "\\Flagged"}));
  EXPECT_EQ(std::get<FileInto>(r.actions[2]).flags, (std::vector<std::string>{"\\Deleted"}));
  EXPECT_EQ(r.flags, (std::vector<std::string>{"$Work", "\\Flagged"}));
}

TEST(SieveImap4flags, InvalidFlagsAreIgnored) {
  Result r = run("require [\"imap4flags\", \"fileinto\"];\n"
                 "addflag \"\\\\Foo bar\\\\ $ok \\\\seen \\\\Recent (x)\";\n"
                 "fileinto :flags \"\\\\Draft \\\\Nope\" \"A\";");
  ASSERT_TRUE(r.ok()) << *r.error;
  EXPECT_EQ(r.flags, (std::vector<std::string>{"$ok", "\\seen"}));
  EXPECT_EQ(std::get<FileInto>(r.actions[0]).flags, std::vector<std::string>{"\\Draft"});
}

TEST(SieveImap4flags, ImplicitKeepCarriesTheFlags) {
  Result r = run("require \"imap4flags\"; addflag \"\\\\Seen\";");
  ASSERT_EQ(r.actions.size(), 1u);
  EXPECT_EQ(std::get<Keep>(r.actions[0]).flags, (std::vector<std::string>{"\\Seen"}));
}

TEST(SieveImap4flags, HasflagAndVariables) {
  const char* req = "require [\"imap4flags\", \"variables\"];\n";
  EXPECT_TRUE(holds(std::string(req) + "addflag \"\\\\Seen $x\";\nhasflag :is \"$X\""));
  EXPECT_FALSE(holds(std::string(req) + "hasflag :contains \"s\""));
  EXPECT_TRUE(holds(std::string(req) + "addflag \"myvar\" \"a b\";\nhasflag \"myvar\" \"b\""));
  EXPECT_FALSE(holds(std::string(req) + "addflag \"myvar\" \"a b\";\nhasflag \"b\""));  // internal variable is empty
  EXPECT_TRUE(holds("require [\"imap4flags\", \"relational\"];\naddflag \"a b c\";\nhasflag :count \"eq\" \"3\""));
  auto r = run("require [\"imap4flags\", \"variables\", \"fileinto\"];\n"
               "set \"f\" \"x\"; addflag \"f\" \"y\"; removeflag \"f\" \"X\"; fileinto \"${f}\";");
  EXPECT_EQ(summary(r), "fileinto:y");
}

}  // namespace
}  // namespace kurier::sieve
