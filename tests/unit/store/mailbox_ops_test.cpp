// Mailbox-level behaviour of SqliteMailStore: defaults, CREATE/DELETE/RENAME semantics of
// RFC 9051 6.3.4-6.3.6, subscriptions, UIDVALIDITY stability.
#include <gtest/gtest.h>

#include "common/sqlite.h"
#include "store/errors.h"
#include "store/sqlite_sql.h"
#include "store_test_util.h"

namespace kurier::store {
namespace {

using testing::StoreTest;

std::vector<std::string> names(const std::vector<MailboxInfo>& boxes) {
  std::vector<std::string> out;
  for (const auto& b : boxes) out.push_back(b.name);
  return out;
}

StoreErrc error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const StoreError& e) {
    return e.code();
  }
  ADD_FAILURE() << "no StoreError thrown";
  return StoreErrc::database;
}

TEST_F(StoreTest, DefaultMailboxesHaveSpecialUseAndAreSubscribed) {
  auto boxes = store_->create_default_mailboxes(kAlice);
  ASSERT_EQ(boxes.size(), 6u);
  std::map<std::string, std::string> uses;
  for (const auto& b : boxes) {
    uses[b.name] = b.special_use;
    EXPECT_TRUE(b.subscribed) << b.name;
    EXPECT_FALSE(b.noselect);
    EXPECT_EQ(b.uidnext, 1u);
    EXPECT_GT(b.uidvalidity, 0u);
  }
  EXPECT_EQ(uses["INBOX"], "");
  EXPECT_EQ(uses["Drafts"], "\\Drafts");
  EXPECT_EQ(uses["Sent"], "\\Sent");
  EXPECT_EQ(uses["Trash"], "\\Trash");
  EXPECT_EQ(uses["Junk"], "\\Junk");
  EXPECT_EQ(uses["Archive"], "\\Archive");
  // Idempotent, and per account.
  EXPECT_EQ(store_->create_default_mailboxes(kAlice).size(), 6u);
  EXPECT_TRUE(store_->list_mailboxes(kBob).empty());
}

TEST_F(StoreTest, CreateImpliesParentsAndRejectsDuplicates) {
  store_->create_mailbox(kAlice, "Projects/2024/Q1");
  EXPECT_EQ(names(store_->list_mailboxes(kAlice)),
            (std::vector<std::string>{"Projects", "Projects/2024", "Projects/2024/Q1"}));
  EXPECT_EQ(error_of([&] { store_->create_mailbox(kAlice, "Projects"); }),
            StoreErrc::already_exists);
  EXPECT_EQ(error_of([&] { store_->create_mailbox(kAlice, "a//b"); }), StoreErrc::invalid_name);
  EXPECT_EQ(error_of([&] { store_->create_mailbox(kAlice, "X", "\\Bogus"); }),
            StoreErrc::invalid_argument);
  auto inbox = store_->create_mailbox(kAlice, "inbox");
  EXPECT_EQ(inbox.name, "INBOX");
  EXPECT_TRUE(store_->find_mailbox(kAlice, "InBoX"));
}

TEST_F(StoreTest, UidValidityStableAcrossReopenAndNewAfterRecreate) {
  auto box = store_->create_mailbox(kAlice, "Work");
  add(box.id);
  reopen();
  auto again = store_->find_mailbox(kAlice, "Work");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->uidvalidity, box.uidvalidity);
  EXPECT_EQ(again->id, box.id);
  store_->delete_mailbox(kAlice, "Work");
  auto recreated = store_->create_mailbox(kAlice, "Work");
  EXPECT_GT(recreated.uidvalidity, box.uidvalidity);  // RFC 9051 2.3.1.1
  EXPECT_NE(recreated.id, box.id);
  EXPECT_EQ(recreated.uidnext, 1u);
}

TEST_F(StoreTest, DeleteInboxIsRefused) {
  inbox();
  EXPECT_EQ(error_of([&] { store_->delete_mailbox(kAlice, "inbox"); }), StoreErrc::not_permitted);
  EXPECT_EQ(error_of([&] { store_->delete_mailbox(kAlice, "Nope"); }), StoreErrc::not_found);
}

TEST_F(StoreTest, DeleteWithChildrenBecomesNoselect) {
  MailboxId parent = create(kAlice, "Lists");
  create(kAlice, "Lists/linux");
  add(parent);
  store_->delete_mailbox(kAlice, "Lists");
  auto info = store_->find_mailbox(kAlice, "Lists");
  ASSERT_TRUE(info);
  EXPECT_TRUE(info->noselect);
  EXPECT_EQ(store_->mailbox_status(parent).messages, 0u);
  EXPECT_EQ(blob_file_count(), 0u);
  EXPECT_EQ(error_of([&] { add(parent); }), StoreErrc::not_permitted);
  // RFC 9051 6.3.5: deleting a \Noselect name that still has inferiors is an error.
  EXPECT_EQ(error_of([&] { store_->delete_mailbox(kAlice, "Lists"); }), StoreErrc::not_permitted);
  // Deleting the last child removes the \Noselect placeholder too.
  store_->delete_mailbox(kAlice, "Lists/linux");
  EXPECT_TRUE(store_->list_mailboxes(kAlice).empty());
}

