// Deterministic pseudo-random inputs through every public function: nothing may crash,
// read out of bounds (ASan/UBSan builds) or produce unbalanced IMAP lists.
#include <gtest/gtest.h>

#include "mime/bodystructure.h"
#include "mime/cache.h"
#include "mime/envelope.h"
#include "mime/header.h"
#include "mime/section.h"

using namespace kurier::mime;

namespace {

constexpr std::string_view kPieces[] = {
    "--b\n", "--b--\n", "--c\r\n", "\n", "\r\n", " folded\n", "\\", "\"", "(", ")", "<", ">",
    "@", ",", ";", ":", "=?utf-8?q?x=41?=", "=?", "?=", "\xff", "\xc3\xa9", "*0*=", "''%",
    "Content-Type: multipart/mixed; boundary=b\n", "Content-Type: multipart/digest; boundary=c\n",
    "Content-Type: message/rfc822\n", "Content-Disposition: attachment; filename*=utf-8''%e9\n",
    "From: \"a\\\" b\" <x@y>, g: ;\n", "To: (c\\", "Date: 1 Jan 2000 00:00 +0000\n", "x: y\n"};

std::string random_message(uint32_t& seed, int pieces) {
  std::string msg;
  for (int i = 0; i < pieces; ++i) {
    seed = seed * 1103515245u + 12345u;
    msg += kPieces[(seed >> 16) % std::size(kPieces)];
  }
  return msg;
}

bool balanced(std::string_view s) {
  int depth = 0;
  bool quoted = false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (quoted) {
      if (c == '\\') ++i;
      else if (c == '"') quoted = false;
    } else if (c == '{') {
      size_t close = s.find('}', i);
      size_t n = std::stoul(std::string(s.substr(i + 1, close - i - 1)));
      i = close + 2 + n;
    } else {
      quoted = c == '"';
      depth += c == '(';
      depth -= c == ')';
      if (depth < 0) return false;
    }
  }
  return depth == 0 && !quoted;
}

void exercise_sections(const Part& root, std::string_view msg) {
  const SectionKind kinds[] = {SectionKind::Full, SectionKind::Header, SectionKind::Text,
                               SectionKind::Mime, SectionKind::HeaderFields};
  for (uint32_t a = 0; a < 4; ++a)
    for (uint32_t b = 0; b < 3; ++b)
      for (SectionKind k : kinds) {
        std::vector<uint32_t> path;
        if (a) path.push_back(a);
        if (a && b) path.push_back(b);
        auto c = resolve_section(root, msg, {path, k, {"from", "to"}});
        if (c) {
          EXPECT_LE(c->view(msg).size(), msg.size() + 2);
        }
      }
}

}  // namespace

TEST(Robustness, RandomMessagesThroughEveryFunction) {
  uint32_t seed = 42;
  for (int round = 0; round < 400; ++round) {
    std::string msg = random_message(seed, 1 + round % 80);
    Part root = parse_message(msg);
    EXPECT_LE(root.end(), msg.size());
    std::string bs = imap_bodystructure(root, msg);
    EXPECT_TRUE(balanced(bs)) << bs;
    EXPECT_TRUE(balanced(imap_body(root, msg)));
    EXPECT_TRUE(balanced(imap_envelope(msg)));
    auto back = deserialize(serialize(root));
    ASSERT_TRUE(back);
    EXPECT_EQ(imap_bodystructure(*back, msg), bs);
    exercise_sections(root, msg);
    (void)decode_encoded_words(msg);
    (void)parse_date(msg);
    (void)parse_structured_value(msg);
  }
}

TEST(Robustness, TrailingBackslashInsideComment) {
  Part p = parse_message("Content-Type: text/plain; (a\\");
  EXPECT_EQ(p.type, "text");
  EXPECT_TRUE(parse_address_list("(a\\").empty());
  EXPECT_EQ(parse_date("(\\"), std::nullopt);
}
