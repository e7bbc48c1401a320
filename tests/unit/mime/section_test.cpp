// Tests for mime/section.h: RFC 3501 6.4.5 part numbering and section kinds.
#include "mime/section.h"

#include <gtest/gtest.h>

#include "test_messages.h"

using namespace kurier::mime;

namespace {

// RFC 3501 6.4.5's example structure, reduced:
//   HEADER, TEXT        ([RFC-2822] header/body of the message)
//   1      TEXT/PLAIN
//   2      APPLICATION/OCTET-STREAM
//   3      MESSAGE/RFC822
//   3.HEADER, 3.TEXT
//   3.1    TEXT/PLAIN
//   3.2    APPLICATION/OCTET-STREAM
//   4      MULTIPART/MIXED
//   4.1    IMAGE/GIF
//   4.1.MIME
//   4.2    MESSAGE/RFC822
//   4.2.HEADER, 4.2.TEXT
//   4.2.1  TEXT/PLAIN
//   4.2.2  MULTIPART/ALTERNATIVE
//   4.2.2.1 TEXT/PLAIN
//   4.2.2.2 TEXT/RICHTEXT
constexpr std::string_view kRfcExample =
    "Subject: top\n"
    "Content-Type: MULTIPART/MIXED; boundary=a\n"
    "\n"
    "--a\n"
    "\n"
    "part 1\n"
    "--a\n"
    "Content-Type: APPLICATION/OCTET-STREAM\n"
    "\n"
    "part 2\n"
    "--a\n"
    "Content-Type: MESSAGE/RFC822\n"
    "\n"
    "Subject: three\n"
    "Content-Type: multipart/mixed; boundary=b\n"
    "\n"
    "--b\n"
    "\n"
    "part 3.1\n"
    "--b\n"
    "Content-Type: application/octet-stream\n"
    "\n"
    "part 3.2\n"
    "--b--\n"
    "--a\n"
    "Content-Type: MULTIPART/MIXED; boundary=c\n"
    "\n"
    "--c\n"
    "Content-Type: IMAGE/GIF\n"
    "\n"
    "part 4.1\n"
    "--c\n"
    "Content-Type: MESSAGE/RFC822\n"
    "\n"
    "Subject: four-two\n"
    "X-Other: y\n"
    "Content-Type: multipart/mixed; boundary=d\n"
    "\n"
    "--d\n"
    "\n"
    "part 4.2.1\n"
    "--d\n"
    "Content-Type: multipart/alternative; boundary=e\n"
    "\n"
    "--e\n"
    "\n"
    "part 4.2.2.1\n"
    "--e\n"
    "Content-Type: text/richtext\n"
    "\n"
    "part 4.2.2.2\n"
    "--e--\n"
    "--d--\n"
    "--c--\n"
    "--a--\n";

class SectionTest : public ::testing::Test {
 protected:
  std::string_view msg = kRfcExample;
  Part root = parse_message(msg);

  std::optional<std::string> fetch(std::vector<uint32_t> path, SectionKind kind = SectionKind::Full,
                                   std::vector<std::string> fields = {}) {
    auto c = resolve_section(root, msg, {std::move(path), kind, std::move(fields)});
    if (!c) return std::nullopt;
    return std::string(c->view(msg));
  }
};

}  // namespace

TEST_F(SectionTest, WholeMessageHeaderAndText) {
  EXPECT_EQ(fetch({}), msg);
  EXPECT_EQ(fetch({}, SectionKind::Header), "Subject: top\nContent-Type: MULTIPART/MIXED; boundary=a\n\n");
  EXPECT_EQ(fetch({}, SectionKind::Text)->substr(0, 10), "--a\n\npart ");
  EXPECT_EQ(fetch({}, SectionKind::Mime), std::nullopt);
}

TEST_F(SectionTest, NumberedParts) {
  EXPECT_EQ(fetch({1}), "part 1");
  EXPECT_EQ(fetch({2}), "part 2");
  EXPECT_EQ(fetch({3, 1}), "part 3.1");
  EXPECT_EQ(fetch({3, 2}), "part 3.2");
  EXPECT_EQ(fetch({4, 1}), "part 4.1");
  EXPECT_EQ(fetch({4, 2, 1}), "part 4.2.1");
  EXPECT_EQ(fetch({4, 2, 2, 1}), "part 4.2.2.1");
  EXPECT_EQ(fetch({4, 2, 2, 2}), "part 4.2.2.2");
  EXPECT_EQ(fetch({3})->substr(0, 15), "Subject: three\n");  // the whole embedded message
}