TEST_F(StoreTest, CreateOverNoselectRevivesItWithNewUidValidity) {
  auto parent = store_->create_mailbox(kAlice, "P");
  create(kAlice, "P/c");
  store_->delete_mailbox(kAlice, "P");
  auto revived = store_->create_mailbox(kAlice, "P");
  EXPECT_FALSE(revived.noselect);
  EXPECT_EQ(revived.id, parent.id);
  EXPECT_GT(revived.uidvalidity, parent.uidvalidity);
}

TEST_F(StoreTest, RenameMovesChildrenAndSubscriptions) {
  auto work = store_->create_mailbox(kAlice, "Work");
  create(kAlice, "Work/Clients");
  create(kAlice, "Workshop");
  store_->subscribe(kAlice, "Work/Clients");
  add(work.id);
  store_->rename_mailbox(kAlice, "Work", "Old/Work");
  EXPECT_EQ(names(store_->list_mailboxes(kAlice)),
            (std::vector<std::string>{"Old", "Old/Work", "Old/Work/Clients", "Workshop"}));
  auto moved = store_->find_mailbox(kAlice, "Old/Work");
  ASSERT_TRUE(moved);
  EXPECT_EQ(moved->id, work.id);
  EXPECT_EQ(moved->uidvalidity, work.uidvalidity);
  EXPECT_EQ(store_->mailbox_status(work.id).messages, 1u);
  EXPECT_EQ(store_->subscriptions(kAlice), (std::vector<std::string>{"Old/Work/Clients"}));
  EXPECT_EQ(error_of([&] { store_->rename_mailbox(kAlice, "Workshop", "Old"); }),
            StoreErrc::already_exists);
  EXPECT_EQ(error_of([&] { store_->rename_mailbox(kAlice, "Old", "Old/Deeper"); }),
            StoreErrc::not_permitted);
  EXPECT_EQ(error_of([&] { store_->rename_mailbox(kAlice, "Missing", "X"); }),
            StoreErrc::not_found);
}

TEST_F(StoreTest, RenameInboxMovesMessagesAndLeavesInboxEmpty) {
  MailboxId in = inbox();
  create(kAlice, "INBOX/Sub");
  auto first = add(in, "one");
  add(in, "two");
  ModSeq before = store_->mailbox_status(in).highest_modseq;
  store_->rename_mailbox(kAlice, "INBOX", "Old Inbox");
  auto old = store_->find_mailbox(kAlice, "Old Inbox");
  ASSERT_TRUE(old);
  EXPECT_NE(old->id, in);
  auto moved = store_->messages(old->id);
  ASSERT_EQ(moved.size(), 2u);
  EXPECT_EQ(moved[0].uid, first.uid);
  EXPECT_EQ(old->uidnext, 3u);
  auto status = store_->mailbox_status(in);
  EXPECT_EQ(status.messages, 0u);
  EXPECT_EQ(status.uidnext, 3u);  // UIDs are never reused in INBOX
  EXPECT_TRUE(store_->find_mailbox(kAlice, "INBOX/Sub"));  // inferiors of INBOX stay
  auto changes = store_->changes_since(in, before);
  EXPECT_EQ(changes.vanished, (std::vector<Uid>{1, 2}));
  EXPECT_EQ(store_->quota_usage(kAlice).messages, 2u);
}

TEST_F(StoreTest, SubscriptionsOutliveMailboxes) {
  create(kAlice, "Temp");
  store_->subscribe(kAlice, "Temp");
  store_->subscribe(kAlice, "Elsewhere");  // need not exist (RFC 9051 6.3.7)
  store_->delete_mailbox(kAlice, "Temp");
  EXPECT_EQ(store_->subscriptions(kAlice), (std::vector<std::string>{"Elsewhere", "Temp"}));
  store_->unsubscribe(kAlice, "Temp");
  EXPECT_EQ(store_->subscriptions(kAlice), (std::vector<std::string>{"Elsewhere"}));
  EXPECT_TRUE(store_->subscriptions(kBob).empty());
}

TEST_F(StoreTest, SetSpecialUse) {
  create(kAlice, "Spam");
  store_->set_special_use(kAlice, "Spam", "\\Junk");
  EXPECT_EQ(store_->find_mailbox(kAlice, "Spam")->special_use, "\\Junk");
  EXPECT_THROW(store_->set_special_use(kAlice, "Spam", "Junk"), StoreError);
}

TEST_F(StoreTest, SchemaMigrationsAreRecordedOnce) {
  create(kAlice, "Kept");
  reopen();
  reopen();
  store_.reset();
  kurier::sql::Database::Options reader;
  reader.role = kurier::sql::Database::Role::reader;
  kurier::sql::Database db((dir_.path() / "store.db").string(), reader);
  EXPECT_EQ(db.prepare("SELECT count(*) FROM schema_migrations").single_int64(), int64_t(store::sql::kMigrations.size()));
  {
    auto mode = db.prepare("PRAGMA journal_mode");
    ASSERT_TRUE(mode.step());
    EXPECT_EQ(mode.text(0), "wal");
  }
  open();
  EXPECT_TRUE(store_->find_mailbox(kAlice, "Kept"));
}

}  // namespace
}  // namespace kurier::store
