#include "store/change_hub.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

namespace kurier::store {
namespace {

MailboxChange appended(MailboxId box, Uid uid) {
  MailboxChange c;
  c.mailbox = box;
  c.appended = {uid};
  c.highest_modseq = uid;
  return c;
}

TEST(ChangeHubTest, DeliversOnlyToSubscribersOfTheMailbox) {
  ChangeHub hub;
  int a = 0, b = 0;
  auto sa = hub.subscribe(1, [&](const MailboxChange&) { ++a; });
  auto sb = hub.subscribe(2, [&](const MailboxChange&) { ++b; });
  hub.publish(appended(1, 5));
  EXPECT_EQ(a, 1);
  EXPECT_EQ(b, 0);
  EXPECT_EQ(hub.subscriber_count(1), 1u);
}

TEST(ChangeHubTest, SubscriptionIsRaii) {
  ChangeHub hub;
  int calls = 0;
  {
    auto sub = hub.subscribe(1, [&](const MailboxChange&) { ++calls; });
    hub.publish(appended(1, 1));
  }
  hub.publish(appended(1, 2));
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(hub.subscriber_count(1), 0u);
}

TEST(ChangeHubTest, CallbackMayUnsubscribeItself) {
  ChangeHub hub;
  ChangeHub::Subscription sub;
  int calls = 0;
  sub = hub.subscribe(1, [&](const MailboxChange&) {
    ++calls;
    sub.reset();
  });
  hub.publish(appended(1, 1));
  hub.publish(appended(1, 2));
  EXPECT_EQ(calls, 1);
}

TEST(ChangeHubTest, SubscriptionMayOutliveHub) {
  ChangeHub::Subscription sub;
  {
    ChangeHub hub;
    sub = hub.subscribe(1, [](const MailboxChange&) {});
  }
  sub.reset();
  SUCCEED();
}

TEST(ChangeHubTest, NoCallbackAfterResetReturnsUnderConcurrency) {
  ChangeHub hub;
  std::atomic<bool> stop{false};
  std::thread publisher([&] {
    while (!stop) hub.publish(appended(1, 1));
  });
  for (int i = 0; i < 200; ++i) {
    auto alive = std::make_shared<std::atomic<bool>>(true);
    auto sub = hub.subscribe(1, [alive](const MailboxChange&) { EXPECT_TRUE(alive->load()); });
    std::this_thread::yield();
    sub.reset();
    alive->store(false);  // a callback after reset() would see this
  }
  stop = true;
  publisher.join();
}

TEST(MailboxChangeTest, MergeUnionsUidsAndKeepsHighestModseq) {
  MailboxChange a = appended(1, 3);
  MailboxChange b = appended(1, 2);
  b.expunged = {1};
  b.highest_modseq = 9;
  a.merge(b);
  EXPECT_EQ(a.appended, (std::vector<Uid>{2, 3}));
  EXPECT_EQ(a.expunged, (std::vector<Uid>{1}));
  EXPECT_EQ(a.highest_modseq, 9u);
}

}  // namespace
}  // namespace kurier::store
