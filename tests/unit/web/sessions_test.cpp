#include "web/sessions.h"

#include <gtest/gtest.h>

namespace kurier::web {
namespace {

TEST(Sessions, FindsLiveSessionWithCsrfToken) {
  SessionStore store;
  auto c = store.create({Principal::Admin, 1, "root", "s"}, 1000);
  auto s = store.find(c.id, 1001);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->principal.name, "root");
  EXPECT_EQ(s->csrf_token, c.session.csrf_token);
  EXPECT_NE(c.id, c.session.csrf_token);
  EXPECT_FALSE(store.find("nonsense", 1001));
}

TEST(Sessions, IdleTimeoutAndAbsoluteExpiry) {
  SessionStore store({std::chrono::seconds(100), std::chrono::seconds(10), 10});
  auto c = store.create({Principal::User, 7, "a@example.org", "s"}, 1000);
  EXPECT_TRUE(store.find(c.id, 1009));
  EXPECT_TRUE(store.find(c.id, 1018));   // idle clock restarted at 1009
  EXPECT_FALSE(store.find(c.id, 1030));  // idle 12 s
  auto d = store.create({Principal::User, 7, "a@example.org", "s"}, 1000);
  for (int t = 1005; t < 1100; t += 5) ASSERT_TRUE(store.find(d.id, t));
  EXPECT_FALSE(store.find(d.id, 1100));  // lifetime over although active
}

TEST(Sessions, RemoveAndRemoveAll) {
  SessionStore store;
  auto a = store.create({Principal::Admin, 1, "x", "s"}, 1);
  auto b = store.create({Principal::Admin, 1, "x", "s"}, 1);
  auto c = store.create({Principal::Admin, 2, "y", "s"}, 1);
  auto u = store.create({Principal::User, 1, "x@example.org", "s"}, 1);
  store.remove(a.id);
  EXPECT_FALSE(store.find(a.id, 2));
  store.remove_all(Principal::Admin, 1);
  EXPECT_FALSE(store.find(b.id, 2));
  EXPECT_TRUE(store.find(c.id, 2));
  EXPECT_TRUE(store.find(u.id, 2));  // the same id of another kind is somebody else
}

TEST(Sessions, RemoveAllButOneAndRestamp) {
  SessionStore store;
  auto keep = store.create({Principal::User, 3, "a@example.org", "old"}, 1);
  auto other = store.create({Principal::User, 3, "a@example.org", "old"}, 1);
  store.remove_all(Principal::User, 3, keep.id);
  EXPECT_FALSE(store.find(other.id, 2));
  ASSERT_TRUE(store.restamp(keep.id, "new"));
  EXPECT_EQ(store.find(keep.id, 2)->principal.stamp, "new");
  EXPECT_FALSE(store.restamp(other.id, "new"));
  EXPECT_NE(credential_stamp("$y$a"), credential_stamp("$y$b"));
  EXPECT_EQ(credential_stamp("$y$a").find("$y$a"), std::string::npos);
}

TEST(Sessions, BoundedTable) {
  SessionStore store({std::chrono::seconds(100), std::chrono::seconds(50), 3});
  for (int i = 0; i < 10; ++i) store.create({Principal::Admin, 1, "x", "s"}, 1 + i);
  EXPECT_LE(store.size(), 3u);
}

}  // namespace
}  // namespace kurier::web
