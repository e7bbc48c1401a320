// POP3 answers: status lines with response codes (RFC 2449 8, RFC 3206), byte-stuffing of
// multi-line answers and messages (RFC 1939 3), and TOP's header-plus-n-lines (RFC 1939 7).
#include <gtest/gtest.h>

#include "pop3/response.h"

namespace kurier::pop3 {
namespace {

std::string stream_all(std::string_view message, std::optional<uint64_t> top = std::nullopt, size_t piece = 7) {
  MessageStream s(message, top);
  std::string out;
  int calls = 0;
  while (s.next(out, piece)) ++calls;
  EXPECT_GE(calls, 1);
  EXPECT_FALSE(s.next(out, piece));  // stays finished
  return out;
}

TEST(Pop3Response, StatusLines) {
  EXPECT_EQ(ok_line("2 320"), "+OK 2 320\r\n");
  EXPECT_EQ(ok_line(""), "+OK\r\n");
  EXPECT_EQ(err_line("no such message"), "-ERR no such message\r\n");
  EXPECT_EQ(err_line("locked", ErrCode::in_use), "-ERR [IN-USE] locked\r\n");
  EXPECT_EQ(err_line("bad", ErrCode::auth), "-ERR [AUTH] bad\r\n");
  EXPECT_EQ(err_line("later", ErrCode::sys_temp), "-ERR [SYS/TEMP] later\r\n");
  EXPECT_EQ(err_line("never", ErrCode::sys_perm), "-ERR [SYS/PERM] never\r\n");
}

TEST(Pop3Response, MultilineItemsAreStuffed) {
  EXPECT_EQ(multiline_item("TOP"), "TOP\r\n");
  EXPECT_EQ(multiline_item(".hidden"), "..hidden\r\n");
  EXPECT_EQ(multiline_item(""), "\r\n");
}

TEST(Pop3Response, Printable) {
  EXPECT_EQ(printable("a\r\nb\x80"), "a??b?");
  EXPECT_EQ(printable(std::string(100, 'x'), 10), std::string(10, 'x'));
}

TEST(Pop3Response, MessageIsStuffedAndTerminated) {
  std::string msg = "Subject: x\r\n\r\n.leading dot\r\nmiddle . dot\r\n..two\r\n.\r\nend\r\n";
  EXPECT_EQ(stream_all(msg), "Subject: x\r\n\r\n..leading dot\r\nmiddle . dot\r\n...two\r\n..\r\nend\r\n.\r\n");
}

TEST(Pop3Response, StuffingWorksAcrossPieceBoundaries) {
  std::string msg = "a\r\n.b\r\n.c\r\n";
  std::string expected = "a\r\n..b\r\n..c\r\n.\r\n";
  for (size_t piece = 1; piece <= msg.size() + 1; ++piece) EXPECT_EQ(stream_all(msg, std::nullopt, piece), expected) << piece;
}

TEST(Pop3Response, LineEndingsBecomeCrlf) {
  EXPECT_EQ(stream_all("a\nb\n"), "a\r\nb\r\n.\r\n");
  EXPECT_EQ(stream_all("no final newline"), "no final newline\r\n.\r\n");
  EXPECT_EQ(stream_all(""), ".\r\n");
}

TEST(Pop3Response, TopLength) {
  std::string msg = "A: 1\r\nB: 2\r\n\r\nline1\r\nline2\r\nline3\r\n";
  EXPECT_EQ(msg.substr(0, top_length(msg, 0)), "A: 1\r\nB: 2\r\n\r\n");
  EXPECT_EQ(msg.substr(0, top_length(msg, 2)), "A: 1\r\nB: 2\r\n\r\nline1\r\nline2\r\n");
  EXPECT_EQ(top_length(msg, 3), msg.size());
  EXPECT_EQ(top_length(msg, UINT64_MAX), msg.size());
  std::string lf = "A: 1\n\nx\ny\n";
  EXPECT_EQ(lf.substr(0, top_length(lf, 1)), "A: 1\n\nx\n");
  std::string header_only = "A: 1\r\nB: 2\r\n";
  EXPECT_EQ(top_length(header_only, 5), header_only.size());
  std::string no_header = "\r\nbody\r\n";  // the first line is already the separator
  EXPECT_EQ(no_header.substr(0, top_length(no_header, 0)), "\r\n");
  std::string unterminated = "A: 1\r\n\r\nlast";
  EXPECT_EQ(top_length(unterminated, 1), unterminated.size());
}

TEST(Pop3Response, TopIsStuffed) {
  std::string msg = "A: 1\r\n\r\n.one\r\ntwo\r\n.three\r\n";
  EXPECT_EQ(stream_all(msg, 1), "A: 1\r\n\r\n..one\r\n.\r\n");
  EXPECT_EQ(stream_all(msg, 0), "A: 1\r\n\r\n.\r\n");
}

}  // namespace
}  // namespace kurier::pop3
