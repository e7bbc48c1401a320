#include "auth/scram.h"

#include <gtest/gtest.h>

#include <stdexcept>

#include "common/base64.h"

namespace kurier::auth {
namespace {

// RFC 7677 section 3: user "user", password "pencil", salt W22ZaJ0SNY7soEsUEjb6gQ==, i=4096.
// StoredKey and ServerKey computed independently (Python hashlib/hmac) from those inputs.
constexpr const char* kRfcSalt = "W22ZaJ0SNY7soEsUEjb6gQ==";
constexpr const char* kRfcStoredKey = "WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=";
constexpr const char* kRfcServerKey = "wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU=";

ScramSecret rfc7677_secret() {
  return make_scram_secret("pencil", *base64_decode(kRfcSalt), 4096);
}

TEST(Scram, DerivesRfc7677Keys) {
  ScramSecret secret = rfc7677_secret();
  EXPECT_EQ(secret.iterations, 4096u);
  EXPECT_EQ(base64_encode(secret.salt), kRfcSalt);
  EXPECT_EQ(base64_encode(as_bytes(secret.stored_key)), kRfcStoredKey);
  EXPECT_EQ(base64_encode(as_bytes(secret.server_key)), kRfcServerKey);
}

TEST(Scram, SerializesInPostgresForm) {
  EXPECT_EQ(serialize_scram_secret(rfc7677_secret()),
            std::string("SCRAM-SHA-256$4096:") + kRfcSalt + "$" + kRfcStoredKey + ":" +
                kRfcServerKey);
}

TEST(Scram, ParsesWhatItSerializes) {
  ScramSecret secret = make_scram_secret("another password");
  EXPECT_EQ(secret.salt.size(), kScramSaltSize);
  auto parsed = parse_scram_secret(serialize_scram_secret(secret));
  ASSERT_TRUE(parsed);
  EXPECT_EQ(*parsed, secret);
}

TEST(Scram, ParsesDovecotForm) {
  auto parsed = parse_scram_secret(std::string("{SCRAM-SHA-256}4096,") + kRfcSalt + "," +
                                   kRfcStoredKey + "," + kRfcServerKey);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(*parsed, rfc7677_secret());
}

TEST(Scram, RandomSaltsDiffer) {
  EXPECT_NE(make_scram_secret("pencil").salt, make_scram_secret("pencil").salt);
}

TEST(Scram, RejectsMalformedStoredSecrets) {
  const std::string keys = std::string("$") + kRfcStoredKey + ":" + kRfcServerKey;
  const std::string salt = kRfcSalt;
  EXPECT_TRUE(parse_scram_secret("SCRAM-SHA-256$4096:" + salt + keys));
  EXPECT_FALSE(parse_scram_secret("SCRAM-SHA-1$4096:" + salt + keys));
  EXPECT_FALSE(parse_scram_secret("scram-sha-256$4096:" + salt + keys));
  EXPECT_FALSE(parse_scram_secret("SCRAM-SHA-256$0:" + salt + keys));
  EXPECT_FALSE(parse_scram_secret("SCRAM-SHA-256$-1:" + salt + keys));
  EXPECT_FALSE(parse_scram_secret("SCRAM-SHA-256$99999999999:" + salt + keys));
  EXPECT_FALSE(parse_scram_secret("SCRAM-SHA-256$4096:" + keys));
  EXPECT_FALSE(parse_scram_secret("SCRAM-SHA-256$4096:!!!!" + keys));
  EXPECT_FALSE(parse_scram_secret("SCRAM-SHA-256$4096:" + salt + "$" + kRfcStoredKey));
  EXPECT_FALSE(parse_scram_secret("SCRAM-SHA-256$4096:" + salt + "$Zm9v:" + kRfcServerKey));
  EXPECT_FALSE(parse_scram_secret("SCRAM-SHA-256$4096:" + salt + keys + ":extra"));
  EXPECT_FALSE(parse_scram_secret("SCRAM-SHA-256$4096:" + salt + keys + "$"));
  EXPECT_FALSE(parse_scram_secret("{SCRAM-SHA-256}4096," + salt + "," + kRfcStoredKey));
  EXPECT_FALSE(parse_scram_secret(""));
  EXPECT_FALSE(parse_scram_secret("SCRAM-SHA-256$"));
}

TEST(Scram, MakeRejectsBadInput) {
  EXPECT_THROW(make_scram_secret(""), std::invalid_argument);
  EXPECT_THROW(make_scram_secret("tab\there"), std::invalid_argument);
  EXPECT_THROW(make_scram_secret("\xFF"), std::invalid_argument);
  EXPECT_THROW(make_scram_secret("pencil", 1000), std::invalid_argument);
  EXPECT_THROW(make_scram_secret("pencil", "", 4096), std::invalid_argument);
}

TEST(Scram, VerifiesPasswordAgainstSecret) {
  ScramSecret secret = rfc7677_secret();
  EXPECT_TRUE(verify_scram_password("pencil", secret));
  EXPECT_FALSE(verify_scram_password("pencil2", secret));
  EXPECT_FALSE(verify_scram_password("", secret));
  EXPECT_FALSE(verify_scram_password("pen\ncil", secret));
}

}  // namespace
}  // namespace kurier::auth
