// Sieve syntax (RFC 5228 2 and 8): lexing, parsing, and the line/column of every error.
#include <gtest/gtest.h>

#include "sieve/parser.h"
#include "test_env.h"

namespace kurier::sieve {
namespace {

using test::compile_error;

ast::ParseResult parse_ok(std::string_view s) {
  ast::ParseResult r = ast::parse(s, Limits{});
  EXPECT_TRUE(r.errors.empty()) << r.errors[0].to_string();
  return r;
}

std::string parse_error(std::string_view s, const Limits& limits = {}) {
  ast::ParseResult r = ast::parse(s, limits);
  return r.errors.empty() ? "" : r.errors[0].to_string();
}

TEST(SieveParser, CommandsArgumentsAndBlocks) {
  auto r = parse_ok("require [\"fileinto\", \"copy\"];\n"
                    "if header :contains \"Subject\" \"x\" { fileinto :copy \"A\"; } else { keep; }\n");
  ASSERT_EQ(r.commands.size(), 3u);
  EXPECT_EQ(r.commands[0].name, "require");
  EXPECT_EQ(r.commands[0].args[0].strings, (std::vector<std::string>{"fileinto", "copy"}));
  EXPECT_TRUE(r.commands[0].args[0].bracketed);
  const ast::Command& iff = r.commands[1];
  EXPECT_EQ(iff.tests[0].name, "header");
  ASSERT_EQ(iff.tests[0].args.size(), 3u);
  EXPECT_EQ(iff.tests[0].args[0].tag, "contains");
  EXPECT_EQ(iff.block[0].name, "fileinto");
  EXPECT_EQ(iff.pos.line, 2);
  EXPECT_EQ(iff.pos.column, 1);
  EXPECT_EQ(r.commands[2].name, "else");
}

TEST(SieveParser, NamesAreCaseInsensitive) {
  auto r = parse_ok("IF Header :Contains \"Subject\" \"X\" { KEEP; }");
  EXPECT_EQ(r.commands[0].name, "if");
  EXPECT_EQ(r.commands[0].tests[0].name, "header");
  EXPECT_EQ(r.commands[0].tests[0].args[0].tag, "contains");
  EXPECT_EQ(r.commands[0].tests[0].args[1].strings[0], "Subject");  // strings keep their case
}

TEST(SieveParser, NumbersWithQuantifiers) {
  auto r = parse_ok("a 10 1K 2M 3G 0;");
  const auto& a = r.commands[0].args;
  EXPECT_EQ(a[0].number, 10u);
  EXPECT_EQ(a[1].number, 1024u);
  EXPECT_EQ(a[2].number, 2u << 20);
  EXPECT_EQ(a[3].number, 3ull << 30);
  EXPECT_EQ(a[4].number, 0u);
  EXPECT_EQ(parse_error("a 99999999999999999999;"), "line 1, column 3: number too large");
  EXPECT_EQ(parse_error("a 17179869184G;"), "line 1, column 3: number too large");
  EXPECT_EQ(parse_error("a 12x;"), "line 1, column 3: invalid number");
}

TEST(SieveParser, QuotedStringsAndEscapes) {
  auto r = parse_ok("a \"q\\\"uote\\\\ \\x\";");
  EXPECT_EQ(r.commands[0].args[0].strings[0], "q\"uote\\ x");
  auto multi = parse_ok("a \"line1\nline2\";");  // RFC 5228 2.4.2: strings may span lines
  EXPECT_EQ(multi.commands[0].args[0].strings[0], "line1\nline2");
}

TEST(SieveParser, MultiLineStringsAreDotUnstuffed) {
  auto r = parse_ok("a text: # comment\r\nline one\r\n..dot line\r\n.not end\r\n.\r\n;\n");
  EXPECT_EQ(r.commands[0].args[0].strings[0], "line one\r\n.dot line\r\n.not end\r\n");
  auto lf = parse_ok("a text:\nx\n.\n;");
  EXPECT_EQ(lf.commands[0].args[0].strings[0], "x\r\n");
  EXPECT_EQ(parse_error("a text: x\n.\n;"), "line 1, column 9: 'text:' must be followed by the end of the line");
  EXPECT_EQ(parse_error("a text:\nno end\n"), "line 1, column 3: unterminated multi-line string");
}

TEST(SieveParser, Comments) {
  auto r = parse_ok("# hash\nkeep; /* bracket\n comment */ stop; # trailing");
  ASSERT_EQ(r.commands.size(), 2u);
  EXPECT_EQ(r.commands[1].pos.line, 3);
  EXPECT_EQ(parse_error("keep;\n  /* never closed"), "line 2, column 3: unterminated comment");
}

TEST(SieveParser, TestListsAndNesting) {
  auto r = parse_ok("if anyof (not true, allof (true, false)) { }");
  const ast::Test& anyof = r.commands[0].tests[0];
  EXPECT_TRUE(anyof.test_list);
  ASSERT_EQ(anyof.tests.size(), 2u);
  EXPECT_EQ(anyof.tests[0].tests[0].name, "true");
  EXPECT_EQ(anyof.tests[1].tests.size(), 2u);
}

TEST(SieveParser, ErrorsCarryLineAndColumn) {
  EXPECT_EQ(parse_error("keep"), "line 1, column 5: expected ';' or '{' after 'keep' but found end of script");
  EXPECT_EQ(parse_error("if true {\n  keep;\n"), "line 3, column 1: expected a command or '}' but found end of script");
  EXPECT_EQ(parse_error("keep;\n\"str\";"), "line 2, column 1: expected a command but found a string");
  EXPECT_EQ(parse_error("a [\"x\" \"y\"];"), "line 1, column 8: expected ',' or ']' but found a string");
  EXPECT_EQ(parse_error("a [];"), "line 1, column 4: expected a string in the list but found ']'");
  EXPECT_EQ(parse_error("if anyof (true; false) {}"), "line 1, column 15: expected ',' or ')' but found ';'");
  // "true false" is a test with a test argument: valid syntax that validation refuses.
  EXPECT_EQ(parse_error("if anyof (true false) {}"), "");
  EXPECT_EQ(compile_error("if anyof (true false) {}"), "line 1, column 11: 'true' takes no test");
  EXPECT_EQ(parse_error("a \"unterminated;"), "line 1, column 3: unterminated string");
  EXPECT_EQ(parse_error("a : b;"), "line 1, column 3: a tag needs a name after ':'");
  EXPECT_EQ(parse_error("a @;"), "line 1, column 3: unexpected character '@'");
}

TEST(SieveParser, NestingAndSizeLimits) {
  std::string deep;
  for (int i = 0; i < 40; ++i) deep += "if true {";
  for (int i = 0; i < 40; ++i) deep += "}";
  EXPECT_NE(parse_error(deep).find("nesting too deep (limit 32)"), std::string::npos);
  std::string tests = "if ";
  for (int i = 0; i < 100000; ++i) tests += "not ";
  tests += "true {}";
  EXPECT_NE(parse_error(tests).find("nesting too deep"), std::string::npos);
  Limits small;
  small.max_script_size = 10;
  EXPECT_EQ(parse_error("keep; keep; keep;", small), "line 1, column 1: script too large (17 bytes, limit 10)");
  small = Limits{};
  small.max_string_size = 4;
  EXPECT_EQ(parse_error("a \"12345\";", small), "line 1, column 3: string too long");
}

TEST(SieveCompile, UnknownCommandIsReportedWhereItIs) {
  EXPECT_EQ(compile_error("require \"fileinto\";\nif true {\n      filein \"x\";\n}"),
            "line 3, column 7: unknown command 'filein'");
}

}  // namespace
}  // namespace kurier::sieve
