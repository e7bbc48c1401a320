#include "web/totp.h"

#include <gtest/gtest.h>

#include "auth/token.h"

namespace kurier::web {
namespace {

// RFC 6238 Appendix B, SHA-1 with the 20-byte secret "12345678901234567890" (8 digits).
TEST(Totp, Rfc6238TestVectors) {
  std::string secret = "12345678901234567890";
  EXPECT_EQ(totp(secret, 59, 8), "94287082");
  EXPECT_EQ(totp(secret, 1111111109, 8), "07081804");
  EXPECT_EQ(totp(secret, 1111111111, 8), "14050471");
  EXPECT_EQ(totp(secret, 1234567890, 8), "89005924");
  EXPECT_EQ(totp(secret, 2000000000, 8), "69279037");
  EXPECT_EQ(totp(secret, 20000000000, 8), "65353130");
}

// RFC 4226 Appendix D.
TEST(Totp, Rfc4226HotpVectors) {
  std::string secret = "12345678901234567890";
  EXPECT_EQ(hotp(secret, 0), "755224");
  EXPECT_EQ(hotp(secret, 1), "287082");
  EXPECT_EQ(hotp(secret, 9), "520489");
}

TEST(Totp, VerifyAllowsOneStepOfDrift) {
  std::string secret = "12345678901234567890";
  std::time_t now = 1111111111;
  EXPECT_TRUE(verify_totp(secret, totp(secret, now), now));
  EXPECT_TRUE(verify_totp(secret, totp(secret, now - 30), now));
  EXPECT_TRUE(verify_totp(secret, totp(secret, now + 30), now));
  EXPECT_FALSE(verify_totp(secret, totp(secret, now - 90), now));
  EXPECT_FALSE(verify_totp(secret, "12345", now));
  EXPECT_FALSE(verify_totp(secret, "abcdef", now));
}

TEST(Base32, RoundTripAndRfc4648Vectors) {
  EXPECT_EQ(base32_encode("foobar"), "MZXW6YTBOI");
  EXPECT_EQ(base32_decode("MZXW6YTBOI======"), "foobar");
  EXPECT_EQ(base32_decode("mzxw 6ytb oi"), "foobar");
  EXPECT_FALSE(base32_decode("MZ1W"));
  std::string raw = "\x01\x02\xff\x80zz";
  EXPECT_EQ(base32_decode(base32_encode(raw)), raw);
}

TEST(Tokens, RandomAndHashed) {
  auto a = auth::random_token(), b = auth::random_token();
  EXPECT_NE(a, b);
  EXPECT_EQ(a.size(), 43u);
  EXPECT_EQ(auth::token_hash("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_TRUE(auth::constant_time_equal("x", "x"));
  EXPECT_FALSE(auth::constant_time_equal("x", "y"));
  EXPECT_FALSE(auth::constant_time_equal("x", "xy"));
}

}  // namespace
}  // namespace kurier::web
