#include "common/crlf.h"

#include <gtest/gtest.h>

namespace kurier {
namespace {

std::string normalized(std::initializer_list<std::string_view> chunks) {
  CrlfNormalizer n;
  std::string out;
  for (auto c : chunks) n.feed(c, out);
  return out;
}

TEST(CrlfNormalizer, BareLfBecomesCrlfOthersStay) {
  EXPECT_EQ(normalized({"a\nb\r\nc\rd\n"}), "a\r\nb\r\nc\rd\r\n");
  EXPECT_EQ(normalized({"\n\n"}), "\r\n\r\n");
  EXPECT_EQ(normalized({""}), "");
}

TEST(CrlfNormalizer, ChunkBoundariesDoNotMatter) {
  std::string whole = "Subject: x\r\n\nbody\nline\r\n\r";
  std::string expected = normalized({whole});
  for (size_t cut = 0; cut <= whole.size(); ++cut)
    EXPECT_EQ(normalized({std::string_view(whole).substr(0, cut), std::string_view(whole).substr(cut)}), expected) << cut;
  EXPECT_EQ(normalized({"a\r", "\nb"}), "a\r\nb");  // a CR at the end of one chunk, its LF in the next
}

}  // namespace
}  // namespace kurier
