#include "smtp_protocol/reply.h"

#include <gtest/gtest.h>

#include <string>

namespace kurier::smtp {
namespace {

TEST(FormatReply, SingleLine) {
  EXPECT_EQ(format_reply(250, "2.1.0", "Ok"), "250 2.1.0 Ok\r\n");
  EXPECT_EQ(format_reply(220, "", "mx.example ESMTP"), "220 mx.example ESMTP\r\n");
  EXPECT_EQ(format_reply(250, "", ""), "250\r\n");
  EXPECT_EQ(format_reply(250, "2.0.0", ""), "250 2.0.0\r\n");
}

TEST(FormatReply, MultiLine) {
  EXPECT_EQ(format_reply(250, "", "mx.example\nPIPELINING\nSIZE 10240000\n8BITMIME"),
            "250-mx.example\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250 8BITMIME\r\n");
  EXPECT_EQ(format_reply(550, "5.7.1", "first\nsecond"), "550-5.7.1 first\r\n550 5.7.1 second\r\n");
}

TEST(FormatReply, ControlCharactersCannotBreakLines) {
  EXPECT_EQ(format_reply(250, "", "a\rb\x01" "c"), "250 a b c\r\n");
  EXPECT_EQ(format_reply(250, "", "a\r\nb"), "250-a\r\n250 b\r\n");
  EXPECT_EQ((Reply{501, "5.1.7", "Bad sender address syntax"}.wire()), "501 5.1.7 Bad sender address syntax\r\n");
}

TEST(ReplyParser, SingleLineWithEnhancedCode) {
  ReplyParser p;
  ASSERT_EQ(p.feed_line("250 2.1.0 Sender ok\r"), ReplyParser::Status::Complete);
  ParsedReply r = p.take();
  EXPECT_EQ(r.code, 250);
  EXPECT_EQ(r.enhanced, "2.1.0");
  ASSERT_EQ(r.lines.size(), 1u);
  EXPECT_EQ(r.lines[0], "Sender ok");
  EXPECT_TRUE(r.positive());
}

TEST(ReplyParser, MultiLineEhlo) {
  ReplyParser p;
  EXPECT_EQ(p.feed_line("250-mx.example Hello"), ReplyParser::Status::NeedMore);
  EXPECT_EQ(p.feed_line("250-PIPELINING"), ReplyParser::Status::NeedMore);
  EXPECT_EQ(p.feed_line("250 SIZE 1000"), ReplyParser::Status::Complete);
  ParsedReply r = p.take();
  EXPECT_EQ(r.enhanced, "");
  EXPECT_EQ(r.text(), "mx.example Hello\nPIPELINING\nSIZE 1000");
}

TEST(ReplyParser, MultiLineEnhancedCodesStrippedFromEveryLine) {
  ReplyParser p;
  EXPECT_EQ(p.feed_line("550-5.7.1 Rejected"), ReplyParser::Status::NeedMore);
  EXPECT_EQ(p.feed_line("550 5.7.1 see https://example/"), ReplyParser::Status::Complete);
  ParsedReply r = p.take();
  EXPECT_EQ(r.enhanced, "5.7.1");
  EXPECT_EQ(r.text(), "Rejected\nsee https://example/");
  EXPECT_TRUE(r.permanent_failure());
}

TEST(ReplyParser, BareCodeAndEmptyText) {
  ReplyParser p;
  ASSERT_EQ(p.feed_line("354"), ReplyParser::Status::Complete);
  ParsedReply r = p.take();
  EXPECT_EQ(r.code, 354);
  EXPECT_EQ(r.text(), "");
  ASSERT_EQ(p.feed_line("250 2.0.0"), ReplyParser::Status::Complete);
  EXPECT_EQ(p.take().enhanced, "2.0.0");
}

TEST(ReplyParser, EnhancedCodeClassMustMatch) {
  ReplyParser p;
  ASSERT_EQ(p.feed_line("250 5.1.1 odd"), ReplyParser::Status::Complete);
  ParsedReply r = p.take();
  EXPECT_EQ(r.enhanced, "");
  EXPECT_EQ(r.text(), "5.1.1 odd");
  ASSERT_EQ(p.feed_line("451 4.3.0000 four digits"), ReplyParser::Status::Complete);
  EXPECT_EQ(p.take().enhanced, "");
  ASSERT_EQ(p.feed_line("451 4.3.0"), ReplyParser::Status::Complete);
  EXPECT_EQ(p.take().enhanced, "4.3.0");
}

TEST(ReplyParser, RejectsMalformed) {
  ReplyParser p;
  EXPECT_EQ(p.feed_line(""), ReplyParser::Status::Malformed);
  EXPECT_EQ(p.feed_line("25"), ReplyParser::Status::Malformed);
  EXPECT_EQ(p.feed_line("abc ok"), ReplyParser::Status::Malformed);
  EXPECT_EQ(p.feed_line("650 too high"), ReplyParser::Status::Malformed);
  EXPECT_EQ(p.feed_line("260 second digit"), ReplyParser::Status::Malformed);
  EXPECT_EQ(p.feed_line("250xok"), ReplyParser::Status::Malformed);
  EXPECT_FALSE(p.error().empty());
  EXPECT_EQ(p.feed_line("250-a"), ReplyParser::Status::NeedMore);
  EXPECT_EQ(p.feed_line("251 b"), ReplyParser::Status::Malformed);
  EXPECT_EQ(p.error(), "reply code changed within a multi-line reply");
  // After an error the parser starts afresh.
  EXPECT_EQ(p.feed_line("221 bye"), ReplyParser::Status::Complete);
  EXPECT_EQ(p.take().code, 221);
}

TEST(ReplyParser, Bounds) {
  ReplyParser p;
  EXPECT_EQ(p.feed_line("250 " + std::string(ReplyParser::kMaxLineLength, 'x')), ReplyParser::Status::Malformed);
  for (size_t i = 0; i < ReplyParser::kMaxLines; ++i)
    ASSERT_EQ(p.feed_line("250-x"), ReplyParser::Status::NeedMore);
  EXPECT_EQ(p.feed_line("250 x"), ReplyParser::Status::Malformed);
}

TEST(ReplyParser, RoundTripsFormatReply) {
  std::string wire = format_reply(452, "4.5.3", "Too many recipients\nTry later");
  ReplyParser p;
  ReplyParser::Status status = ReplyParser::Status::NeedMore;
  size_t start = 0;
  while (start < wire.size()) {
    size_t end = wire.find("\r\n", start);
    status = p.feed_line(std::string_view(wire).substr(start, end - start));
    start = end + 2;
  }
  ASSERT_EQ(status, ReplyParser::Status::Complete);
  ParsedReply r = p.take();
  EXPECT_EQ(r.code, 452);
  EXPECT_EQ(r.enhanced, "4.5.3");
  EXPECT_EQ(r.text(), "Too many recipients\nTry later");
  EXPECT_TRUE(r.transient_failure());
}

}  // namespace
}  // namespace kurier::smtp
