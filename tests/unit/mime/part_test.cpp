// Tests for mime/part.h: structure, exact offsets, defaults and malformed MIME.
#include "mime/part.h"

#include <gtest/gtest.h>

#include "test_messages.h"

using namespace kurier::mime;
using kurier::mime::testdata::crlf;

namespace {

std::string_view body_of(std::string_view msg, const Part& p) {
  return msg.substr(p.body_offset, p.body_size);
}
std::string_view header_of(std::string_view msg, const Part& p) {
  return msg.substr(p.header_offset, p.header_size);
}

size_t count_parts(const Part& p) {
  size_t n = 1;
  for (const Part& c : p.children) n += count_parts(c);
  return n;
}

size_t depth_of(const Part& p) {
  size_t d = 0;
  for (const Part& c : p.children) d = std::max(d, depth_of(c));
  return d + 1;
}

}  // namespace

TEST(ParseMessage, SimpleTextCrlf) {
  std::string msg = crlf("Subject: hi\nFrom: a@b\n\nline one\nline two\n");
  Part p = parse_message(msg);
  EXPECT_EQ(header_of(msg, p), "Subject: hi\r\nFrom: a@b\r\n\r\n");
  EXPECT_EQ(body_of(msg, p), "line one\r\nline two\r\n");
  EXPECT_EQ(p.body_lines, 2u);
  EXPECT_EQ(p.body_crlf_size, p.body_size);
  EXPECT_EQ(p.type, "text");
  EXPECT_EQ(p.subtype, "plain");
  ASSERT_EQ(p.params.size(), 1u);  // RFC 2045 5.2 default
  EXPECT_EQ(p.params[0], (Param{"charset", "us-ascii"}));
  EXPECT_TRUE(p.children.empty());
  EXPECT_FALSE(p.envelope.empty());
}

TEST(ParseMessage, LfOnlyCountsCrlfSize) {
  std::string_view msg = "Subject: hi\n\na\nb\n";
  Part p = parse_message(msg);
  EXPECT_EQ(p.header_size, 13u);
  EXPECT_EQ(p.body_size, 4u);
  EXPECT_EQ(p.body_crlf_size, 6u);
  EXPECT_EQ(p.body_lines, 2u);
}

TEST(ParseMessage, MultipartAlternativeInsideMixed) {
  std::string msg = crlf(testdata::kMixedAlternative);
  Part root = parse_message(msg);
  EXPECT_EQ(root.type, "multipart");
  EXPECT_EQ(root.subtype, "mixed");
  ASSERT_EQ(root.children.size(), 2u);
  const Part& alt = root.children[0];
  EXPECT_EQ(alt.subtype, "alternative");
  ASSERT_EQ(alt.children.size(), 2u);
  EXPECT_EQ(body_of(msg, alt.children[0]), "Hello Bob,\r\nsee attached.");
  EXPECT_EQ(alt.children[0].encoding, "quoted-printable");
  EXPECT_EQ(header_of(msg, alt.children[1]), "Content-Type: text/html; charset=utf-8\r\n\r\n");
  EXPECT_EQ(body_of(msg, alt.children[1]), "<p>Hello Bob</p>");
  EXPECT_EQ(body_of(msg, alt), "--inner\r\nContent-Type: text/plain; charset=utf-8\r\n"
                               "Content-Transfer-Encoding: quoted-printable\r\n\r\nHello Bob,\r\n"
                               "see attached.\r\n--inner\r\nContent-Type: text/html; charset=utf-8"
                               "\r\n\r\n<p>Hello Bob</p>\r\n--inner--\r\n");
  const Part& pdf = root.children[1];
  EXPECT_EQ(pdf.type, "application");
  EXPECT_EQ(pdf.subtype, "pdf");
  EXPECT_EQ(pdf.disposition, "attachment");
  ASSERT_EQ(pdf.disposition_params.size(), 1u);
  EXPECT_EQ(pdf.disposition_params[0], (Param{"filename", "report.pdf"}));
  EXPECT_EQ(pdf.encoding, "base64");
  EXPECT_EQ(body_of(msg, pdf), "JVBERi0xLjQK");
  EXPECT_EQ(root.end(), msg.size());  // the epilogue belongs to the multipart body
}

