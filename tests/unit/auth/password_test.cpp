#include "auth/password.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace kurier::auth {
namespace {

// Every vector below is the hash of "secret". $1$/$5$/$6$ come from `openssl passwd -1/-5/-6`;
// the others from libxcrypt's crypt_gensalt_rn + crypt_rn.
constexpr const char* kMd5Crypt = "$1$saltsalt$9xy1btjgzLYfb7hivXtC//";
constexpr const char* kSha256Crypt = "$5$saltsaltsalt$TihBZCRsJxAxHgKub.mCOdu9X7QLi980jJxe7T2aZg7";
constexpr const char* kSha512Crypt =
    "$6$saltsaltsalt$PMWE8DTlam1JU37Piyk43bHcMxTJq6sgu5DKB0/tGPjanN35jcY68QkpDfPFUGPWX5uCxIQkSPz"
    "MmqEiVNgts.";
constexpr const char* kSha512CryptRounds =
    "$6$rounds=1000$saltsalt$LAV5VE5Y7w1d73x1mFNspYWUpazfmwv2SoepNXNKJ/otop/Zok96Hr8Q13LEv0DRY/x8"
    "v0/crpIjl8NJSAqXV/";
constexpr const char* kBcrypt2a = "$2a$05$Im7aH2lZg7pSxYqX2mn6yuZEtOOHNsNpZCaBCSLezZrFiVz.k1Oee";
constexpr const char* kBcrypt2b = "$2b$05$wcAmNXFx52oWNXIqDHMCVeS6JlRlv977aTNIOyG6cKoBCbSCNoTxm";
constexpr const char* kBcrypt2y = "$2y$05$RBo85Fp052IdQaGI0Rp9Euyqv9q5kycw3RL86e4HnPVXyXFhrazMO";
constexpr const char* kYescrypt =
    "$y$j9T$fw64zL9sDYR/Md1.BnsDx0$UpwHhpgGLcIqPtxMoR.fY6YJtvr1fISO/cvUE2/i8G4";

class EachImportedHash : public ::testing::TestWithParam<const char*> {};

TEST_P(EachImportedHash, VerifiesRightPasswordOnly) {
  std::string hash = GetParam();
  EXPECT_TRUE(verify_password("secret", hash));
  EXPECT_FALSE(verify_password("Secret", hash));
  EXPECT_FALSE(verify_password("secret ", hash));
  EXPECT_FALSE(verify_password("", hash));
}

TEST_P(EachImportedHash, AcceptsCryptSchemePrefix) {
  std::string hash = GetParam();
  EXPECT_TRUE(verify_password("secret", "{CRYPT}" + hash));
  EXPECT_TRUE(verify_password("secret", "{crypt}" + hash));
  EXPECT_FALSE(verify_password("wrong", "{CRYPT}" + hash));
}

TEST_P(EachImportedHash, RejectsTamperedHash) {
  std::string hash = GetParam();
  hash.back() = hash.back() == 'A' ? 'B' : 'A';
  EXPECT_FALSE(verify_password("secret", hash));
  EXPECT_FALSE(verify_password("secret", std::string(GetParam()) + "x"));
  EXPECT_FALSE(verify_password("secret", std::string(GetParam()).substr(0, 20)));
}

INSTANTIATE_TEST_SUITE_P(Password, EachImportedHash,
                         ::testing::Values(kMd5Crypt, kSha256Crypt, kSha512Crypt,
                                           kSha512CryptRounds, kBcrypt2a, kBcrypt2b, kBcrypt2y,
                                           kYescrypt));

TEST(Password, AcceptsDovecotSchemeNames) {
  EXPECT_TRUE(verify_password("secret", std::string("{MD5-CRYPT}") + kMd5Crypt));
  EXPECT_TRUE(verify_password("secret", std::string("{SHA256-CRYPT}") + kSha256Crypt));
  EXPECT_TRUE(verify_password("secret", std::string("{SHA512-CRYPT}") + kSha512Crypt));
  EXPECT_TRUE(verify_password("secret", std::string("{BLF-CRYPT}") + kBcrypt2y));
}

TEST(Password, HashesWithYescryptAndVerifies) {
  std::string hash = hash_password("correct horse battery staple");
  EXPECT_TRUE(hash.starts_with("$y$")) << hash;
  EXPECT_TRUE(verify_password("correct horse battery staple", hash));
  EXPECT_FALSE(verify_password("correct horse battery stapl", hash));
  EXPECT_FALSE(needs_rehash(hash));
}

TEST(Password, UsesAFreshSaltEachTime) {
  EXPECT_NE(hash_password("secret"), hash_password("secret"));
}

TEST(Password, HashesUtf8Passwords) {
  std::string hash = hash_password("p\xC3\xA4sswo\xCC\x88rd");
  EXPECT_TRUE(verify_password("p\xC3\xA4sswo\xCC\x88rd", hash));
  EXPECT_FALSE(verify_password("p\xC3\xA4ssw\xC3\xB6rd", hash));  // no normalisation
  EXPECT_TRUE(verify_password("p\xC3\xA4ssw\xC3\xB6rd",
                              "$y$j9T$fw64zL9sDYR/Md1.BnsDx0$FNiXjVe7gxN7pzvyXFEbl.hnVQyyYxsBIAo/"
                              "owUVjM0"));
}

TEST(Password, RefusesToHashNulOrOverlongPasswords) {
  EXPECT_THROW(hash_password(std::string("se\0cret", 7)), std::invalid_argument);
  EXPECT_THROW(hash_password(std::string(kMaxPasswordLength + 1, 'a')), std::invalid_argument);
  EXPECT_NO_THROW(hash_password(std::string(kMaxPasswordLength, 'a')));
}

TEST(Password, NulInPasswordNeverMatches) {
  // crypt(3) would see only "secret" and match: the NUL must not truncate the password.
  EXPECT_FALSE(verify_password(std::string("secret\0junk", 11), kSha512Crypt));
  EXPECT_FALSE(verify_password(std::string("secret\0junk", 11), "{PLAIN}secret"));
}

TEST(Password, VerifiesPlainScheme) {
  EXPECT_TRUE(verify_password("secret", "{PLAIN}secret"));
  EXPECT_TRUE(verify_password("s3cr{t}", "{plain}s3cr{t}"));
  EXPECT_TRUE(verify_password("secret", "{CLEARTEXT}secret"));
  EXPECT_FALSE(verify_password("secret", "{PLAIN}secret2"));
  EXPECT_FALSE(verify_password("secret2", "{PLAIN}secret"));
  EXPECT_FALSE(verify_password("Secret", "{PLAIN}secret"));
  EXPECT_FALSE(verify_password("", "{PLAIN}"));
}

TEST(Password, RejectsUnknownAndWeakSchemes) {
  EXPECT_FALSE(verify_password("secret", "abNANd1rDfiNc"));         // DES crypt("secret", "ab")
  EXPECT_FALSE(verify_password("secret", "{CRYPT}abNANd1rDfiNc"));
  EXPECT_FALSE(verify_password("secret",                            // gost-yescrypt
                               "$gy$j9T$La4UW0Oo4yIxc4fIbzhWV/$/fY777n0Si/sqm3bSSQJdZkLMI//"
                               "YminiuhuEVHz443"));
  EXPECT_FALSE(verify_password("secret", "{SHA}5en6G6MezRroT3XKqkdPOmY/BfQ="));
  EXPECT_FALSE(verify_password("secret", "{SSHA512}whatever"));
  EXPECT_FALSE(verify_password("secret", "secret"));  // bare cleartext is not a hash
  EXPECT_FALSE(verify_password("secret", ""));
  EXPECT_FALSE(verify_password("secret", "{PLAIN"));
  EXPECT_FALSE(verify_password("secret", "$y$"));
  EXPECT_FALSE(verify_password("secret", "$6$"));
  EXPECT_FALSE(verify_password("secret", std::string("$6$saltsaltsalt$\0", 16)));
  EXPECT_FALSE(verify_password("secret", "$6$" + std::string(10000, 'a')));
}

TEST(Password, NeedsRehashForEverythingButYescrypt) {
  EXPECT_FALSE(needs_rehash(kYescrypt));
  EXPECT_FALSE(needs_rehash(std::string("{CRYPT}") + kYescrypt));
  for (const char* hash : {kMd5Crypt, kSha256Crypt, kSha512Crypt, kBcrypt2b, kBcrypt2y})
    EXPECT_TRUE(needs_rehash(hash)) << hash;
  EXPECT_TRUE(needs_rehash(std::string("{SHA512-CRYPT}") + kSha512Crypt));
  EXPECT_TRUE(needs_rehash("{PLAIN}secret"));
  EXPECT_TRUE(needs_rehash("{PLAIN}$y$notahash"));
  EXPECT_TRUE(needs_rehash(""));
}

TEST(Password, IsThreadSafe) {
  std::vector<std::thread> threads;
  std::vector<int> results(4, 0);
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&results, i] {
      std::string own = "password-" + std::to_string(i);
      std::string hash = hash_password(own);
      for (int round = 0; round < 3; ++round) {
        results[i] += verify_password(own, hash);
        results[i] += verify_password("secret", kSha512Crypt);
        results[i] += !verify_password("wrong", kBcrypt2b);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  for (int result : results) EXPECT_EQ(result, 9);
}

}  // namespace
}  // namespace kurier::auth

