// Sieve semantic validation at compile time (RFC 5228 2.10.5 and each extension's syntax).
#include <gtest/gtest.h>

#include "test_env.h"

namespace kurier::sieve {
namespace {

using test::compile_error;

TEST(SieveCompile, RequireNamesKnownAndEnabledExtensions) {
  EXPECT_EQ(compile_error("require \"fileinto\"; fileinto \"x\";"), "");
  EXPECT_EQ(compile_error("require [\"comparator-i;octet\", \"comparator-i;ascii-casemap\"];"), "");
  EXPECT_EQ(compile_error("require \"foo\";"), "line 1, column 9: unsupported extension 'foo'");
  ExtensionSet no_vacation = ExtensionSet::all();
  no_vacation.disable(Extension::vacation);
  EXPECT_EQ(compile_error("require \"vacation\";", no_vacation), "line 1, column 9: unsupported extension 'vacation'");
  EXPECT_EQ(compile_error("keep;\nrequire \"fileinto\";"), "line 2, column 1: 'require' must come before any other command");
  EXPECT_EQ(compile_error("if true { require \"fileinto\"; }"), "line 1, column 11: 'require' must come before any other command");
  EXPECT_EQ(compile_error("require 1;"), "line 1, column 1: 'require' takes one string list");
}

TEST(SieveCompile, ExtensionCommandsNeedRequire) {
  EXPECT_EQ(compile_error("fileinto \"x\";"), "line 1, column 1: 'fileinto' needs require \"fileinto\"");
  EXPECT_EQ(compile_error("if envelope \"from\" \"x\" {}"), "line 1, column 4: 'envelope' needs require \"envelope\"");
  EXPECT_EQ(compile_error("require \"fileinto\"; fileinto :copy \"x\";"),
            "line 1, column 30: tag ':copy' needs require \"copy\"");
  EXPECT_EQ(compile_error("if header :regex \"a\" \"b\" {}"), "line 1, column 11: tag ':regex' needs require \"regex\"");
  EXPECT_EQ(compile_error("if header :count \"ge\" \"a\" \"1\" {}"),
            "line 1, column 11: tag ':count' needs require \"relational\"");
  EXPECT_EQ(compile_error("if address :detail \"to\" \"x\" {}"),
            "line 1, column 12: tag ':detail' needs require \"subaddress\"");
  EXPECT_EQ(compile_error("if header :comparator \"i;ascii-numeric\" \"x\" \"1\" {}"),
            "line 1, column 23: comparator 'i;ascii-numeric' needs require \"comparator-i;ascii-numeric\"");
}

TEST(SieveCompile, UnknownNamesAndMisplacedTests) {
  EXPECT_EQ(compile_error("if foo {}"), "line 1, column 4: unknown test 'foo'");
  EXPECT_EQ(compile_error("header \"a\" \"b\";"), "line 1, column 1: 'header' is a test, not a command");
  EXPECT_EQ(compile_error("if keep {}"), "line 1, column 4: 'keep' is a command, not a test");
  EXPECT_EQ(compile_error("else { }"), "line 1, column 1: 'else' without a preceding 'if'");
  EXPECT_EQ(compile_error("if true {} keep; elsif true {}"), "line 1, column 18: 'elsif' without a preceding 'if'");
  EXPECT_EQ(compile_error("if true keep;"), "line 1, column 4: 'true' takes no test");
  EXPECT_EQ(compile_error("keep { }"), "line 1, column 1: 'keep' takes no block");
  EXPECT_EQ(compile_error("if not (true, false) {}"), "line 1, column 4: 'not' needs exactly one test");
  EXPECT_EQ(compile_error("if anyof true {}"), "line 1, column 4: 'anyof' needs a test list in parentheses");
}

TEST(SieveCompile, ArgumentTypesAndCounts) {
  EXPECT_EQ(compile_error("redirect;"), "line 1, column 1: 'redirect' takes 1 argument but has 0");
  EXPECT_EQ(compile_error("redirect 5;"), "line 1, column 10: 'redirect' expects a string as address but found a number");
  EXPECT_EQ(compile_error("redirect [\"a@b.c\", \"d@e.f\"];"),
            "line 1, column 10: 'redirect' expects a string as address but found a string list");
  EXPECT_EQ(compile_error("if header \"a\" {}"), "line 1, column 11: 'header' takes 2 arguments but has 1");
  EXPECT_EQ(compile_error("if size 100 {}"), "line 1, column 9: 'size' takes 0 arguments but has 1");
  EXPECT_EQ(compile_error("if size :over \"1\" {}"), "line 1, column 9: tag ':over' needs a number after it");
  EXPECT_EQ(compile_error("if size {}"), "line 1, column 4: 'size' needs exactly one of :over and :under");
  EXPECT_EQ(compile_error("if header \"a\" \"b\" :is {}"),
            "line 1, column 11: 'header' takes 2 arguments but has 3");
  EXPECT_EQ(compile_error("require \"imap4flags\"; setflag \"var\" \"x\";"),
            "line 1, column 31: 'setflag' with a variable name needs require \"variables\"");
}

TEST(SieveCompile, TagsAreCheckedPerCommand) {
  EXPECT_EQ(compile_error("keep :copy;"), "line 1, column 6: unknown tag ':copy' for 'keep'");
  EXPECT_EQ(compile_error("if header :foo \"a\" \"b\" {}"), "line 1, column 11: unknown tag ':foo' for 'header'");
  EXPECT_EQ(compile_error("if header :is :contains \"a\" \"b\" {}"),
            "line 1, column 15: only one match type allowed (found :is and :contains)");
  EXPECT_EQ(compile_error("if address :all :domain \"to\" \"b\" {}"),
            "line 1, column 17: only one address part allowed (found :all and :domain)");
  EXPECT_EQ(compile_error("if exists :is \"a\" {}"), "line 1, column 11: unknown tag ':is' for 'exists'");
}

TEST(SieveCompile, ComparatorsAndMatchTypes) {
  EXPECT_EQ(compile_error("if header :comparator \"i;foo\" \"a\" \"b\" {}"),
            "line 1, column 23: unknown comparator 'i;foo'");
  EXPECT_EQ(compile_error("require \"comparator-i;ascii-numeric\";\n"
                          "if header :contains :comparator \"i;ascii-numeric\" \"a\" \"1\" {}"),
            "line 2, column 4: comparator 'i;ascii-numeric' cannot be used with this match type");
  EXPECT_EQ(compile_error("require \"relational\"; if header :value \"gte\" \"a\" \"1\" {}"),
            "line 1, column 40: unknown relational operator 'gte'");
  EXPECT_EQ(compile_error("require \"regex\"; if header :regex \"a\" \"(unclosed\" {}"),
            "line 1, column 39: invalid regular expression '(unclosed': Unmatched ( or \\(");
  EXPECT_EQ(compile_error("require \"regex\"; if header :regex \"a\" \"(a*)*\\\\1\" {}"),
            "line 1, column 39: invalid regular expression '(a*)*\\1': back-references are not supported");
}

TEST(SieveCompile, ConstantArgumentsAreValidated) {
  EXPECT_EQ(compile_error("redirect \"not an address\";"), "line 1, column 10: invalid redirect address 'not an address'");
  EXPECT_EQ(compile_error("if header \"bad name\" \"x\" {}"), "line 1, column 11: invalid header name 'bad name'");
  EXPECT_EQ(compile_error("require \"envelope\"; if envelope \"cc\" \"x\" {}"),
            "line 1, column 33: unknown envelope part 'cc'");
  EXPECT_EQ(compile_error("require \"date\"; if date \"date\" \"fortnight\" \"1\" {}"), "");  // false at run time
  EXPECT_EQ(compile_error("require \"date\"; if currentdate :zone \"CET\" \"year\" \"2026\" {}"),
            "line 1, column 38: invalid time zone 'CET'");
  EXPECT_EQ(compile_error("require \"variables\"; set \"1x\" \"v\";"), "line 1, column 26: invalid variable name '1x'");
  EXPECT_EQ(compile_error("require \"variables\"; set :lower :upper \"x\" \"v\";"),
            "line 1, column 22: ':lower' and ':upper' cannot be combined");
  EXPECT_EQ(compile_error("require \"vacation\"; vacation :days 1 :seconds 5 \"r\";"),
            "line 1, column 38: tag ':seconds' needs require \"vacation-seconds\"");
  EXPECT_EQ(compile_error("require [\"vacation\", \"vacation-seconds\"]; vacation :days 1 :seconds 5 \"r\";"),
            "line 1, column 43: only one of :days and :seconds allowed");
  EXPECT_EQ(compile_error("require \"vacation\"; vacation :from \"Bob <bob@example.com>\" \"x\";"), "");
  EXPECT_EQ(compile_error("require \"vacation\"; vacation :from \"Bob\" \"x\";"),
            "line 1, column 36: invalid :from address 'Bob'");
  EXPECT_EQ(compile_error("require \"enotify\"; notify \"xmpp:bob@example.com\";"),
            "line 1, column 27: unsupported or invalid notification method 'xmpp:bob@example.com'");
  EXPECT_EQ(compile_error("require \"enotify\"; notify :importance \"4\" \"mailto:a@b.c\";"),
            "line 1, column 39: importance must be \"1\", \"2\" or \"3\", not '4'");
  EXPECT_EQ(compile_error("require \"include\"; include \"../etc/passwd\";"),
            "line 1, column 28: invalid script name '../etc/passwd'");
  EXPECT_EQ(compile_error("require \"include\"; include :personal :global \"x\";"),
            "line 1, column 20: only one of :personal and :global allowed");
  EXPECT_EQ(compile_error("require \"index\"; if header :last \"a\" \"b\" {}"), "line 1, column 21: ':last' needs ':index'");
  EXPECT_EQ(compile_error("require \"index\"; if header :index 0 \"a\" \"b\" {}"), "line 1, column 35: :index counts from 1");
  EXPECT_EQ(compile_error("require \"duplicate\"; if duplicate :header \"a\" :uniqueid \"b\" {}"),
            "line 1, column 25: only one of :header and :uniqueid allowed");
}

TEST(SieveCompile, EncodedCharacters) {
  // RFC 5228 2.4.2.4: decoded only when required; malformed encodings stay as written.
  auto p = test::compiled("require [\"encoded-character\", \"fileinto\"];\n"
                          "fileinto \"${hex:40 41}${unicode:263a}${hex:zz}${unicode:}\";");
  ASSERT_TRUE(p);
  Result r = execute(*p, test::TestEnv());
  EXPECT_EQ(test::summary(r), "fileinto:@A\xE2\x98\xBA${hex:zz}");
  auto raw = test::compiled("require \"fileinto\"; fileinto \"${hex:40}\";");
  EXPECT_EQ(test::summary(execute(*raw, test::TestEnv())), "fileinto:${hex:40}");
  EXPECT_EQ(compile_error("require \"encoded-character\"; keep :flags \"${unicode:D800}\";"),
            "line 1, column 35: tag ':flags' needs require \"imap4flags\"");
  EXPECT_EQ(compile_error("require [\"encoded-character\", \"fileinto\"]; fileinto \"${unicode:110000}\";"),
            "line 1, column 53: invalid Unicode character in '${unicode:110000}'");
}

TEST(SieveCompile, SeveralErrorsAreReported) {
  CompileResult r = compile("fileinto \"a\";\nfoo;\nredirect 1;", ExtensionSet::all());
  ASSERT_EQ(r.errors.size(), 3u);
  EXPECT_EQ(r.errors[1].to_string(), "line 2, column 1: unknown command 'foo'");
  EXPECT_FALSE(r.ok());
}

TEST(SieveCompile, CapabilityString) {
  EXPECT_EQ(ExtensionSet::none().capability_string(), "");
  std::string all = ExtensionSet::all().capability_string();
  EXPECT_NE(all.find("fileinto reject ereject envelope"), std::string::npos);
  EXPECT_NE(all.find("comparator-i;ascii-numeric"), std::string::npos);
  EXPECT_EQ(extension_from_name("vacation-seconds"), Extension::vacation_seconds);
  EXPECT_EQ(extension_from_name("Vacation"), std::nullopt);  // RFC 5228 3.2: case-sensitive
}

}  // namespace
}  // namespace kurier::sieve
