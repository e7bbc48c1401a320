// Tests for mime/cache.h: round trips and hostile input.
#include "mime/cache.h"

#include <gtest/gtest.h>

#include "mime/bodystructure.h"
#include "test_messages.h"

using namespace kurier::mime;

namespace {

void expect_same(const Part& a, const Part& b) {
  EXPECT_EQ(a.header_offset, b.header_offset);
  EXPECT_EQ(a.header_size, b.header_size);
  EXPECT_EQ(a.body_offset, b.body_offset);
  EXPECT_EQ(a.body_size, b.body_size);
  EXPECT_EQ(a.body_lines, b.body_lines);
  EXPECT_EQ(a.body_crlf_size, b.body_crlf_size);
  EXPECT_EQ(a.type, b.type);
  EXPECT_EQ(a.subtype, b.subtype);
  EXPECT_EQ(a.params, b.params);
  EXPECT_EQ(a.id, b.id);
  EXPECT_EQ(a.description, b.description);
  EXPECT_EQ(a.encoding, b.encoding);
  EXPECT_EQ(a.md5, b.md5);
  EXPECT_EQ(a.disposition, b.disposition);
  EXPECT_EQ(a.disposition_params, b.disposition_params);
  EXPECT_EQ(a.language, b.language);
  EXPECT_EQ(a.location, b.location);
  EXPECT_EQ(a.envelope, b.envelope);
  ASSERT_EQ(a.children.size(), b.children.size());
  for (size_t i = 0; i < a.children.size(); ++i) expect_same(a.children[i], b.children[i]);
}

}  // namespace

TEST(Cache, RoundTripsRealMessages) {
  for (std::string_view msg :
       {testdata::kDovecotMessage, testdata::kMixedAlternative, testdata::kForwarded,
        std::string_view("")}) {
    Part p = parse_message(msg);
    std::string blob = serialize(p);
    auto back = deserialize(blob);
    ASSERT_TRUE(back);
    expect_same(p, *back);
    EXPECT_EQ(imap_bodystructure(*back, msg), imap_bodystructure(p, msg));
  }
}

TEST(Cache, IsCompact) {
  Part p = parse_message(testdata::kDovecotMessage);
  EXPECT_LT(serialize(p).size(), 1200u);
}

TEST(Cache, RejectsWrongMagicVersionAndTrailingBytes) {
  std::string blob = serialize(parse_message(testdata::kForwarded));
  EXPECT_FALSE(deserialize(""));
  EXPECT_FALSE(deserialize("KMC"));
  std::string wrong = blob;
  wrong[3] = char(kCacheVersion + 1);
  EXPECT_FALSE(deserialize(wrong));
  EXPECT_FALSE(deserialize(blob + "x"));
}

TEST(Cache, EveryTruncationAndByteFlipIsSafe) {
  std::string blob = serialize(parse_message(testdata::kDovecotMessage));
  for (size_t n = 0; n < blob.size(); ++n) EXPECT_FALSE(deserialize(blob.substr(0, n)));
  for (size_t i = 4; i < blob.size(); ++i) {
    std::string bad = blob;
    bad[i] = char(bad[i] ^ 0xff);
    (void)deserialize(bad);  // must not crash or allocate wildly
  }
}

TEST(Cache, HugeCountsAreRejected) {
  std::string blob = "KMC";
  blob += char(kCacheVersion);
  for (int i = 0; i < 6; ++i) blob += char(0);
  blob += "\x04text\x05plain";
  blob += "\xff\xff\xff\xff\x0f";  // params count 2^32-1
  EXPECT_FALSE(deserialize(blob));
}
