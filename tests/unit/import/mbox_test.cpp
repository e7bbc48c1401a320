// mbox splitting, From_ quoting and metadata headers (import/mbox.h).
#include <gtest/gtest.h>

#include "import/mbox.h"

namespace kurier::mail_import {
namespace {

struct Message {
  std::string bytes;
  store::Flags flags;
  std::optional<int64_t> date;
};

std::vector<Message> split_all(std::string_view mbox) {
  MboxReader reader;
  std::vector<Message> out;
  auto close = [&] {
    if (!out.empty()) {
      out.back().flags = reader.flags();
    }
  };
  size_t start = 0;
  while (start < mbox.size()) {
    size_t nl = mbox.find('\n', start);
    size_t end = nl == std::string_view::npos ? mbox.size() : nl + 1;
    auto step = reader.feed(mbox.substr(start, end - start));
    if (step.event == MboxReader::Event::message_start) {
      close();
      out.push_back({"", {}, reader.from_line_date()});
    } else if (step.event == MboxReader::Event::content) {
      out.back().bytes += step.out;
      out.back().flags = reader.flags();
    }
    start = end;
  }
  auto last = reader.finish();
  if (last.event == MboxReader::Event::content) out.back().bytes += last.out;
  close();
  return out;
}

TEST(Mbox, SplitsOnFromLinesAfterBlankLinesAndUnquotes) {
  auto msgs = split_all(
      "From alice@example.org Thu Jan  4 10:00:00 2024\n"
      "Subject: one\n"
      "\n"
      "hello\n"
      ">From the start\n"
      ">>From deeper\n"
      "From inside a paragraph is not a boundary\n"
      "\n"
      "From bob@example.org Fri Jan  5 11:30:15 2024\n"
      "Subject: two\n"
      "\n"
      "second\n"
      "\n");
  ASSERT_EQ(msgs.size(), 2u);
  EXPECT_EQ(msgs[0].bytes,
            "Subject: one\n\nhello\nFrom the start\n>From deeper\nFrom inside a paragraph is not a boundary\n");
  EXPECT_EQ(msgs[1].bytes, "Subject: two\n\nsecond\n");
  EXPECT_EQ(msgs[0].date, 1704362400);
  EXPECT_EQ(msgs[1].date, 1704454215);
}

TEST(Mbox, StatusHeadersBecomeFlagsAndAreRemoved) {
  auto msgs = split_all(
      "From x Thu Jan  4 10:00:00 2024\n"
      "Subject: s\n"
      "Status: RO\n"
      "X-Status: AF\n"
      "X-Keywords: $Work, Later\n"
      "Content-Length: 99999\n"
      "X-UID: 7\n"
      "\n"
      "body\n");
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_EQ(msgs[0].bytes, "Subject: s\n\nbody\n");
  EXPECT_EQ(msgs[0].flags.system, store::kSeen | store::kAnswered | store::kFlagged);
  EXPECT_EQ(msgs[0].flags.keywords, (std::vector<std::string>{"$Work", "Later"}));
}

TEST(Mbox, ContentLengthNeverSplitsAndHeaderOnlyMessagesWork) {
  auto msgs = split_all(
      "From a Thu Jan  4 10:00:00 2024\n"
      "Content-Length: 3\n"
      "Subject: long\n"
      "\n"
      "line 1\nline 2\n"
      "\n"
      "From b Thu Jan  4 10:00:00 2024\n"
      "Subject: headers only\n"
      "\n"
      "From c Thu Jan  4 10:00:00 2024\n"
      "Subject: folded\n"
      " continuation");
  ASSERT_EQ(msgs.size(), 3u);
  EXPECT_EQ(msgs[0].bytes, "Subject: long\n\nline 1\nline 2\n");
  EXPECT_EQ(msgs[1].bytes, "Subject: headers only\n\n");
  EXPECT_EQ(msgs[2].bytes, "Subject: folded\n continuation");
}

TEST(Mbox, JunkBeforeTheFirstMessageIsCountedNotStored) {
  MboxReader reader;
  EXPECT_EQ(reader.feed("garbage\n").event, MboxReader::Event::none);
  EXPECT_EQ(reader.junk_lines(), 1u);
  EXPECT_FALSE(reader.in_message());
  EXPECT_FALSE(parse_from_line_date("From nobody"));
  EXPECT_FALSE(parse_from_line_date("From x Thu Foo 99 10:00:00 2024"));
}

TEST(Mbox, ExportHelpers) {
  EXPECT_EQ(format_from_line("a@b", 1704362400), "From a@b Thu Jan  4 10:00:00 2024\n");
  EXPECT_EQ(format_from_line("", 0), "From MAILER-DAEMON Thu Jan  1 00:00:00 1970\n");
  EXPECT_TRUE(needs_from_quote("From x"));
  EXPECT_TRUE(needs_from_quote(">>From x"));
  EXPECT_FALSE(needs_from_quote("> From x"));
  EXPECT_EQ(parse_from_line_date(format_from_line("a", 1704454215)), 1704454215);
}

}  // namespace
}  // namespace kurier::mail_import
