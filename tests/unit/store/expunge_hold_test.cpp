// Expunged messages stay readable while a subscriber (an IMAP session) may still address them,
// and give up their blobs once every holder has told its client (issue 9 item 3).
#include <gtest/gtest.h>

#include "store_test_util.h"

namespace kurier::store {
namespace {

using testing::flags_of;
using testing::StoreTest;

class ExpungeHoldTest : public StoreTest {
 protected:
  // One \Deleted message in INBOX, expunged while `hold` is held.
  Uid expunge_one(ChangeHub::Subscription& hold, ModSeq held_after) {
    box_ = inbox();
    msg_ = new_message("Subject: held\r\n\r\nheld body\r\n");
    Uid uid = store_->append(box_, msg_, flags_of(kDeleted | kFlagged, {"$Work"})).uid;
    hold = store_->changes().subscribe(box_, [](const MailboxChange&) {});
    hold.hold_expunged_after(held_after ? held_after : store_->mailbox_status(box_).highest_modseq);
    store_->expunge(box_);
    return uid;
  }
  MailboxId box_ = 0;
  NewMessage msg_;
};

TEST_F(ExpungeHoldTest, HeldMessageKeepsDataAndMetadata) {
  ChangeHub::Subscription hold;
  Uid uid = expunge_one(hold, 0);
  add(box_);  // later batches do not release it either
  EXPECT_TRUE(store_->messages(box_, {{uid, uid}}).empty());
  auto kept = store_->expunged_messages(box_, {{uid, uid}});
  ASSERT_EQ(kept.size(), 1u);
  EXPECT_EQ(kept[0].flags, flags_of(kDeleted | kFlagged, {"$Work"}));
  EXPECT_EQ(kept[0].size, msg_.size);
  EXPECT_EQ(blobs_->open(kept[0].blob).data(), "Subject: held\r\n\r\nheld body\r\n");
  EXPECT_EQ(store_->cached_structures(box_, {{uid, uid}}).size(), 1u);
  EXPECT_EQ(store_->mailbox_status(box_).messages, 1u);  // only the one added later
}

TEST_F(ExpungeHoldTest, ReleasedOnceTheHolderWasTold) {
  ChangeHub::Subscription hold;
  Uid uid = expunge_one(hold, 0);
  hold.hold_expunged_after(store_->mailbox_status(box_).highest_modseq);
  add(box_);  // the next batch drops what nobody holds
  EXPECT_TRUE(store_->expunged_messages(box_, {{uid, uid}}).empty());
  EXPECT_FALSE(blobs_->size(msg_.blob).has_value());
  EXPECT_EQ(store_->changes_since(box_, 0).vanished, std::vector<Uid>{uid});  // QRESYNC keeps it
}

TEST_F(ExpungeHoldTest, ReleasedWhenTheHolderUnsubscribes) {
  ChangeHub::Subscription hold;
  Uid uid = expunge_one(hold, 0);
  hold.reset();
  add(box_);
  EXPECT_TRUE(store_->expunged_messages(box_, {{uid, uid}}).empty());
  EXPECT_FALSE(blobs_->size(msg_.blob).has_value());
}

TEST_F(ExpungeHoldTest, WithoutHoldersTheBlobGoesInTheSameCommit) {
  MailboxId box = inbox();
  NewMessage msg = new_message("Subject: x\r\n\r\nx\r\n");
  auto sub = store_->changes().subscribe(box, [](const MailboxChange&) {});  // holds nothing
  store_->append(box, msg, flags_of(kDeleted));
  store_->expunge(box);
  EXPECT_FALSE(blobs_->size(msg.blob).has_value());
}

TEST_F(ExpungeHoldTest, ReopenDropsEveryHold) {
  ChangeHub::Subscription hold;
  Uid uid = expunge_one(hold, 0);
  hold.reset();
  reopen();
  EXPECT_TRUE(store_->expunged_messages(box_, {{uid, uid}}).empty());
  EXPECT_FALSE(blobs_->size(msg_.blob).has_value());
}

TEST_F(ExpungeHoldTest, DeletingTheMailboxReleasesHeldBlobs) {
  ChangeHub::Subscription hold;
  MailboxId box = create(kAlice, "Folder");
  NewMessage msg = new_message("Subject: y\r\n\r\ny\r\n");
  store_->append(box, msg, flags_of(kDeleted));
  hold = store_->changes().subscribe(box, [](const MailboxChange&) {});
  hold.hold_expunged_after(0);
  store_->expunge(box);
  ASSERT_TRUE(blobs_->size(msg.blob).has_value());
  store_->delete_mailbox(kAlice, "Folder");
  EXPECT_FALSE(blobs_->size(msg.blob).has_value());
}

}  // namespace
}  // namespace kurier::store