// What Web-cyradm stored: MySQL's PASSWORD() (SELECT PASSWORD('secret') on MariaDB 10.11) and
// PHP's crypt() with a two-character salt (Python's crypt.crypt('secret', 'ab')).
TEST(Password, WebCyradmHashes) {
  using kurier::auth::needs_rehash;
  using kurier::auth::verify_password;
  const std::string mysql = "{MYSQL41}*14E65567ABDB5135D0CFD9A70B3032C179A49EE7";
  EXPECT_TRUE(verify_password("secret", mysql));
  EXPECT_TRUE(verify_password("secret", "{MYSQL41}*14e65567abdb5135d0cfd9a70b3032c179a49ee7"));
  EXPECT_FALSE(verify_password("Secret", mysql));
  EXPECT_FALSE(verify_password("secret", "{MYSQL41}*14E65567ABDB5135D0CFD9A70B3032C179A49EE8"));
  EXPECT_TRUE(needs_rehash(mysql));
  const std::string des = "{DES-CRYPT}abNANd1rDfiNc";
  EXPECT_TRUE(verify_password("secret", des));
  EXPECT_FALSE(verify_password("secreT", des));
  EXPECT_FALSE(verify_password("secret", "{DES-CRYPT}abNANd1rDfiN"));   // 12 characters
  EXPECT_FALSE(verify_password("secret", "abNANd1rDfiNc"));              // DES only when named
  EXPECT_TRUE(needs_rehash(des));
}