TEST(ParseMessage, MessageRfc822Child) {
  std::string_view msg = testdata::kForwarded;
  Part root = parse_message(msg);
  ASSERT_EQ(root.children.size(), 2u);
  const Part& fwd = root.children[1];
  EXPECT_TRUE(fwd.is_message());
  ASSERT_EQ(fwd.children.size(), 1u);
  const Part& inner = fwd.children[0];
  EXPECT_EQ(inner.header_offset, fwd.body_offset);
  EXPECT_EQ(inner.end(), fwd.end());
  EXPECT_EQ(body_of(msg, inner), "Noon?");
  EXPECT_EQ(header_of(msg, inner).substr(0, 5), "From:");
  EXPECT_EQ(fwd.body_lines, 5u);
  EXPECT_NE(inner.envelope.find("\"lunch\""), std::string::npos);
}

TEST(ParseMessage, Rfc2231ParametersReassembled) {
  std::string_view msg =
      "Content-Type: application/x-stuff;\n"
      " title*=us-ascii'en-us'This%20is%20%2A%2A%2Afun%2A%2A%2A;\n"
      " URL*0=\"ftp://\"; URL*1=\"cs.utk.edu/pub/moore/bulk-mailer/bulk-mailer.tar\"\n"
      "Content-Disposition: attachment;\n"
      " filename*1*=%E6%9C%AC; filename*0*=UTF-8''%E6%97%A5; filename*2=\".txt\"\n"
      "\n"
      "x";
  Part p = parse_message(msg);
  ASSERT_EQ(p.params.size(), 2u);
  EXPECT_EQ(p.params[0], (Param{"title", "This is ***fun***"}));
  EXPECT_EQ(p.params[1],
            (Param{"url", "ftp://cs.utk.edu/pub/moore/bulk-mailer/bulk-mailer.tar"}));
  ASSERT_EQ(p.disposition_params.size(), 1u);
  EXPECT_EQ(p.disposition_params[0], (Param{"filename", "\xe6\x97\xa5\xe6\x9c\xac.txt"}));
}

TEST(ParseMessage, Rfc2231CharsetsAndUnknownCharset) {
  std::string_view msg =
      "Content-Type: text/plain; name*=iso-8859-1''caf%E9.txt; other*=x-bogus''%41%42\n"
      "\n";
  Part p = parse_message(msg);
  ASSERT_EQ(p.params.size(), 2u);
  EXPECT_EQ(p.params[0], (Param{"name", "caf\xc3\xa9.txt"}));
  EXPECT_EQ(p.params[1], (Param{"other*", "x-bogus''%41%42"}));
}

TEST(ParseMessage, ParameterQuirks) {
  std::string_view msg =
      "Content-Type: Text/HTML (comment) ; CharSet = \"UTF-8\" ;; name=a b.html;\n"
      " =novalue; boundary\n\n";
  Part p = parse_message(msg);
  EXPECT_EQ(p.type, "text");
  EXPECT_EQ(p.subtype, "html");
  ASSERT_EQ(p.params.size(), 2u);
  EXPECT_EQ(p.params[0], (Param{"charset", "UTF-8"}));
  EXPECT_EQ(p.params[1], (Param{"name", "a b.html"}));
}

TEST(ParseMessage, InvalidContentTypeDefaultsToTextPlain) {
  Part p = parse_message("Content-Type: garbage\nContent-Type: image/png\n\nx");
  EXPECT_EQ(p.type, "text");  // the first field counts, and it is invalid
  EXPECT_EQ(p.subtype, "plain");
  ASSERT_EQ(p.params.size(), 1u);
  EXPECT_EQ(p.params[0].value, "us-ascii");
}