TEST_F(SectionTest, NonexistentParts) {
  EXPECT_EQ(fetch({0}), std::nullopt);
  EXPECT_EQ(fetch({5}), std::nullopt);
  EXPECT_EQ(fetch({1, 1}), std::nullopt);
  EXPECT_EQ(fetch({4, 3}), std::nullopt);
  EXPECT_EQ(fetch({4, 2, 2, 3}), std::nullopt);
}

TEST_F(SectionTest, HeaderAndTextOfMessageParts) {
  EXPECT_EQ(fetch({3}, SectionKind::Header), "Subject: three\nContent-Type: multipart/mixed; boundary=b\n\n");
  EXPECT_EQ(fetch({4, 2}, SectionKind::Text)->substr(0, 4), "--d\n");
  EXPECT_EQ(fetch({1}, SectionKind::Header), std::nullopt);  // not a message/rfc822 part
  EXPECT_EQ(fetch({4, 1}, SectionKind::Text), std::nullopt);
}

TEST_F(SectionTest, MimeHeaderOfParts) {
  EXPECT_EQ(fetch({4, 1}, SectionKind::Mime), "Content-Type: IMAGE/GIF\n\n");
  EXPECT_EQ(fetch({3}, SectionKind::Mime), "Content-Type: MESSAGE/RFC822\n\n");
  EXPECT_EQ(fetch({1}, SectionKind::Mime), "\n");
}

TEST_F(SectionTest, HeaderFields) {
  EXPECT_EQ(fetch({4, 2}, SectionKind::HeaderFields, {"x-other", "SUBJECT"}),
            "Subject: four-two\nX-Other: y\n\n");
  EXPECT_EQ(fetch({4, 2}, SectionKind::HeaderFieldsNot, {"subject", "content-type"}),
            "X-Other: y\n\n");
  EXPECT_EQ(fetch({}, SectionKind::HeaderFields, {"nothing"}), "\n");
  EXPECT_EQ(fetch({2}, SectionKind::HeaderFields, {"subject"}), std::nullopt);
}

TEST(Section, PartOneOfNonMultipartIsTheBody) {
  std::string_view msg = "Subject: x\r\n\r\nthe body";
  Part root = parse_message(msg);
  auto c = resolve_section(root, msg, {{1}, SectionKind::Full, {}});
  ASSERT_TRUE(c);
  EXPECT_EQ(c->view(msg), "the body");
  EXPECT_FALSE(resolve_section(root, msg, {{2}, SectionKind::Full, {}}));
  EXPECT_FALSE(resolve_section(root, msg, {{1, 1}, SectionKind::Full, {}}));
}

TEST(Section, MessageRfc822WithSinglePartBody) {
  std::string_view msg = testdata::kForwarded;
  Part root = parse_message(msg);
  auto c = resolve_section(root, msg, {{2, 1}, SectionKind::Full, {}});
  ASSERT_TRUE(c);
  EXPECT_EQ(c->view(msg), "Noon?");
  EXPECT_FALSE(resolve_section(root, msg, {{2, 2}, SectionKind::Full, {}}));
}

TEST(Section, FilteredFieldsKeepFoldingAndGetLineEnding) {
  std::string_view header = "To: a@b,\r\n c@d\r\nSubject: last";
  EXPECT_EQ(filter_header_fields(header, {"to", "subject"}, true),
            "To: a@b,\r\n c@d\r\nSubject: last\r\n\r\n");
}

TEST(Section, StalePartOutsideMessageIsRejected) {
  Part root = parse_message("Subject: x\n\nlong body here");
  std::string_view shorter = "Subject: x\n\n";
  EXPECT_FALSE(resolve_section(root, shorter, {{1}, SectionKind::Full, {}}));
  EXPECT_FALSE(resolve_section(root, shorter, {{}, SectionKind::Text, {}}));
}

TEST(Section, CrlfConversionHelpers) {
  EXPECT_EQ(crlf_size("a\nb\r\nc\n"), 9u);
  std::string out;
  append_crlf(out, "\na\nb\r\n");
  EXPECT_EQ(out, "\r\na\r\nb\r\n");
  EXPECT_EQ(crlf_size(out), out.size());
}
