// Tests for mime/bodystructure.h against RFC 3501 7.4.2 and Dovecot's exact output.
#include "mime/bodystructure.h"

#include <gtest/gtest.h>

#include "test_messages.h"

using namespace kurier::mime;
using kurier::mime::testdata::crlf;

namespace {
std::string bodystructure_of(std::string_view msg) {
  return imap_bodystructure(parse_message(msg), msg);
}
std::string body_of(std::string_view msg) { return imap_body(parse_message(msg), msg); }
}  // namespace

TEST(Bodystructure, DovecotReferenceMessage) {
  // Dovecot's test message uses bare LF; its sizes are counted with CRLF.
  // Dovecot leaves out the outermost parentheses; kurier includes them.
  EXPECT_EQ(bodystructure_of(testdata::kDovecotMessage),
            "(" + std::string(testdata::kDovecotBodystructure) + ")");
  EXPECT_EQ(body_of(testdata::kDovecotMessage), "(" + std::string(testdata::kDovecotBody) + ")");
}

TEST(Bodystructure, DovecotReferenceMessageWithCrlf) {
  std::string msg = crlf(testdata::kDovecotMessage);
  EXPECT_EQ(bodystructure_of(msg), "(" + std::string(testdata::kDovecotBodystructure) + ")");
}

TEST(Bodystructure, Rfc3501SimpleText) {
  std::string msg = crlf(
      "From: Terry Gray <gray@cac.washington.edu>\n"
      "MIME-Version: 1.0\n"
      "Content-Type: TEXT/PLAIN; CHARSET=US-ASCII\n"
      "\n"
      "line 1\nline 2\n");
  EXPECT_EQ(body_of(msg), R"x(("text" "plain" ("charset" "US-ASCII") NIL NIL "7bit" 16 2))x");
  EXPECT_EQ(bodystructure_of(msg),
            R"x(("text" "plain" ("charset" "US-ASCII") NIL NIL "7bit" 16 2 NIL NIL NIL NIL))x");
}

TEST(Bodystructure, NoContentTypeDefaults) {
  EXPECT_EQ(bodystructure_of("Subject: x\n\nhi\n"),
            R"x(("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 4 1 NIL NIL NIL NIL))x");
  EXPECT_EQ(bodystructure_of(""),
            R"x(("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 0 0 NIL NIL NIL NIL))x");
}

TEST(Bodystructure, MixedAlternativeWithAttachment) {
  std::string msg = crlf(testdata::kMixedAlternative);
  EXPECT_EQ(
      bodystructure_of(msg),
      R"x(((("text" "plain" ("charset" "utf-8") NIL NIL "quoted-printable" 25 1 NIL NIL NIL NIL))x"
      R"x(("text" "html" ("charset" "utf-8") NIL NIL "7bit" 16 0 NIL NIL NIL NIL))x"
      R"x( "alternative" ("boundary" "inner") NIL NIL NIL))x"
      R"x(("application" "pdf" ("name" "report.pdf") NIL NIL "base64" 12 NIL)x"
      R"x( ("attachment" ("filename" "report.pdf")) NIL NIL))x"
      R"x( "mixed" ("boundary" "outer") NIL NIL NIL))x");
  EXPECT_EQ(body_of(msg),
            R"x(((("text" "plain" ("charset" "utf-8") NIL NIL "quoted-printable" 25 1))x"
            R"x(("text" "html" ("charset" "utf-8") NIL NIL "7bit" 16 0) "alternative"))x"
            R"x(("application" "pdf" ("name" "report.pdf") NIL NIL "base64" 12) "mixed"))x");
}

TEST(Bodystructure, ForwardedMessage) {
  std::string_view msg = testdata::kForwarded;
  EXPECT_EQ(
      body_of(msg),
      R"x((("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 10 0))x"
      R"x(("message" "rfc822" NIL NIL NIL "7bit" 113 ("Tue, 4 Jun 2024 12:00:00 +0200" "lunch" )x"
      R"x((("Eve" NIL "eve" "example.com")) (("Eve" NIL "eve" "example.com")) )x"
      R"x((("Eve" NIL "eve" "example.com")) ((NIL NIL "carol" "example.com")) NIL NIL NIL NIL) )x"
      R"x(("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 5 0) 5) "mixed"))x");
}

TEST(Bodystructure, MessageGlobalHasEnvelopeToo) {
  std::string_view msg = "Content-Type: message/global\n\nSubject: s\n\nx";
  EXPECT_EQ(body_of(msg),
            R"x(("message" "global" NIL NIL NIL "7bit" 15 (NIL "s" NIL NIL NIL NIL NIL NIL NIL NIL) )x"
            R"x(("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 1 0) 2))x");
}

TEST(Bodystructure, MultipartWithoutPartsGetsPlaceholder) {
  std::string_view msg = "Content-Type: multipart/mixed\n\nno boundary\n";
  EXPECT_EQ(body_of(msg), R"x((("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 0 0) "mixed"))x");
  EXPECT_EQ(bodystructure_of(msg),
            R"x((("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 0 0 NIL NIL NIL NIL))x"
            R"x( "mixed" NIL NIL NIL NIL))x");
}

TEST(Bodystructure, Rfc2231UnicodeParameterIsReencoded) {
  std::string_view msg =
      "Content-Type: application/octet-stream; name*=utf-8''%E6%97%A5.bin\n"
      "Content-Disposition: attachment; filename*=x-bogus''%41\n\n";
  EXPECT_EQ(bodystructure_of(msg),
            R"x(("application" "octet-stream" ("name*" "utf-8''%E6%97%A5.bin") NIL NIL "7bit" 0 )x"
            R"x(NIL ("attachment" ("filename*" "x-bogus''%41")) NIL NIL))x");
}

TEST(Bodystructure, EightBitValuesBecomeLiterals) {
  std::string_view msg = "Content-Type: text/plain; charset=utf-8\nContent-Description: \xc3\xa9\n\n";
  EXPECT_EQ(body_of(msg), "(\"text\" \"plain\" (\"charset\" \"utf-8\") NIL {2}\r\n\xc3\xa9 \"7bit\" 0 0)");
}

TEST(Bodystructure, DeepNestingStaysWellFormed) {
  std::string msg;
  for (int i = 0; i < 300; ++i) msg += "Content-Type: message/rfc822\n\n";
  msg += "\nbody\n";
  std::string bs = bodystructure_of(msg);
  int depth = 0;
  for (char c : bs) {
    depth += c == '(';
    depth -= c == ')';
    ASSERT_GE(depth, 0);
  }
  EXPECT_EQ(depth, 0);
}
