#include "imap_protocol/literal.h"

#include <gtest/gtest.h>

namespace kurier::imap {
namespace {

TEST(LiteralAtEnd, NoLiteral) {
  EXPECT_FALSE(literal_at_end("a NOOP"));
  EXPECT_FALSE(literal_at_end(""));
  EXPECT_FALSE(literal_at_end("a LOGIN foo} bar}"));  // "}" without "{"
  EXPECT_FALSE(literal_at_end("a LOGIN \"x\""));
}

TEST(LiteralAtEnd, Synchronizing) {
  auto a = literal_at_end("a LOGIN {5}");
  ASSERT_TRUE(a);
  EXPECT_TRUE(a->ok());
  EXPECT_EQ(a->size, 5u);
  EXPECT_FALSE(a->non_synchronizing);
  EXPECT_FALSE(a->binary);
}

TEST(LiteralAtEnd, NonSynchronizingAndBinary) {
  auto a = literal_at_end("a APPEND INBOX ~{123+}");
  ASSERT_TRUE(a);
  EXPECT_TRUE(a->ok());
  EXPECT_EQ(a->size, 123u);
  EXPECT_TRUE(a->non_synchronizing);
  EXPECT_TRUE(a->binary);
  auto z = literal_at_end("a LOGIN {0}");
  ASSERT_TRUE(z && z->ok());
  EXPECT_EQ(z->size, 0u);
}

TEST(LiteralAtEnd, Malformed) {
  for (const char* line : {"a LOGIN {}", "a LOGIN {+}", "a LOGIN {12a}", "a LOGIN {-1}",
                           "a LOGIN { 1}", "a LOGIN {1++}", "x{y}"}) {
    auto a = literal_at_end(line);
    ASSERT_TRUE(a) << line;
    EXPECT_EQ(a->error, LiteralAnnouncement::Error::malformed) << line;
    EXPECT_FALSE(a->error_text.empty());
  }
}

TEST(LiteralAtEnd, Oversized) {
  auto a = literal_at_end("a APPEND x {99999999999999999999999}");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->error, LiteralAnnouncement::Error::too_large);
  auto b = literal_at_end("a APPEND x {9223372036854775808}");  // 2^63
  ASSERT_TRUE(b);
  EXPECT_EQ(b->error, LiteralAnnouncement::Error::too_large);
  auto c = literal_at_end("a APPEND x {9223372036854775807}");
  ASSERT_TRUE(c);
  EXPECT_TRUE(c->ok());
  auto d = literal_at_end("a APPEND x {5000+}", kLiteralMinusMax);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->error, LiteralAnnouncement::Error::too_large);
  EXPECT_EQ(d->size, 5000u);
  EXPECT_TRUE(d->non_synchronizing);
}

TEST(RawCommandFromWire, SplitsLinesAndLiterals) {
  auto raw = raw_command_from_wire("a LOGIN {3}\r\nbob {4+}\r\npass");
  ASSERT_TRUE(raw);
  ASSERT_EQ(raw->lines.size(), 3u);
  ASSERT_EQ(raw->literals.size(), 2u);
  EXPECT_EQ(raw->lines[0], "a LOGIN {3}");
  EXPECT_EQ(raw->literals[0].data, "bob");
  EXPECT_EQ(raw->lines[1], " {4+}");
  EXPECT_EQ(raw->literals[1].data, "pass");
  EXPECT_EQ(raw->lines[2], "");
}

TEST(RawCommandFromWire, ShortLiteralIsRejected) {
  EXPECT_FALSE(raw_command_from_wire("a LOGIN {30}\r\nbob"));
  EXPECT_FALSE(raw_command_from_wire("a LOGIN {3}"));
}

}  // namespace
}  // namespace kurier::imap
