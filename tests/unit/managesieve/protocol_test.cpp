// The ManageSieve grammar (RFC 5804 4): commands over lines and literals, and the string forms
// of responses.
#include "managesieve/protocol.h"

#include <gtest/gtest.h>

namespace kurier::managesieve {
namespace {

TEST(CommandTokenizer, NameAndQuotedArguments) {
  CommandTokenizer t(1024);
  auto step = t.feed_line(R"(putScript "my \"best\" \\ script" "keep;")");
  ASSERT_EQ(step.kind, CommandTokenizer::Step::Kind::complete) << step.error;
  EXPECT_EQ(t.command().name, "PUTSCRIPT");
  ASSERT_EQ(t.command().args.size(), 2u);
  EXPECT_EQ(t.command().args[0].text, R"(my "best" \ script)");
  EXPECT_EQ(t.command().args[1].text, "keep;");
}

TEST(CommandTokenizer, NumbersAndNoArguments) {
  CommandTokenizer t(1024);
  ASSERT_EQ(t.feed_line(R"(HAVESPACE "s" 32768)").kind, CommandTokenizer::Step::Kind::complete);
  EXPECT_EQ(t.command().args[1].kind, Argument::Kind::number);
  EXPECT_EQ(t.command().args[1].number, 32768u);
  CommandTokenizer u(1024);
  ASSERT_EQ(u.feed_line("LISTSCRIPTS").kind, CommandTokenizer::Step::Kind::complete);
  EXPECT_TRUE(u.command().args.empty());
}

TEST(CommandTokenizer, LiteralsSpanLines) {
  CommandTokenizer t(1024);
  auto step = t.feed_line(R"(PUTSCRIPT "a" {6+})");
  ASSERT_EQ(step.kind, CommandTokenizer::Step::Kind::literal);
  EXPECT_EQ(step.literal_size, 6u);
  EXPECT_FALSE(step.synchronizing);
  t.feed_literal("keep;\n");
  ASSERT_EQ(t.feed_line("").kind, CommandTokenizer::Step::Kind::complete);
  EXPECT_EQ(t.command().args[1].text, "keep;\n");

  CommandTokenizer two(1024);  // a literal, then more arguments after it on the next line
  ASSERT_EQ(two.feed_line("RENAMESCRIPT {3}").kind, CommandTokenizer::Step::Kind::literal);
  two.feed_literal("old");
  ASSERT_EQ(two.feed_line(R"( "new")").kind, CommandTokenizer::Step::Kind::complete);
  EXPECT_EQ(two.command().args[0].text, "old");
  EXPECT_EQ(two.command().args[1].text, "new");
}

TEST(CommandTokenizer, MalformedInputIsAnErrorWithAReason) {
  for (const char* line : {"", "\"quoted\"", "PUTSCRIPT \"unterminated", "PUTSCRIPT  \"two spaces\"",
                           "PUTSCRIPT \"a\" atom", "HAVESPACE \"a\" 99999999999", "PUTSCRIPT \"bad \\x escape\"",
                           "PUTSCRIPT {12x+}", "PUTSCRIPT {5+} trailing", "NOOP "}) {
    CommandTokenizer t(1024);
    auto step = t.feed_line(line);
    EXPECT_EQ(step.kind, CommandTokenizer::Step::Kind::error) << line;
    EXPECT_FALSE(step.error.empty()) << line;
  }
}

TEST(CommandTokenizer, LiteralOverTheLimitIsRefusedBeforeItsBytes) {
  CommandTokenizer t(100);
  auto step = t.feed_line("PUTSCRIPT \"a\" {101+}");
  EXPECT_EQ(step.kind, CommandTokenizer::Step::Kind::error);
  auto announced = literal_at_end("PUTSCRIPT \"a\" {101+}");
  ASSERT_TRUE(announced);
  EXPECT_EQ(announced->size, 101u);
}

TEST(EncodeString, QuotesShortTextAndUsesLiteralsForLines) {
  EXPECT_EQ(encode_string("plain"), "\"plain\"");
  EXPECT_EQ(encode_string("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(encode_string("keep;\r\n"), "{7}\r\nkeep;\r\n");
  EXPECT_EQ(encode_string(std::string(2000, 'x')).substr(0, 8), "{2000}\r\n");
}

TEST(Response, KindCodeAndText) {
  EXPECT_EQ(response("OK", "", ""), "OK\r\n");
  EXPECT_EQ(response("NO", "QUOTA/MAXSIZE", "Too big"), "NO (QUOTA/MAXSIZE) \"Too big\"\r\n");
  EXPECT_EQ(response("BYE", "", "line 1:\r\nbad"), "BYE {12}\r\nline 1:\r\nbad\r\n");
}

}  // namespace
}  // namespace kurier::managesieve
