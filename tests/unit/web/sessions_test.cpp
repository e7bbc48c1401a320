#include "web/sessions.h"

#include <gtest/gtest.h>

namespace kurier::web {
namespace {

TEST(Sessions, FindsLiveSessionWithCsrfToken) {
  SessionStore store;
  auto c = store.create({Principal::Admin, "root"}, 1000);
  auto s = store.find(c.id, 1001);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->principal.name, "root");
  EXPECT_EQ(s->csrf_token, c.session.csrf_token);
  EXPECT_NE(c.id, c.session.csrf_token);
  EXPECT_FALSE(store.find("nonsense", 1001));
}

TEST(Sessions, IdleTimeoutAndAbsoluteExpiry) {
  SessionStore store({std::chrono::seconds(100), std::chrono::seconds(10), 10});
  auto c = store.create({Principal::User, "a@example.org"}, 1000);
  EXPECT_TRUE(store.find(c.id, 1009));
  EXPECT_TRUE(store.find(c.id, 1018));   // idle clock restarted at 1009
  EXPECT_FALSE(store.find(c.id, 1030));  // idle 12 s
  auto d = store.create({Principal::User, "a@example.org"}, 1000);
  for (int t = 1005; t < 1100; t += 5) ASSERT_TRUE(store.find(d.id, t));
  EXPECT_FALSE(store.find(d.id, 1100));  // lifetime over although active
}

TEST(Sessions, RemoveAndRemoveAll) {
  SessionStore store;
  auto a = store.create({Principal::Admin, "x"}, 1);
  auto b = store.create({Principal::Admin, "x"}, 1);
  auto c = store.create({Principal::Admin, "y"}, 1);
  store.remove(a.id);
  EXPECT_FALSE(store.find(a.id, 2));
  store.remove_all({Principal::Admin, "x"});
  EXPECT_FALSE(store.find(b.id, 2));
  EXPECT_TRUE(store.find(c.id, 2));
}

TEST(Sessions, BoundedTable) {
  SessionStore store({std::chrono::seconds(100), std::chrono::seconds(50), 3});
  for (int i = 0; i < 10; ++i) store.create({Principal::Admin, "x"}, 1 + i);
  EXPECT_LE(store.size(), 3u);
}

}  // namespace
}  // namespace kurier::web
