// Store support for imports: a mailbox taking its source's UIDVALIDITY only while unused,
// source UIDs kept when free, keys recorded so a re-run skips, POP3 UIDLs; and a guest store
// (another process, the CLI) whose commits the owner's watcher publishes to its ChangeHub.
#include <gtest/gtest.h>

#include <condition_variable>

#include "store_test_util.h"

namespace kurier::store {
namespace {

using testing::flags_of;
using testing::StoreTest;

class ImportOpsTest : public StoreTest {
 protected:
  ImportItem item(std::string key, Uid source_uid, Flags flags = {}, std::string uidl = {}) {
    ImportItem it;
    it.message = new_message("Subject: " + key + "\r\n\r\nbody\r\n");
    it.key = std::move(key);
    it.source_uid = source_uid;
    it.flags = std::move(flags);
    it.pop3_uidl = std::move(uidl);
    return it;
  }
};

TEST_F(ImportOpsTest, NewMailboxTakesTheSourceUidValidity) {
  auto box = store_->prepare_import_mailbox(kAlice, "Archive/2019", 1234567);
  EXPECT_EQ(box.uidvalidity, 1234567u);
  EXPECT_TRUE(store_->find_mailbox(kAlice, "Archive").has_value());  // superior made too
  // Later mailboxes still get larger values than any imported one (RFC 9051 2.3.1.1).
  auto high = store_->prepare_import_mailbox(kAlice, "High", 4000000000u);
  EXPECT_EQ(high.uidvalidity, 4000000000u);
  EXPECT_GT(store_->create_mailbox(kAlice, "Later").uidvalidity, 4000000000u);
}

TEST_F(ImportOpsTest, UsedMailboxKeepsItsUidValidity) {
  MailboxId box = inbox();
  uint32_t before = store_->mailbox(box)->uidvalidity;
  add(box);
  auto again = store_->prepare_import_mailbox(kAlice, "INBOX", 42);
  EXPECT_EQ(again.uidvalidity, before);
}

TEST_F(ImportOpsTest, SourceUidsAreKeptWhenFreeAndAscending) {
  auto box = store_->prepare_import_mailbox(kAlice, "INBOX", 7);
  std::vector<ImportItem> items;
  items.push_back(item("a", 3, flags_of(kSeen, {"$Label1"})));
  items.push_back(item("b", 10));
  items.push_back(item("c", 5));  // below UIDNEXT by now: gets the next UID
  items.push_back(item("d", 0));
  auto out = store_->import_messages(kAlice, box.id, "maildir:/x", items);
  ASSERT_EQ(out.size(), 4u);
  EXPECT_EQ(out[0].uid, 3u);
  EXPECT_EQ(out[1].uid, 10u);
  EXPECT_EQ(out[2].uid, 11u);
  EXPECT_EQ(out[3].uid, 12u);
  auto msgs = store_->messages(box.id);
  ASSERT_EQ(msgs.size(), 4u);
  EXPECT_EQ(msgs[0].flags, flags_of(kSeen, {"$Label1"}));
  EXPECT_EQ(store_->mailbox_status(box.id).uidnext, 13u);
  store_->raise_uidnext(box.id, 40);
  store_->raise_uidnext(box.id, 20);  // never lowered
  EXPECT_EQ(store_->mailbox_status(box.id).uidnext, 40u);
  EXPECT_EQ(add(box.id).uid, 40u);
}

TEST_F(ImportOpsTest, ARerunSkipsWhatWasImported) {
  auto box = store_->prepare_import_mailbox(kAlice, "INBOX", 0);
  std::vector<ImportItem> first{item("m1", 1), item("m2", 2)};
  store_->import_messages(kAlice, box.id, "src", first);
  std::vector<ImportItem> again{item("m2", 2), item("m3", 3)};
  auto out = store_->import_messages(kAlice, box.id, "src", again);
  EXPECT_TRUE(out[0].skipped);
  EXPECT_FALSE(out[1].skipped);
  EXPECT_EQ(out[1].uid, 3u);
  EXPECT_EQ(store_->messages(box.id).size(), 3u);
  auto keys = store_->imported_keys(kAlice, "src");
  EXPECT_EQ(keys.size(), 3u);
  EXPECT_TRUE(store_->imported_keys(kBob, "src").empty());
  // Another source with the same key name is a different message.
  std::vector<ImportItem> other{item("m1", 0)};
  EXPECT_FALSE(store_->import_messages(kAlice, box.id, "other", other)[0].skipped);
}

TEST_F(ImportOpsTest, AFailedBatchRecordsNothing) {
  auto box = store_->prepare_import_mailbox(kAlice, "INBOX", 0);
  std::vector<ImportItem> items{item("k1", 1), item("k2", 2)};
  fail_commits_ = true;
  EXPECT_THROW(store_->import_messages(kAlice, box.id, "src", items), StoreError);
  fail_commits_ = false;
  EXPECT_TRUE(store_->imported_keys(kAlice, "src").empty());
  EXPECT_TRUE(store_->messages(box.id).empty());
  EXPECT_EQ(store_->import_messages(kAlice, box.id, "src", items).size(), 2u);
}

TEST_F(ImportOpsTest, KeptPop3UidlsFollowTheMessage) {
  auto box = store_->prepare_import_mailbox(kAlice, "INBOX", 0);
  std::vector<ImportItem> items{item("u1", 1, flags_of(kDeleted), "UID1-old"), item("u2", 2)};
  store_->import_messages(kAlice, box.id, "src", items);
  auto uidls = store_->pop3_uidls(box.id);
  ASSERT_EQ(uidls.size(), 1u);
  EXPECT_EQ(uidls[0], (std::pair<Uid, std::string>{1, "UID1-old"}));
  store_->expunge(box.id);
  EXPECT_TRUE(store_->pop3_uidls(box.id).empty());
}

TEST_F(ImportOpsTest, ItemsOfAnotherAccountsMailboxAreRefused) {
  auto box = store_->prepare_import_mailbox(kBob, "INBOX", 0);
  std::vector<ImportItem> items{item("x", 0)};
  EXPECT_THROW(store_->import_messages(kAlice, box.id, "src", items), StoreError);
}

// The owner (kurier serve) and a guest (the CLI) on one store: the guest's import reaches the
// owner's ChangeHub subscribers through the journal, and the owner's expunge holds survive.
TEST_F(ImportOpsTest, GuestCommitsArePublishedByTheOwner) {
  store_.reset();
  SqliteMailStore::Options owner_options;
  owner_options.db_path = dir_.path() / "store.db";
  owner_options.watch_interval_ms = 10;
  store_ = std::make_unique<SqliteMailStore>(owner_options, *blobs_);
  MailboxId box = inbox();
  std::mutex mutex;
  std::condition_variable seen;
  std::vector<MailboxChange> published;
  auto sub = store_->changes().subscribe(box, [&](const MailboxChange& c) {
    std::lock_guard lock(mutex);
    published.push_back(c);
    seen.notify_all();
  });
  // An expunged message a session still holds must stay readable while the guest writes.
  Uid held = add(box, "Subject: held\r\n\r\nx\r\n", flags_of(kDeleted)).uid;
  sub.hold_expunged_after(store_->mailbox_status(box).highest_modseq);
  store_->expunge(box);
  {
    std::lock_guard lock(mutex);
    published.clear();
  }

  FileBlobStore guest_blobs(dir_.path() / "blobs", true);
  SqliteMailStore::Options guest_options;
  guest_options.db_path = dir_.path() / "store.db";
  guest_options.guest = true;
  SqliteMailStore guest(guest_options, guest_blobs);
  std::vector<ImportItem> items{item("g1", 0)};
  auto out = guest.import_messages(kAlice, box, "src", items);

  std::unique_lock lock(mutex);
  ASSERT_TRUE(seen.wait_for(lock, std::chrono::seconds(10), [&] { return !published.empty(); }));
  EXPECT_EQ(published[0].mailbox, box);
  EXPECT_EQ(published[0].highest_modseq, store_->mailbox_status(box).highest_modseq);
  EXPECT_FALSE(published[0].mailbox_deleted);
  lock.unlock();
  EXPECT_EQ(store_->messages(box).back().uid, out[0].uid);
  EXPECT_EQ(store_->expunged_messages(box, {{held, held}}).size(), 1u);
}

// A guest giving an unused mailbox its source's UIDVALIDITY: a session that had it selected
// must start over, so the owner publishes it as the mailbox going away.
TEST_F(ImportOpsTest, GuestUidValidityChangeIsPublishedAsAReset) {
  store_.reset();
  SqliteMailStore::Options owner_options;
  owner_options.db_path = dir_.path() / "store.db";
  owner_options.watch_interval_ms = 10;
  store_ = std::make_unique<SqliteMailStore>(owner_options, *blobs_);
  MailboxId box = inbox();
  std::mutex mutex;
  std::condition_variable seen;
  std::vector<MailboxChange> published;
  auto sub = store_->changes().subscribe(box, [&](const MailboxChange& c) {
    std::lock_guard lock(mutex);
    published.push_back(c);
    seen.notify_all();
  });
  FileBlobStore guest_blobs(dir_.path() / "blobs", true);
  SqliteMailStore::Options guest_options;
  guest_options.db_path = dir_.path() / "store.db";
  guest_options.guest = true;
  SqliteMailStore guest(guest_options, guest_blobs);
  EXPECT_EQ(guest.prepare_import_mailbox(kAlice, "INBOX", 77).uidvalidity, 77u);
  std::unique_lock lock(mutex);
  ASSERT_TRUE(seen.wait_for(lock, std::chrono::seconds(10), [&] { return !published.empty(); }));
  EXPECT_TRUE(published[0].mailbox_deleted);
  EXPECT_EQ(published.size(), 1u);
  lock.unlock();
  EXPECT_EQ(store_->publish_external_changes(), 0u);  // each journal row is published once
}

}  // namespace
}  // namespace kurier::store
