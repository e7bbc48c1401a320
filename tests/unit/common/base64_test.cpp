#include "common/base64.h"

#include <gtest/gtest.h>

namespace kurier {
namespace {

// RFC 4648 section 10 test vectors.
TEST(Base64, EncodesRfc4648Vectors) {
  EXPECT_EQ(base64_encode(""), "");
  EXPECT_EQ(base64_encode("f"), "Zg==");
  EXPECT_EQ(base64_encode("fo"), "Zm8=");
  EXPECT_EQ(base64_encode("foo"), "Zm9v");
  EXPECT_EQ(base64_encode("foob"), "Zm9vYg==");
  EXPECT_EQ(base64_encode("fooba"), "Zm9vYmE=");
  EXPECT_EQ(base64_encode("foobar"), "Zm9vYmFy");
}

TEST(Base64, DecodesRfc4648Vectors) {
  EXPECT_EQ(base64_decode(""), "");
  EXPECT_EQ(base64_decode("Zg=="), "f");
  EXPECT_EQ(base64_decode("Zm8="), "fo");
  EXPECT_EQ(base64_decode("Zm9v"), "foo");
  EXPECT_EQ(base64_decode("Zm9vYg=="), "foob");
  EXPECT_EQ(base64_decode("Zm9vYmE="), "fooba");
  EXPECT_EQ(base64_decode("Zm9vYmFy"), "foobar");
}

TEST(Base64, RoundTripsEveryByteValue) {
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(char(i));
  for (size_t len = 0; len <= all.size(); len += 37) {
    std::string bytes = all.substr(0, len);
    EXPECT_EQ(base64_decode(base64_encode(bytes)), bytes) << len;
  }
  EXPECT_EQ(base64_encode(all.substr(250)), "+vv8/f7/");
}

TEST(Base64, DecodesSaslPlainMessage) {
  EXPECT_EQ(base64_decode("AHVzZXIAcGVuY2ls"), std::string("\0user\0pencil", 12));
}

TEST(Base64, RejectsMalformedInput) {
  EXPECT_FALSE(base64_decode("Zg"));        // missing padding
  EXPECT_FALSE(base64_decode("Zg="));       // length not a multiple of 4
  EXPECT_FALSE(base64_decode("Z==="));      // too much padding
  EXPECT_FALSE(base64_decode("===="));
  EXPECT_FALSE(base64_decode("Zg==Zg=="));  // padding before the end
  EXPECT_FALSE(base64_decode("Z=g="));      // padding inside a group
  EXPECT_FALSE(base64_decode("Zm9v\r\n"));  // whitespace
  EXPECT_FALSE(base64_decode("Zm 9"));
  EXPECT_FALSE(base64_decode("Zm9-"));      // URL-safe alphabet is not accepted
  EXPECT_FALSE(base64_decode("Zm9_"));
  EXPECT_FALSE(base64_decode(std::string_view("Zm\0v", 4)));
  EXPECT_FALSE(base64_decode("Zm9\xC3"));
}

TEST(Base64, RejectsNonCanonicalTrailingBits) {
  EXPECT_FALSE(base64_decode("Zh=="));  // "Zg==" with a non-zero pad bit
  EXPECT_FALSE(base64_decode("Zm9="));  // "Zm8=" with a non-zero pad bit
  EXPECT_TRUE(base64_decode("Zm8="));
}

}  // namespace
}  // namespace kurier
