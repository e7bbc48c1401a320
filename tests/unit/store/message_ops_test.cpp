// Message-level behaviour of SqliteMailStore: UIDs and MODSEQs, flags, CONDSTORE/QRESYNC
// bookkeeping, COPY/MOVE, EXPUNGE, blob reference counting, quota, account removal.
#include <chrono>
#include <gtest/gtest.h>

#include "store/errors.h"
#include "store_test_util.h"

namespace kurier::store {
namespace {

using testing::flags_of;
using testing::StoreTest;

std::vector<Uid> uids_of(const std::vector<MessageMeta>& messages) {
  std::vector<Uid> out;
  for (const auto& m : messages) out.push_back(m.uid);
  return out;
}

TEST_F(StoreTest, UidsAndModseqsStrictlyIncrease) {
  MailboxId box = inbox();
  ModSeq last_modseq = store_->mailbox_status(box).highest_modseq;
  for (Uid expected = 1; expected <= 20; ++expected) {
    auto r = add(box);
    EXPECT_EQ(r.uid, expected);
    EXPECT_GT(r.modseq, last_modseq);
    last_modseq = r.modseq;
  }
  auto status = store_->mailbox_status(box);
  EXPECT_EQ(status.uidnext, 21u);
  EXPECT_EQ(status.highest_modseq, last_modseq);
  EXPECT_EQ(status.messages, 20u);
  EXPECT_EQ(status.unseen, 20u);
}

TEST_F(StoreTest, UidNextSurvivesExpungeAndReopen) {
  MailboxId box = inbox();
  for (int i = 0; i < 3; ++i) add(box, "m", flags_of(kDeleted));
  EXPECT_EQ(store_->expunge(box), (std::vector<Uid>{1, 2, 3}));
  reopen();
  EXPECT_EQ(store_->mailbox_status(box).uidnext, 4u);
  EXPECT_EQ(add(box).uid, 4u);
}

TEST_F(StoreTest, AppendStoresMetadataAndStructure) {
  MailboxId box = inbox();
  auto msg = new_message("Subject: x\r\n\r\nhello\r\n", "(\"TEXT\" \"PLAIN\")");
  auto r = store_->append(box, msg, flags_of(kSeen | kDraft, {"$Forwarded", "Work"}));
  auto all = store_->messages(box);
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].uid, r.uid);
  EXPECT_EQ(all[0].modseq, r.modseq);
  EXPECT_EQ(all[0].flags, flags_of(kSeen | kDraft, {"$Forwarded", "Work"}));
  EXPECT_EQ(all[0].internal_date, 1700000000);
  EXPECT_EQ(all[0].internal_tz, 60);
  EXPECT_EQ(all[0].size, msg.size);
  EXPECT_EQ(all[0].blob, msg.blob);
  EXPECT_EQ(r.uidvalidity, store_->mailbox(box)->uidvalidity);
  auto structures = store_->cached_structures(box, {{1, 10}});
  ASSERT_EQ(structures.size(), 1u);
  EXPECT_EQ(structures[0].second, "(\"TEXT\" \"PLAIN\")");
}

TEST_F(StoreTest, AppendValidatesInput) {
  MailboxId box = inbox();
  NewMessage missing;
  missing.blob = BlobId::random();
  EXPECT_THROW(store_->append(box, missing, {}), StoreError);
  EXPECT_THROW(add(box, "x", flags_of(0, {"bad keyword"})), StoreError);
  EXPECT_THROW(add(9999), StoreError);
  EXPECT_EQ(store_->mailbox_status(box).messages, 0u);
}

