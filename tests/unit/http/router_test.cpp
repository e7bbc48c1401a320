#include "http/router.h"

#include <gtest/gtest.h>

namespace kurier::http {
namespace {

using R = Router<int>;

R sample() {
  R r;
  r.add("GET", "/api/v1/domains", 1);
  r.add("POST", "/api/v1/domains", 2);
  r.add("GET", "/api/v1/domains/{domain}", 3);
  r.add("DELETE", "/api/v1/domains/{domain}", 4);
  r.add("GET", "/api/v1/accounts/{address}/aliases", 5);
  return r;
}

TEST(Router, MatchesLiteralAndParameterRoutes) {
  auto r = sample();
  auto m = r.match("GET", "/api/v1/domains");
  ASSERT_EQ(m.kind, R::Match::Found);
  EXPECT_EQ(m.route->handler, 1);
  m = r.match("GET", "/api/v1/domains/example.org");
  ASSERT_EQ(m.kind, R::Match::Found);
  EXPECT_EQ(m.route->handler, 3);
  EXPECT_EQ(m.params.at("domain"), "example.org");
  m = r.match("GET", "/api/v1/accounts/a@example.org/aliases");
  ASSERT_EQ(m.kind, R::Match::Found);
  EXPECT_EQ(m.params.at("address"), "a@example.org");
}

TEST(Router, WrongMethodIs405WithAllow) {
  auto r = sample();
  auto m = r.match("PUT", "/api/v1/domains/example.org");
  EXPECT_EQ(m.kind, R::Match::MethodNotAllowed);
  EXPECT_EQ(m.allow, "GET, DELETE");
}

TEST(Router, HeadUsesGetRoutes) {
  auto r = sample();
  EXPECT_EQ(r.match("HEAD", "/api/v1/domains").kind, R::Match::Found);
}

TEST(Router, UnknownAndEmptySegmentsAreNotFound) {
  auto r = sample();
  EXPECT_EQ(r.match("GET", "/api/v1/nothing").kind, R::Match::NotFound);
  EXPECT_EQ(r.match("GET", "/api/v1/domains/").kind, R::Match::NotFound);
  EXPECT_EQ(r.match("GET", "/api/v1/domains/x/y").kind, R::Match::NotFound);
  EXPECT_EQ(r.match("GET", "").kind, R::Match::NotFound);
}

TEST(Router, ListsItsRoutes) {
  auto r = sample();
  ASSERT_EQ(r.routes().size(), 5u);
  EXPECT_EQ(r.routes()[2].pattern, "/api/v1/domains/{domain}");
  EXPECT_EQ(r.routes()[2].method, "GET");
}

}  // namespace
}  // namespace kurier::http