TEST(ParseMessage, DigestDefaultsToMessageRfc822) {
  std::string_view msg =
      "Content-Type: multipart/digest; boundary=d\n\n"
      "--d\n\nFrom: x@y\nSubject: one\n\nfirst\n"
      "--d\nContent-Type: text/plain\n\nnot a message\n"
      "--d--\n";
  Part root = parse_message(msg);
  ASSERT_EQ(root.children.size(), 2u);
  EXPECT_TRUE(root.children[0].is_message());
  EXPECT_TRUE(root.children[0].params.empty());
  ASSERT_EQ(root.children[0].children.size(), 1u);
  EXPECT_EQ(body_of(msg, root.children[0].children[0]), "first");
  EXPECT_TRUE(root.children[1].is_text());
}

TEST(ParseMessage, MissingBoundaryParameter) {
  std::string_view msg = "Content-Type: multipart/mixed\n\n--x\n\nbody\n--x--\n";
  Part p = parse_message(msg);
  EXPECT_TRUE(p.is_multipart());
  EXPECT_TRUE(p.children.empty());
  EXPECT_EQ(p.end(), msg.size());
}

TEST(ParseMessage, BoundaryNeverAppears) {
  std::string_view msg = "Content-Type: multipart/mixed; boundary=zzz\n\n--x\n\nbody\n";
  Part p = parse_message(msg);
  EXPECT_TRUE(p.children.empty());
  EXPECT_EQ(body_of(msg, p), "--x\n\nbody\n");
}

TEST(ParseMessage, UnterminatedMultipartRunsToEnd) {
  std::string_view msg =
      "Content-Type: multipart/mixed; boundary=b\n\n--b\n\none\n--b\n\ntwo\nmore\n";
  Part p = parse_message(msg);
  ASSERT_EQ(p.children.size(), 2u);
  EXPECT_EQ(body_of(msg, p.children[0]), "one");
  EXPECT_EQ(body_of(msg, p.children[1]), "two\nmore\n");
  EXPECT_EQ(p.end(), msg.size());
}

TEST(ParseMessage, OuterBoundaryClosesInnerWithoutCloseDelimiter) {
  std::string_view msg =
      "Content-Type: multipart/mixed; boundary=outer\n\n"
      "--outer\nContent-Type: multipart/alternative; boundary=inner\n\n"
      "--inner\n\na\n--inner\n\nb\n"
      "--outer\n\nc\n--outer--\n";
  Part p = parse_message(msg);
  ASSERT_EQ(p.children.size(), 2u);
  ASSERT_EQ(p.children[0].children.size(), 2u);
  EXPECT_EQ(body_of(msg, p.children[0].children[1]), "b");
  EXPECT_EQ(body_of(msg, p.children[1]), "c");
}

TEST(ParseMessage, BoundaryPrefixOfAnotherAndTrailingBlanks) {
  std::string_view msg =
      "Content-Type: multipart/mixed; boundary=ab\n\n"
      "--ab \t\n\n"
      "--abc is not a delimiter\n"
      "--ab\n\nsecond\n--ab-- trailing\n";
  Part p = parse_message(msg);
  ASSERT_EQ(p.children.size(), 2u);
  EXPECT_EQ(body_of(msg, p.children[0]), "--abc is not a delimiter");
  EXPECT_EQ(body_of(msg, p.children[1]), "second");
}

TEST(ParseMessage, PartHeaderCutByBoundary) {
  std::string_view msg =
      "Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/html\n--b--\n";
  Part p = parse_message(msg);
  ASSERT_EQ(p.children.size(), 1u);
  EXPECT_EQ(p.children[0].subtype, "html");
  EXPECT_EQ(p.children[0].body_size, 0u);
}