// MULTIAPPEND (RFC 3502): consecutive UIDs in item order, or nothing at all.
TEST_F(StoreTest, AppendAllIsAllOrNothing) {
  MailboxId box = inbox();
  std::vector<AppendItem> items{{new_message("Subject: 1\r\n\r\n1\r\n"), flags_of(kSeen)},
                                {new_message("Subject: 2\r\n\r\n2\r\n"), {}},
                                {new_message("Subject: 3\r\n\r\n3\r\n"), flags_of(0, {"Work"})}};
  auto results = store_->append_all(box, items);
  ASSERT_EQ(results.size(), 3u);
  EXPECT_EQ(results[0].uid, 1u);
  EXPECT_EQ(results[1].uid, 2u);
  EXPECT_EQ(results[2].uid, 3u);
  auto all = store_->messages(box);
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].flags, flags_of(kSeen));
  EXPECT_EQ(all[2].flags, flags_of(0, {"Work"}));
  EXPECT_EQ(all[1].blob, items[1].message.blob);

  std::vector<AppendItem> bad_flags{{new_message("a"), {}}, {new_message("b"), flags_of(0, {"bad keyword"})}};
  EXPECT_THROW(store_->append_all(box, bad_flags), StoreError);
  NewMessage missing;
  missing.blob = BlobId::random();
  std::vector<AppendItem> bad_blob{{new_message("a"), {}}, {missing, {}}};
  EXPECT_THROW(store_->append_all(box, bad_blob), StoreError);
  EXPECT_THROW(store_->append_all(box, {}), StoreError);
  EXPECT_EQ(store_->mailbox_status(box).messages, 3u);
  EXPECT_EQ(store_->mailbox_status(box).uidnext, 4u);
}

TEST_F(StoreTest, FlagsAndKeywordsRoundTrip) {
  MailboxId box = inbox();
  for (int i = 0; i < 3; ++i) add(box);
  auto r = store_->store_flags(box, {{1, 2}}, FlagMode::add, flags_of(kSeen, {"Work", "$Label1"}));
  ASSERT_EQ(r.messages.size(), 2u);
  EXPECT_TRUE(r.messages[0].changed);
  EXPECT_EQ(r.messages[0].flags, flags_of(kSeen, {"$Label1", "Work"}));
  store_->store_flags(box, {{2, 2}}, FlagMode::remove, flags_of(0, {"work"}));
  store_->store_flags(box, {{3, 3}}, FlagMode::replace, flags_of(kFlagged | kAnswered, {"x"}));
  reopen();
  auto all = store_->messages(box);
  EXPECT_EQ(all[0].flags, flags_of(kSeen, {"$Label1", "Work"}));
  EXPECT_EQ(all[1].flags, flags_of(kSeen, {"$Label1"}));
  EXPECT_EQ(all[2].flags, flags_of(kFlagged | kAnswered, {"x"}));
  EXPECT_EQ(store_->mailbox_status(box).unseen, 1u);
}

TEST_F(StoreTest, StoreWithoutChangeKeepsModseq) {
  MailboxId box = inbox();
  auto a = add(box, "m", flags_of(kSeen));
  auto r = store_->store_flags(box, all_uids(), FlagMode::add, flags_of(kSeen));
  ASSERT_EQ(r.messages.size(), 1u);
  EXPECT_FALSE(r.messages[0].changed);
  EXPECT_EQ(r.messages[0].modseq, a.modseq);
  EXPECT_EQ(r.highest_modseq, a.modseq);
}

TEST_F(StoreTest, UnchangedSinceFailsForModifiedMessages) {
  MailboxId box = inbox();
  auto one = add(box);
  add(box);
  // Message 2 was changed after the client's view (modseq of message 1).
  store_->store_flags(box, {{2, 2}}, FlagMode::add, flags_of(kFlagged));
  auto r = store_->store_flags(box, {{1, 2}}, FlagMode::add, flags_of(kSeen), one.modseq);
  EXPECT_EQ(r.modified, (std::vector<Uid>{2}));
  ASSERT_EQ(r.messages.size(), 1u);
  EXPECT_EQ(r.messages[0].uid, 1u);
  EXPECT_GT(r.messages[0].modseq, one.modseq);
  auto all = store_->messages(box);
  EXPECT_EQ(all[1].flags.system, kFlagged);  // untouched
  // UNCHANGEDSINCE 0 fails for every message (RFC 7162 3.1.3).
  auto zero = store_->store_flags(box, all_uids(), FlagMode::add, flags_of(kDraft), 0);
  EXPECT_EQ(zero.modified, (std::vector<Uid>{1, 2}));
}

