// A batch whose COMMIT fails changes nothing, not even later: the blob-garbage list read inside
// the rolled-back transaction must not be unlinked by the next successful batch (issue 8).
#include <gtest/gtest.h>

#include "store_test_util.h"

namespace kurier::store {
namespace {

using testing::flags_of;
using testing::StoreTest;

TEST_F(StoreTest, FailedCommitKeepsTheBlobsOfLiveMessages) {
  MailboxId box = inbox();
  NewMessage msg = new_message("Subject: keep me\r\n\r\nlive body\r\n");
  Uid uid = store_->append(box, msg, flags_of(kDeleted)).uid;

  fail_commits_ = true;
  EXPECT_THROW(store_->expunge(box), StoreError);  // rolled back: the message stays
  fail_commits_ = false;
  add(box);  // the next batch commits

  auto metas = store_->messages(box, {{uid, uid}});
  ASSERT_EQ(metas.size(), 1u);
  ASSERT_TRUE(blobs_->size(metas[0].blob).has_value()) << "the live message lost its blob";
  EXPECT_EQ(blobs_->open(metas[0].blob).data(), "Subject: keep me\r\n\r\nlive body\r\n");
}

}  // namespace
}  // namespace kurier::store
