#include "http/query.h"

#include <gtest/gtest.h>

#include "http/gzip.h"
#include "http/message.h"
#include "http/problem.h"
#include "http/server.h"

namespace kurier::http {
namespace {

TEST(Query, DecodesPercentAndPlus) {
  EXPECT_EQ(percent_decode("a%20b+c", true), "a b c");
  EXPECT_EQ(percent_decode("a%20b+c", false), "a b+c");
  EXPECT_EQ(percent_decode("%41%6a", false), "Aj");
}

TEST(Query, RefusesBadEscapesAndNul) {
  EXPECT_FALSE(percent_decode("%4", false));
  EXPECT_FALSE(percent_decode("%", false));
  EXPECT_FALSE(percent_decode("%zz", false));
  EXPECT_FALSE(percent_decode("a%00b", false));
}

TEST(Query, ParsesPairsInOrder) {
  auto q = parse_query("limit=50&after=a%40b.org&q&&x=1+2");
  ASSERT_TRUE(q);
  ASSERT_EQ(q->size(), 4u);
  EXPECT_EQ((*q)[0], (std::pair<std::string, std::string>{"limit", "50"}));
  EXPECT_EQ((*q)[1].second, "a@b.org");
  EXPECT_EQ((*q)[2], (std::pair<std::string, std::string>{"q", ""}));
  EXPECT_EQ((*q)[3].second, "1 2");
}

TEST(Query, ParsesOriginFormTargets) {
  auto t = parse_target("/api/v1/accounts/a%40b.org?limit=2");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->path, "/api/v1/accounts/a@b.org");
  EXPECT_EQ(t->query.at(0).second, "2");
  EXPECT_FALSE(parse_target("http://x/"));
  EXPECT_FALSE(parse_target("/a/../etc/passwd"));
  EXPECT_FALSE(parse_target("/a/%2e%2e/b"));
  EXPECT_FALSE(parse_target("/a?x=%"));
  EXPECT_FALSE(parse_target(""));
}

TEST(Query, EncodeRoundTrips) {
  std::string s = "a b/c@d%e";
  EXPECT_EQ(percent_decode(percent_encode(s), false), s);
  EXPECT_EQ(percent_encode("a b"), "a%20b");
}

TEST(Headers, CaseInsensitiveLookup) {
  Request r;
  r.headers.emplace("Content-Type", "application/json");
  EXPECT_EQ(r.header("content-type"), "application/json");
  EXPECT_EQ(r.header("X-Missing"), "");
}

TEST(Problem, IsRfc9457Json) {
  auto p = problem(404, "not_found", "no such domain: x.org");
  EXPECT_EQ(p.status, 404);
  EXPECT_EQ(p.content_type, "application/problem+json");
  EXPECT_NE(p.body.find("\"code\":\"not_found\""), std::string::npos);
  EXPECT_NE(p.body.find("\"status\":404"), std::string::npos);
  EXPECT_NE(p.body.find("\"title\":\"Not Found\""), std::string::npos);
}

TEST(Gzip, AcceptEncodingWithQValues) {
  EXPECT_TRUE(accepts_gzip("gzip, deflate, br"));
  EXPECT_TRUE(accepts_gzip("br;q=1.0, gzip;q=0.8"));
  EXPECT_FALSE(accepts_gzip("gzip;q=0"));
  EXPECT_FALSE(accepts_gzip("identity"));
  EXPECT_FALSE(accepts_gzip(""));
}

TEST(Gzip, CompressesWithGzipMagic) {
  std::string text(5000, 'a');
  auto z = gzip_compress(text);
  ASSERT_GT(z.size(), 10u);
  EXPECT_EQ(static_cast<unsigned char>(z[0]), 0x1f);
  EXPECT_EQ(static_cast<unsigned char>(z[1]), 0x8b);
  EXPECT_LT(z.size(), text.size());
}

TEST(SecurityHeaders, OnEveryResponse) {
  Response r;
  add_security_headers(r, true);
  EXPECT_NE(r.header("Content-Security-Policy").find("frame-ancestors 'none'"), std::string::npos);
  EXPECT_EQ(r.header("Content-Security-Policy").find("unsafe-inline"), std::string::npos);
  EXPECT_EQ(r.header("X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(r.header("Referrer-Policy"), "no-referrer");
  EXPECT_FALSE(r.header("Strict-Transport-Security").empty());
  Response plain;
  add_security_headers(plain, false);
  EXPECT_TRUE(plain.header("Strict-Transport-Security").empty());
}

TEST(MaybeGzip, OnlyWhenAcceptedAndWorthIt) {
  Request req;
  req.headers.emplace("Accept-Encoding", "gzip");
  Response big;
  big.content_type = "application/json";
  big.body = std::string(4000, 'x');
  maybe_gzip(big, req);
  EXPECT_TRUE(big.body_is_gzip);
  Response small;
  small.content_type = "application/json";
  small.body = "{}";
  maybe_gzip(small, req);
  EXPECT_FALSE(small.body_is_gzip);
  Response png;
  png.content_type = "image/png";
  png.body = std::string(4000, 'x');
  maybe_gzip(png, req);
  EXPECT_FALSE(png.body_is_gzip);
}

}  // namespace
}  // namespace kurier::http