TEST(ParseMessage, HeaderWithoutBody) {
  std::string_view msg = "Subject: only a header\r\nFrom: a@b";
  Part p = parse_message(msg);
  EXPECT_EQ(p.header_size, msg.size());
  EXPECT_EQ(p.body_offset, msg.size());
  EXPECT_EQ(p.body_size, 0u);
  EXPECT_EQ(p.body_lines, 0u);
}

TEST(ParseMessage, EmptyMessageAndBlankFirstLine) {
  Part empty = parse_message("");
  EXPECT_EQ(empty.header_size, 0u);
  EXPECT_EQ(empty.body_size, 0u);
  EXPECT_EQ(empty.type, "text");
  Part blank = parse_message("\r\nbody");
  EXPECT_EQ(blank.header_size, 2u);
  EXPECT_EQ(blank.body_offset, 2u);
  EXPECT_EQ(blank.body_size, 4u);
}

TEST(ParseMessage, EightBitHeaderBytes) {
  std::string_view msg = "Subject: \xff\xfe caf\xc3\xa9\nContent-Type: text/plain; name=\xe9t\xe9\n\nx";
  Part p = parse_message(msg);
  ASSERT_EQ(p.params.size(), 1u);
  EXPECT_EQ(p.params[0].value, "\xe9t\xe9");
}

TEST(ParseMessage, HugeNestingIsBounded) {
  std::string msg;
  for (int i = 0; i < 300; ++i)
    msg += "Content-Type: multipart/mixed; boundary=b" + std::to_string(i) + "\n\n--b" +
           std::to_string(i) + "\n";
  msg += "\ndeep\n";
  Part p = parse_message(msg);
  EXPECT_LE(depth_of(p), kMaxNestingDepth);
  EXPECT_GE(depth_of(p), kMaxNestingDepth - 1);
}

TEST(ParseMessage, HugeMessageRfc822ChainIsBounded) {
  std::string msg;
  for (int i = 0; i < 500; ++i) msg += "Content-Type: message/rfc822\n\n";
  msg += "Subject: bottom\n\nbody\n";
  Part p = parse_message(msg);
  EXPECT_LE(depth_of(p), kMaxNestingDepth);
  const Part* q = &p;
  while (!q->children.empty()) q = &q->children[0];
  EXPECT_EQ(q->type, "application");  // the part at the limit is opaque
  EXPECT_EQ(q->end(), msg.size());
}

TEST(ParseMessage, PartCountIsBounded) {
  std::string msg = "Content-Type: multipart/mixed; boundary=b\n\n";
  for (int i = 0; i < 12000; ++i) msg += "--b\n\nx\n";
  msg += "--b--\nepilogue\n";
  Part p = parse_message(msg);
  EXPECT_LE(count_parts(p), kMaxParts);
  EXPECT_EQ(p.children.back().body_size, 1u);
  EXPECT_EQ(p.end(), msg.size());
}

TEST(ParseMessage, GarbageNeverCrashes) {
  std::string msg;
  uint32_t seed = 12345;
  const std::string_view pieces[] = {"--b\n", "Content-Type: multipart/mixed; boundary=b\n",
                                     "\n", "\r\n", "Content-Type: message/rfc822\n", "x: y\n",
                                     "--b--\n", " folded\n", "\xff", "--", ":"};
  for (int round = 0; round < 200; ++round) {
    msg.clear();
    for (int i = 0; i < 60; ++i) {
      seed = seed * 1103515245 + 12345;
      msg += pieces[(seed >> 16) % std::size(pieces)];
    }
    Part p = parse_message(msg);
    EXPECT_LE(p.end(), msg.size());
  }
}

TEST(ParseMessage, GarbageHeaderLinesDoNotHideContentFields) {
  std::string_view msg =
      "this line has no colon\n"
      "Content-Type: text/html\n"
      "Content-Transfer-Encoding: Base64 (with a comment)\n"
      "\n"
      "PGI+\n";
  Part p = parse_message(msg);
  EXPECT_EQ(p.subtype, "html");
  EXPECT_EQ(p.encoding, "base64");
}
