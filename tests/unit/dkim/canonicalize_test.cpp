#include "dkim/canonicalize.h"

#include <gtest/gtest.h>

namespace kurier::dkim {
namespace {

std::string body(std::string_view in, size_t chunk = 0) {
  std::string out;
  RelaxedBody c([&](std::string_view s) { out.append(s); });
  if (chunk == 0) {
    c.feed(in);
  } else {
    for (size_t i = 0; i < in.size(); i += chunk) c.feed(in.substr(i, chunk));
  }
  c.finish();
  return out;
}

TEST(RelaxedHeader, LowercasesNameAndCompressesValue) {
  EXPECT_EQ(relaxed_header_field("SubJect :  Hello \t  World  \r\n"), "subject:Hello World\r\n");
}

TEST(RelaxedHeader, UnfoldsContinuationLines) {
  EXPECT_EQ(relaxed_header_field("To: a@example.org,\r\n\tb@example.org\r\n"), "to:a@example.org, b@example.org\r\n");
  EXPECT_EQ(relaxed_header_field("X: a\r\n  \r\n b\r\n"), "x:a b\r\n");
}

TEST(RelaxedHeader, EmptyValue) {
  EXPECT_EQ(relaxed_header_field("Subject:\r\n"), "subject:\r\n");
  EXPECT_EQ(relaxed_header_field("Subject:   \r\n"), "subject:\r\n");
}

// RFC 6376 3.4.6 example (relaxed body).
TEST(RelaxedBody, Rfc6376Example) {
  EXPECT_EQ(body(" C \r\nD \t E\r\n\r\n\r\n"), " C\r\nD E\r\n");
}

TEST(RelaxedBody, EmptyBodyStaysEmpty) {
  EXPECT_EQ(body(""), "");
  EXPECT_EQ(body("\r\n\r\n"), "");
  EXPECT_EQ(body("  \r\n\t\r\n"), "");
}

TEST(RelaxedBody, UnterminatedLastLineIsEnded) {
  EXPECT_EQ(body("abc"), "abc\r\n");
  EXPECT_EQ(body("abc  "), "abc\r\n");
}

TEST(RelaxedBody, EmptyLinesInsideAreKept) {
  EXPECT_EQ(body("a\r\n\r\n \r\nb\r\n\r\n"), "a\r\n\r\n\r\nb\r\n");
}

TEST(RelaxedBody, BareLfAndBareCrEndLinesLikeTheDotStuffer) {
  EXPECT_EQ(body("a\nb\rc\r\n"), "a\r\nb\r\nc\r\n");
  EXPECT_EQ(body("a\r\r\nb"), "a\r\n\r\nb\r\n");
}

TEST(RelaxedBody, ChunkBoundariesDoNotMatter) {
  std::string in = "  Hello \t world  \r\n\r\n  x\r\r\n\ny \r\n\r\n \r\n";
  std::string whole = body(in);
  for (size_t chunk = 1; chunk < in.size(); ++chunk) EXPECT_EQ(body(in, chunk), whole) << chunk;
}

}  // namespace
}  // namespace kurier::dkim