TEST_F(StoreTest, CopyAssignsNewUidsAndSharesBlobs) {
  MailboxId src = inbox();
  MailboxId dst = create(kAlice, "Archive");
  add(dst);  // destination already has UID 1
  add(src, "a", flags_of(kSeen, {"k"}));
  add(src, "b");
  add(src, "c");
  auto r = store_->copy(src, {{1, 1}, {3, 3}}, dst);
  EXPECT_EQ(r.dest_uidvalidity, store_->mailbox(dst)->uidvalidity);
  ASSERT_EQ(r.uids.size(), 2u);
  EXPECT_EQ(r.uids[0], (std::pair<Uid, Uid>{1, 2}));
  EXPECT_EQ(r.uids[1], (std::pair<Uid, Uid>{3, 3}));
  EXPECT_TRUE(r.expunged.empty());
  auto copied = store_->messages(dst, {{2, 2}});
  ASSERT_EQ(copied.size(), 1u);
  EXPECT_EQ(copied[0].flags, flags_of(kSeen, {"k"}));
  EXPECT_EQ(copied[0].internal_date, 1700000000);
  EXPECT_EQ(copied[0].blob, store_->messages(src, {{1, 1}})[0].blob);
  EXPECT_EQ(store_->cached_structures(dst, {{2, 3}}).size(), 2u);
  EXPECT_EQ(blob_file_count(), 4u);  // copies share their source blobs
  EXPECT_TRUE(store_->copy(src, {{50, 60}}, dst).uids.empty());
  EXPECT_THROW(store_->copy(src, all_uids(), 424242), StoreError);
}

TEST_F(StoreTest, MoveIsCopyPlusExpunge) {
  MailboxId src = inbox();
  MailboxId dst = create(kAlice, "Trash");
  add(src);
  add(src);
  ModSeq before = store_->mailbox_status(src).highest_modseq;
  auto r = store_->move(src, {{2, 2}}, dst);
  EXPECT_EQ(r.uids, (std::vector<std::pair<Uid, Uid>>{{2, 1}}));
  EXPECT_EQ(r.expunged, (std::vector<Uid>{2}));
  EXPECT_EQ(uids_of(store_->messages(src)), (std::vector<Uid>{1}));
  EXPECT_EQ(uids_of(store_->messages(dst)), (std::vector<Uid>{1}));
  EXPECT_EQ(store_->changes_since(src, before).vanished, (std::vector<Uid>{2}));
  EXPECT_EQ(store_->quota_usage(kAlice).messages, 2u);
  EXPECT_EQ(blob_file_count(), 2u);
}

TEST_F(StoreTest, ExpungeOnlyDeletedAndRestrictedToUidSet) {
  MailboxId box = inbox();
  add(box, "1", flags_of(kDeleted));
  add(box, "2");
  add(box, "3", flags_of(kDeleted));
  add(box, "4", flags_of(kDeleted));
  EXPECT_EQ(store_->expunge(box, UidSet{{1, 3}}), (std::vector<Uid>{1, 3}));  // UID EXPUNGE
  EXPECT_EQ(store_->mailbox_status(box).deleted, 1u);
  EXPECT_EQ(store_->expunge(box), (std::vector<Uid>{4}));
  EXPECT_TRUE(store_->expunge(box).empty());
  EXPECT_EQ(uids_of(store_->messages(box)), (std::vector<Uid>{2}));
}

// POP3 QUIT (RFC 1939 6): exactly the marked messages go, whatever their flags; UIDs already
// gone are skipped; one MODSEQ for all of them, reported as vanished.
TEST_F(StoreTest, ExpungeUidsIgnoresFlagsAndMissingUids) {
  MailboxId box = inbox();
  add(box);
  add(box, "2", flags_of(kDeleted));
  add(box, "3", flags_of(kSeen));
  add(box);
  ModSeq before = store_->mailbox_status(box).highest_modseq;
  EXPECT_EQ(store_->expunge_uids(box, UidSet{{1, 1}, {3, 3}, {9, 9}}), (std::vector<Uid>{1, 3}));
  EXPECT_EQ(uids_of(store_->messages(box)), (std::vector<Uid>{2, 4}));
  auto changes = store_->changes_since(box, before);
  EXPECT_EQ(changes.vanished, (std::vector<Uid>{1, 3}));
  EXPECT_EQ(changes.highest_modseq, before + 1);
  EXPECT_TRUE(store_->expunge_uids(box, UidSet{{1, 1}}).empty());
}

