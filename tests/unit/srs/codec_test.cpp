#include "srs/codec.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "../temp_dir.h"
#include "common/strings.h"
#include "srs/secret.h"

namespace kurier::srs {
namespace {

using Status = ReverseResult::Status;
constexpr int64_t kNow = 1700000000;  // day 19675: stamp "G3"
constexpr int64_t kDay = 86400;

Codec codec() { return Codec("tops3cr3t", "fwd.example"); }

// Expected values from an independent implementation of libsrs2's algorithm (Python hmac +
// base64, in tests/integration/srs_support.py).
TEST(SrsCodec, ForwardWritesPostsrsdsFormat) {
  EXPECT_EQ(Codec::timestamp(kNow), "G3");
  EXPECT_EQ(codec().forward("User@orig.example", kNow), "SRS0=lU1d=G3=orig.example=User@fwd.example");
}

TEST(SrsCodec, NullSenderAndOurOwnDomainStay) {
  EXPECT_EQ(codec().forward("", kNow), "");
  EXPECT_EQ(codec().forward("someone@FWD.example", kNow), "someone@FWD.example");
  EXPECT_EQ(codec().forward("no-domain", kNow), "no-domain");
}

TEST(SrsCodec, ReverseGivesTheOriginalBack) {
  auto c = codec();
  auto r = c.reverse(c.forward("User@orig.example", kNow), kNow + 3 * kDay);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.address, "User@orig.example");
  // A local part with '=' in it survives: the user is everything after the host.
  r = c.reverse(c.forward("a=b@orig.example", kNow), kNow);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.address, "a=b@orig.example");
}

TEST(SrsCodec, AnSrs0AddressBecomesSrs1AndReversesToIt) {
  auto c = codec();
  std::string srs1 = c.forward("SRS0=AbCd=XY=orig.example=user@fwd1.example", kNow);
  EXPECT_EQ(srs1, "SRS1=T/1A=fwd1.example==AbCd=XY=orig.example=user@fwd.example");
  auto r = c.reverse(srs1, kNow);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.address, "SRS0=AbCd=XY=orig.example=user@fwd1.example");
  // SRS1 forwarded again keeps the first forwarder and gets a hash of ours.
  Codec other("another secret", "third.example");
  std::string again = other.forward(srs1, kNow);
  EXPECT_TRUE(again.starts_with("SRS1=")) << again;
  EXPECT_TRUE(again.ends_with("=fwd1.example==AbCd=XY=orig.example=user@third.example")) << again;
  auto back = other.reverse(again, kNow);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back.address, "SRS0=AbCd=XY=orig.example=user@fwd1.example");
}

TEST(SrsCodec, HashAndTimestampAreCaseInsensitiveAndDomainTooAsPostsrsd) {
  auto c = codec();
  auto r = c.reverse("srs0=LU1D=g3=ORIG.example=user@FWD.EXAMPLE", kNow);
  ASSERT_TRUE(r.ok()) << int(r.status);
  EXPECT_EQ(r.address, "user@ORIG.example");
}

TEST(SrsCodec, BadHashIsRefused) {
  auto c = codec();
  EXPECT_EQ(c.reverse("SRS0=lU1e=G3=orig.example=User@fwd.example", kNow).status, Status::bad_hash);
  EXPECT_EQ(c.reverse("SRS0=lU1d=G3=orig.example=Other@fwd.example", kNow).status, Status::bad_hash);
  EXPECT_EQ(c.reverse("SRS0=lU1=G3=orig.example=User@fwd.example", kNow).status, Status::bad_hash);  // too short
  Codec other("another secret", "fwd.example");
  EXPECT_EQ(other.reverse("SRS0=lU1d=G3=orig.example=User@fwd.example", kNow).status, Status::bad_hash);
  EXPECT_EQ(c.reverse("SRS1=xxxx=fwd1.example==AbCd=XY=orig.example=user@fwd.example", kNow).status, Status::bad_hash);
}

TEST(SrsCodec, ExpiredAfterMaxAgeDays) {
  auto c = codec();
  std::string a = c.forward("User@orig.example", kNow);
  EXPECT_TRUE(c.reverse(a, kNow + 21 * kDay).ok());
  EXPECT_EQ(c.reverse(a, kNow + 22 * kDay).status, Status::expired);
  EXPECT_EQ(c.reverse(a, kNow - kDay).status, Status::expired);  // from the future: 1023 days old
  Codec shorter("tops3cr3t", "fwd.example", 2);
  EXPECT_EQ(shorter.reverse(a, kNow + 3 * kDay).status, Status::expired);
  // The 10-bit day counter wraps every 1024 days: still checked relative to today.
  std::string late = c.forward("User@orig.example", kNow + 800 * kDay);
  EXPECT_TRUE(c.reverse(late, kNow + 810 * kDay).ok());
}

TEST(SrsCodec, NotOursOrMalformed) {
  auto c = codec();
  EXPECT_EQ(c.reverse("user@fwd.example", kNow).status, Status::not_srs);
  EXPECT_EQ(c.reverse("SRS0=lU1d=G3=orig.example=User@elsewhere.example", kNow).status, Status::not_srs);
  EXPECT_EQ(c.reverse("SRS0=lU1d=G3=orig.example@fwd.example", kNow).status, Status::malformed);
  EXPECT_EQ(c.reverse("SRS0=lU1d=G!=orig.example=User@fwd.example", kNow).status, Status::malformed);
  EXPECT_EQ(c.reverse("SRS0==G3=orig.example=User@fwd.example", kNow).status, Status::malformed);
  EXPECT_EQ(c.reverse("SRS1=abcd=host@fwd.example", kNow).status, Status::malformed);
  EXPECT_TRUE(Codec::looks_like_srs("srs0+x@y"));
  EXPECT_TRUE(Codec::looks_like_srs("SRS1=x@y"));
  EXPECT_FALSE(Codec::looks_like_srs("SRS2=x@y"));
  EXPECT_FALSE(Codec::looks_like_srs("srs0@y"));
}

TEST(SrsSecret, CreatedOnceWithMode0600AndKept) {
  testing::TempDir dir;
  auto path = dir.path() / "srs.secret";
  std::string first = load_or_create_secret(path);
  EXPECT_GE(first.size(), 40u);
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(load_or_create_secret(path), first);
  std::ofstream(path, std::ios::trunc) << "postsrsd style\nsecond line\n";
  EXPECT_EQ(load_or_create_secret(path), "postsrsd style");
  std::ofstream(path, std::ios::trunc) << "";
  EXPECT_THROW(load_or_create_secret(path), std::runtime_error);
}

}  // namespace
}  // namespace kurier::srs