TEST_F(StoreTest, ChangesSinceReportsChangedAndVanished) {
  MailboxId box = inbox();
  add(box);
  add(box, "m", flags_of(kDeleted));
  ModSeq checkpoint = store_->mailbox_status(box).highest_modseq;
  auto third = add(box);
  store_->store_flags(box, {{1, 1}}, FlagMode::add, flags_of(kSeen));
  store_->expunge(box);
  auto changes = store_->changes_since(box, checkpoint);
  EXPECT_EQ(uids_of(changes.changed), (std::vector<Uid>{1, 3}));
  EXPECT_EQ(changes.vanished, (std::vector<Uid>{2}));
  EXPECT_EQ(changes.highest_modseq, store_->mailbox_status(box).highest_modseq);
  EXPECT_GT(changes.highest_modseq, third.modseq);
  auto none = store_->changes_since(box, changes.highest_modseq);
  EXPECT_TRUE(none.changed.empty());
  EXPECT_TRUE(none.vanished.empty());
  EXPECT_EQ(store_->changes_since(box, 0).changed.size(), 2u);
  EXPECT_EQ(store_->changes_since(box, UINT64_MAX).changed.size(), 0u);
}

TEST_F(StoreTest, SnapshotIsConsistent) {
  MailboxId box = inbox();
  for (int i = 0; i < 5; ++i) add(box);
  auto snap = store_->snapshot(box);
  EXPECT_EQ(snap.messages.size(), 5u);
  EXPECT_EQ(snap.info.uidnext, 6u);
  EXPECT_EQ(snap.info.highest_modseq, snap.messages.back().modseq);
}

TEST_F(StoreTest, DeliverWritesOneBlobForManyMailboxes) {
  std::vector<DeliveryTarget> targets;
  for (AccountId account = 10; account < 20; ++account)
    targets.push_back({inbox(account), flags_of(account == 10 ? uint32_t(kFlagged) : 0u)});
  auto msg = new_message("To: many\r\n\r\nhello\r\n");
  auto results = store_->deliver(targets, msg);
  ASSERT_EQ(results.size(), 10u);
  for (size_t i = 0; i < results.size(); ++i) {
    EXPECT_EQ(results[i].mailbox, targets[i].mailbox);
    EXPECT_EQ(results[i].uid, 1u);
  }
  EXPECT_EQ(blob_file_count(), 1u);
  EXPECT_EQ(store_->messages(targets[0].mailbox)[0].flags.system, kFlagged);
  // Expunging from nine mailboxes keeps the blob; the tenth removes it.
  for (size_t i = 0; i < 9; ++i) {
    store_->store_flags(targets[i].mailbox, all_uids(), FlagMode::add, flags_of(kDeleted));
    store_->expunge(targets[i].mailbox);
    EXPECT_EQ(blob_file_count(), 1u) << i;
  }
  EXPECT_EQ(blobs_->open(msg.blob).data(), "To: many\r\n\r\nhello\r\n");
  store_->store_flags(targets[9].mailbox, all_uids(), FlagMode::add, flags_of(kDeleted));
  store_->expunge(targets[9].mailbox);
  EXPECT_EQ(blob_file_count(), 0u);
}

TEST_F(StoreTest, DeliverIsAllOrNothing) {
  MailboxId good = inbox(kAlice);
  auto msg = new_message("x");
  EXPECT_THROW(store_->deliver({{good, {}}, {987654, {}}}, msg), StoreError);
  EXPECT_EQ(store_->mailbox_status(good).messages, 0u);
  EXPECT_EQ(store_->mailbox_status(good).uidnext, 1u);
  EXPECT_THROW(store_->deliver({}, msg), StoreError);
}

TEST_F(StoreTest, BlobRemovedOnlyWithLastReferenceAcrossCopyAndDelete) {
  MailboxId a = inbox();
  MailboxId b = create(kAlice, "B");
  auto r = add(a, "shared");
  store_->copy(a, all_uids(), b);
  BlobId blob = store_->messages(a)[0].blob;
  store_->delete_mailbox(kAlice, "B");
  EXPECT_TRUE(blobs_->size(blob));
  store_->store_flags(a, {{r.uid, r.uid}}, FlagMode::add, flags_of(kDeleted));
  store_->expunge(a);
  EXPECT_FALSE(blobs_->size(blob));
}

TEST_F(StoreTest, QuotaUsageCountsMessagesAndBytesPerAccount) {
  MailboxId a = inbox(kAlice);
  MailboxId a2 = create(kAlice, "Other");
  MailboxId b = inbox(kBob);
  add(a, std::string(100, 'x'));
  add(a2, std::string(250, 'y'));
  add(b, std::string(7, 'z'));
  auto usage = store_->quota_usage(kAlice);
  EXPECT_EQ(usage.bytes, 350u);
  EXPECT_EQ(usage.messages, 2u);
  store_->copy(a, all_uids(), a2);  // copies count again (RFC 9208 counts messages, not blobs)
  EXPECT_EQ(store_->quota_usage(kAlice).bytes, 450u);
  EXPECT_EQ(store_->quota_usage(kBob).bytes, 7u);
  EXPECT_EQ(store_->quota_usage(99).messages, 0u);
  EXPECT_EQ(store_->mailbox_status(a2).size, 350u);
}

TEST_F(StoreTest, DeleteAccountRemovesEverythingOfItOnly) {
  store_->create_default_mailboxes(kAlice);
  store_->create_default_mailboxes(kBob);
  MailboxId alice_inbox = inbox(kAlice);
  MailboxId bob_inbox = inbox(kBob);
  add(alice_inbox);
  add(bob_inbox);
  auto shared = new_message("to both");
  store_->deliver({{alice_inbox, {}}, {bob_inbox, {}}}, shared);
  store_->delete_account(kAlice);
  EXPECT_TRUE(store_->list_mailboxes(kAlice).empty());
  EXPECT_TRUE(store_->subscriptions(kAlice).empty());
  EXPECT_EQ(store_->quota_usage(kAlice).messages, 0u);
  EXPECT_EQ(store_->quota_usage(kBob).messages, 2u);
  EXPECT_EQ(blob_file_count(), 2u);  // Bob's own blob + the shared one
  EXPECT_TRUE(blobs_->size(shared.blob));
  EXPECT_FALSE(store_->mailbox(alice_inbox));
}

TEST_F(StoreTest, ChangeHubPublishesAfterCommit) {
  MailboxId box = inbox();
  MailboxId other = create(kAlice, "Other");
  std::vector<MailboxChange> seen;
  std::mutex mutex;
  auto sub = store_->changes().subscribe(box, [&](const MailboxChange& c) {
    std::lock_guard lock(mutex);
    seen.push_back(c);
  });
  add(box);  // write returns after publishing
  add(other);
  store_->store_flags(box, all_uids(), FlagMode::add, flags_of(kDeleted));
  store_->expunge(box);
  std::lock_guard lock(mutex);
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[0].appended, (std::vector<Uid>{1}));
  EXPECT_EQ(seen[1].flags_changed, (std::vector<Uid>{1}));
  EXPECT_EQ(seen[2].expunged, (std::vector<Uid>{1}));
  EXPECT_EQ(seen[2].highest_modseq, store_->mailbox_status(box).highest_modseq);
}

TEST_F(StoreTest, FailedWriteIsNotPublished) {
  MailboxId box = inbox();
  int calls = 0;
  auto sub = store_->changes().subscribe(box, [&](const MailboxChange&) { ++calls; });
  EXPECT_THROW(store_->deliver({{box, {}}, {555555, {}}}, new_message("x")), StoreError);
  EXPECT_EQ(calls, 0);
}

TEST_F(StoreTest, CrashMidBlobLeavesNothingReferenced) {
  MailboxId box = inbox();
  add(box, "complete");
  // Simulate a crash mid-delivery: a writer streamed part of a blob and never committed, and a
  // second blob was committed but the process died before the append transaction.
  std::filesystem::path temp = blobs_->temp_dir() / "0123456789abcdef0123456789abcdef.tmp";
  std::ofstream(temp) << "Subject: half";
  // Older than the grace a guest's temp file gets (blob_store.h).
  std::filesystem::last_write_time(temp, std::filesystem::file_time_type::clock::now() - std::chrono::hours(1));
  BlobId orphan = testing::write_blob(*blobs_, "committed but never appended");
  reopen();
  EXPECT_FALSE(std::filesystem::exists(temp));
  auto all = store_->messages(box);
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(blobs_->open(all[0].blob).data(), "complete");
  for (const auto& meta : all) EXPECT_TRUE(blobs_->size(meta.blob));
  // The committed-but-unreferenced blob is collected by the sweep; referenced ones stay.
  EXPECT_EQ(store_->sweep_orphan_blobs(0), 1u);
  EXPECT_FALSE(blobs_->size(orphan));
  EXPECT_TRUE(blobs_->size(all[0].blob));
  EXPECT_EQ(store_->sweep_orphan_blobs(0), 0u);
}

}  // namespace
}  // namespace kurier::store
