// DeliveryService: RCPT answers, the one-transaction store, trace headers, quota (Cyrus
// semantics and the warning), duplicate suppression, relay policy and the filing hook.
#include "delivery/delivery_service.h"

#include <gtest/gtest.h>

#include <set>

#include "delivery_test_util.h"
#include "mime/cache.h"
#include "store/errors.h"
#include "store/sqlite_mail_store.h"

namespace kurier::delivery {
namespace {

const std::string kMessage =
    "From: sender@elsewhere.example\r\nTo: alice@example.test\r\nSubject: hello\r\n"
    "Message-ID: <m1@elsewhere.example>\r\n\r\nHello there.\r\n";

class DeliveryTest : public testing::DirectoryTest {
 protected:
  void SetUp() override {
    domain("example.test");
    alice_ = account("alice@example.test");
    bob_ = account("bob@example.test");
    blobs_ = std::make_unique<store::FileBlobStore>(tmp_.path() / "blobs");
    store_ = std::make_unique<store::SqliteMailStore>(store::SqliteMailStore::Options{.db_path = tmp_.path() / "store.db"}, *blobs_);
    settings_.hostname = "mx.example.test";
    settings_.state_path = tmp_.path() / "delivery.db";
    settings_.max_message_size = 100000;
    make_service();
  }

  void make_service() {
    service_.reset();
    service_ = std::make_unique<DeliveryService>(settings_, dir_, *store_, *blobs_);
  }

  // RCPT for each address (all must be accepted), then DATA with `message`.
  std::vector<RecipientStatus> send(const std::vector<std::string>& rcpts, const std::string& message = kMessage,
                                    const std::string& sender = "sender@elsewhere.example") {
    std::vector<std::pair<std::string, RecipientDsn>> plain;
    for (const auto& r : rcpts) plain.push_back({r, {}});
    return send_with_dsn(plain, {}, message, sender);
  }

  // send() with RFC 3461 parameters: RET/ENVID for the message, NOTIFY/ORCPT per recipient.
  std::vector<RecipientStatus> send_with_dsn(const std::vector<std::pair<std::string, RecipientDsn>>& rcpts,
                                             const MessageDsn& dsn, const std::string& message = kMessage,
                                             const std::string& sender = "sender@elsewhere.example") {
    std::vector<AcceptedRecipient> accepted;
    std::vector<std::string> addresses;
    for (const auto& [r, rcpt_dsn] : rcpts) {
      auto check = service_->check_recipient(r);
      EXPECT_TRUE(check.status.ok()) << r << ": " << check.status.code << " " << check.status.text;
      accepted.push_back({r, check.resolution, rcpt_dsn});
      addresses.push_back(r);
    }
    auto sink = service_->begin_message({sender, "Received: from client by mx.example.test; now\r\n", addresses, dsn, {}});
    for (size_t i = 0; i < message.size(); i += 7) sink.write(std::string_view(message).substr(i, 7));
    return service_->deliver(std::move(sink), accepted);
  }

  std::vector<std::string> inbox_messages(int64_t account) {
    std::vector<std::string> out;
    auto box = store_->find_mailbox(store::AccountId(account), "INBOX");
    if (!box) return out;
    for (const auto& m : store_->messages(box->id)) out.emplace_back(blobs_->open(m.blob).data());
    return out;
  }

  size_t blob_count() {
    size_t n = 0;
    blobs_->for_each([&](const store::BlobId&, int64_t) { ++n; });
    return n;
  }

  DeliverySettings settings_;
  std::unique_ptr<store::FileBlobStore> blobs_;
  std::unique_ptr<store::SqliteMailStore> store_;
  std::unique_ptr<DeliveryService> service_;
  int64_t alice_ = 0, bob_ = 0;
};

TEST_F(DeliveryTest, RcptAnswers) {
  auto ok = service_->check_recipient("alice@example.test");
  EXPECT_EQ(ok.status.code, 250);
  EXPECT_EQ(ok.status.enhanced, "2.1.5");
  auto unknown = service_->check_recipient("nobody@example.test");
  EXPECT_EQ(unknown.status.code, 550);
  EXPECT_EQ(unknown.status.enhanced, "5.1.1");
  EXPECT_EQ(unknown.status.kind, RecipientStatus::Kind::permanent);
  auto foreign = service_->check_recipient("x@elsewhere.example");
  EXPECT_EQ(foreign.status.code, 550);
  EXPECT_EQ(foreign.status.enhanced, "5.7.1");
  dir_.down = true;
  auto down = service_->check_recipient("alice@example.test");
  EXPECT_EQ(down.status.code, 451);
  EXPECT_EQ(down.status.enhanced, "4.3.0");
  EXPECT_EQ(down.status.kind, RecipientStatus::Kind::temporary);
}

TEST_F(DeliveryTest, DeliversIntoInboxWithTraceHeaders) {
  auto results = send({"alice@example.test"});
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].code, 250);
  auto msgs = inbox_messages(alice_);
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_EQ(msgs[0], "Return-Path: <sender@elsewhere.example>\r\nDelivered-To: alice@example.test\r\n"
                     "Received: from client by mx.example.test; now\r\n" + kMessage);
  // The cached structure is the mime module's, for FETCH without re-parsing.
  auto box = store_->find_mailbox(store::AccountId(alice_), "INBOX");
  auto cached = store_->cached_structures(box->id, store::all_uids());
  ASSERT_EQ(cached.size(), 1u);
  auto part = mime::deserialize(cached[0].second);
  ASSERT_TRUE(part);
  EXPECT_EQ(part->type, "text");
  // First delivery created the default mailboxes.
  EXPECT_TRUE(store_->find_mailbox(store::AccountId(alice_), "Trash"));
}

TEST_F(DeliveryTest, NullSenderIsEmptyReturnPath) {
  send({"alice@example.test"}, kMessage, "");
  EXPECT_EQ(inbox_messages(alice_)[0].rfind("Return-Path: <>\r\n", 0), 0u);
}

TEST_F(DeliveryTest, SeveralRecipientsShareOneBlobWithoutDeliveredTo) {
  auto results = send({"alice@example.test", "bob@example.test"});
  ASSERT_EQ(results.size(), 2u);
  EXPECT_TRUE(results[0].ok() && results[1].ok());
  auto a = inbox_messages(alice_), b = inbox_messages(bob_);
  ASSERT_EQ(a.size(), 1u);
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(a[0], b[0]);
  EXPECT_EQ(a[0].find("Delivered-To:"), std::string::npos);
  EXPECT_EQ(blob_count(), 1u);
}

TEST_F(DeliveryTest, AccountReachedTwiceGetsOneCopy) {
  alias("team@example.test", {"alice@example.test", "bob@example.test"});
  auto results = send({"alice@example.test", "team@example.test"});
  EXPECT_TRUE(results[0].ok() && results[1].ok());
  EXPECT_EQ(inbox_messages(alice_).size(), 1u);
  EXPECT_EQ(inbox_messages(bob_).size(), 1u);
}

TEST_F(DeliveryTest, DuplicateMessageIdIsStoredOnceAndReportedDelivered) {
  EXPECT_TRUE(send({"alice@example.test"})[0].ok());
  auto again = send({"alice@example.test", "bob@example.test"});
  EXPECT_TRUE(again[0].ok());
  EXPECT_TRUE(again[1].ok());
  EXPECT_EQ(inbox_messages(alice_).size(), 1u);
  EXPECT_EQ(inbox_messages(bob_).size(), 1u);
  // Remembered across restarts (DATA/delivery.db).
  make_service();
  EXPECT_TRUE(send({"bob@example.test"})[0].ok());
  EXPECT_EQ(inbox_messages(bob_).size(), 1u);
  // Without a Message-ID nothing is suppressed.
  std::string no_id = "Subject: x\r\n\r\nbody\r\n";
  send({"alice@example.test"}, no_id);
  send({"alice@example.test"}, no_id);
  EXPECT_EQ(inbox_messages(alice_).size(), 3u);
  EXPECT_EQ(blob_count(), 4u);  // 2 + 2: the suppressed copies left no blob behind
}

TEST_F(DeliveryTest, DuplicateSuppressionCanBeTurnedOff) {
  settings_.duplicate_window_hours = 0;
  make_service();
  send({"alice@example.test"});
  send({"alice@example.test"});
  EXPECT_EQ(inbox_messages(alice_).size(), 2u);
}

TEST_F(DeliveryTest, QuotaBelowLimitAcceptsACrossingMessage) {
  auto small = account("small@example.test", 200);
  auto first = send({"small@example.test"});  // ~250 bytes: below the limit before, crosses it
  EXPECT_TRUE(first[0].ok());
  EXPECT_GE(service_->usage_bytes(small), 200u);
  auto check = service_->check_recipient("small@example.test");
  EXPECT_EQ(check.status.code, 452);
  EXPECT_EQ(check.status.enhanced, "4.2.2");
  EXPECT_EQ(check.status.kind, RecipientStatus::Kind::temporary);
}

TEST_F(DeliveryTest, OverQuotaPermanentSetting) {
  settings_.over_quota_permanent = true;
  make_service();
  account("tiny@example.test", 1);
  send({"tiny@example.test"});
  auto check = service_->check_recipient("tiny@example.test");
  EXPECT_EQ(check.status.code, 552);
  EXPECT_EQ(check.status.enhanced, "5.2.2");
  EXPECT_EQ(check.status.kind, RecipientStatus::Kind::permanent);
}

TEST_F(DeliveryTest, QuotaIsCheckedAgainAtDelivery) {
  settings_.quota_warning_percent = 0;
  make_service();
  auto small = account("small@example.test", 200);
  auto check = service_->check_recipient("small@example.test");
  ASSERT_TRUE(check.status.ok());
  send({"small@example.test"});  // another transaction fills it meanwhile
  auto sink = service_->begin_message({"", "", {"small@example.test"}, {}, {}});
  sink.write("Subject: late\r\n\r\nx\r\n");
  auto results = service_->deliver(std::move(sink), {{"small@example.test", check.resolution, {}}});
  EXPECT_EQ(results[0].code, 452);
  EXPECT_EQ(inbox_messages(small).size(), 1u);
}

TEST_F(DeliveryTest, AliasWithAFullAccountFailsAsAWhole) {
  account("full@example.test", 1);
  alias("team@example.test", {"alice@example.test", "full@example.test"});
  send({"full@example.test"});
  EXPECT_EQ(service_->check_recipient("team@example.test").status.code, 452);
}

TEST_F(DeliveryTest, QuotaWarningOnceWhenCrossingThreshold) {
  settings_.quota_warning_percent = 50;
  settings_.duplicate_window_hours = 0;
  make_service();
  auto acct = account("warn@example.test", 4000);
  std::string msg = "Subject: fill\r\n\r\n" + std::string(900, 'x') + "\r\n";
  send({"warn@example.test"}, msg);  // ~1050 bytes: 26%
  EXPECT_EQ(inbox_messages(acct).size(), 1u);
  send({"warn@example.test"}, msg);  // 52%: crosses 50%
  auto msgs = inbox_messages(acct);
  ASSERT_EQ(msgs.size(), 3u);
  EXPECT_NE(msgs[2].find("Subject: Mailbox quota warning:"), std::string::npos);
  EXPECT_NE(msgs[2].find("Auto-Submitted: auto-generated"), std::string::npos);
  send({"warn@example.test"}, "Subject: s\r\n\r\nx\r\n");  // still above: no second warning
  EXPECT_EQ(inbox_messages(acct).size(), 4u);
  // Usage falls below the threshold: the mark resets, the next crossing warns again.
  auto box = store_->find_mailbox(store::AccountId(acct), "INBOX");
  store_->store_flags(box->id, store::all_uids(), store::FlagMode::add, store::Flags{store::kDeleted, {}});
  store_->expunge(box->id);
  send({"warn@example.test"}, msg);
  EXPECT_EQ(inbox_messages(acct).size(), 1u);
  send({"warn@example.test"}, msg);
  EXPECT_EQ(inbox_messages(acct).size(), 3u);
}

TEST_F(DeliveryTest, TooLargeMessageIsRefusedAndNothingStored) {
  settings_.max_message_size = 100;
  make_service();
  auto check = service_->check_recipient("alice@example.test");
  auto sink = service_->begin_message({"", "", {"alice@example.test"}, {}, {}});
  sink.write(std::string(60, 'a'));
  sink.write(std::string(60, 'b'));
  EXPECT_TRUE(sink.too_large());
  auto results = service_->deliver(std::move(sink), {{"alice@example.test", check.resolution, {}}});
  EXPECT_EQ(results[0].code, 552);
  EXPECT_EQ(results[0].enhanced, "5.3.4");
  EXPECT_TRUE(inbox_messages(alice_).empty());
  EXPECT_EQ(blob_count(), 0u);
}

TEST_F(DeliveryTest, AbandonedSinkLeavesNothing) {
  {
    auto sink = service_->begin_message({"", "", {"alice@example.test"}, {}, {}});
    sink.write(kMessage);
  }
  EXPECT_EQ(blob_count(), 0u);
}

struct RecordingRelay : RelayHook {
  std::vector<std::string> recipients;
  std::vector<RecipientDsn> dsn;
  MessageDsn message_dsn;
  std::string message, trace;
  bool fail = false;
  void relay(const RelayRequest& r) override {
    if (fail) throw std::runtime_error("queue full");
    recipients.clear();
    dsn.clear();
    for (const auto& rc : r.recipients) {
      recipients.push_back(rc.address);
      dsn.push_back(rc.dsn);
    }
    message_dsn = r.dsn;
    message = std::string(r.message);
    trace = std::string(r.trace);
  }
};

TEST_F(DeliveryTest, ExternalTargetsNeedARelayHook) {
  alias("fwd@example.test", {"alice@example.test", "friend@elsewhere.example"});
  auto refused = service_->check_recipient("fwd@example.test");
  EXPECT_EQ(refused.status.code, 550);
  EXPECT_EQ(refused.status.enhanced, "5.7.1");
  RecordingRelay relay;
  service_->set_relay_hook(&relay);
  auto results = send({"fwd@example.test"});
  EXPECT_TRUE(results[0].ok());
  EXPECT_EQ(relay.recipients, std::vector<std::string>{"friend@elsewhere.example"});
  EXPECT_NE(relay.message.find("Subject: hello"), std::string::npos);
  EXPECT_EQ(inbox_messages(alice_).size(), 1u);
  relay.fail = true;
  auto failed = send({"fwd@example.test"}, "Subject: two\r\n\r\nx\r\n");
  EXPECT_EQ(failed[0].code, 451);
}

// RFC 3461: RET/ENVID go with the relayed copy; NOTIFY/ORCPT per target as 5.2.7 says.
TEST_F(DeliveryTest, DsnParametersGoWithRelayedTargets) {
  alias("fwd@example.test", {"friend@elsewhere.example"});
  alias("team@example.test", {"alice@example.test", "mate@elsewhere.example", "pal@elsewhere.example"});
  RecordingRelay relay;
  service_->set_relay_hook(&relay);
  MessageDsn dsn{DsnReturn::headers, "QQ+2B1"};

  // A single-recipient alias: NOTIFY unchanged; ORCPT added with the address the sender used.
  auto r1 = send_with_dsn({{"fwd@example.test", {kDsnSuccess | kDsnFailure, ""}}}, dsn);
  ASSERT_TRUE(r1[0].ok());
  EXPECT_EQ(relay.message_dsn.ret, DsnReturn::headers);
  EXPECT_EQ(relay.message_dsn.envid, "QQ+2B1");
  ASSERT_EQ(relay.dsn.size(), 1u);
  EXPECT_EQ(relay.dsn[0].notify, unsigned(kDsnSuccess | kDsnFailure));
  EXPECT_EQ(relay.dsn[0].orcpt, "rfc822;fwd@example.test");

  // Several targets: each keeps the given ORCPT and NOTIFY minus SUCCESS (one "expanded" notice).
  auto r2 = send_with_dsn({{"team@example.test", {kDsnSuccess | kDsnDelay, "rfc822;team+2Bx@example.test"}}}, dsn,
                          "Subject: two\r\n\r\nx\r\n");
  ASSERT_TRUE(r2[0].ok());
  EXPECT_EQ(relay.recipients, (std::vector<std::string>{"mate@elsewhere.example", "pal@elsewhere.example"}));
  for (const auto& d : relay.dsn) {
    EXPECT_EQ(d.notify, unsigned(kDsnDelay));
    EXPECT_EQ(d.orcpt, "rfc822;team+2Bx@example.test");
  }
  // NOTIFY=SUCCESS alone on an expanding alias: the targets get NEVER.
  send_with_dsn({{"team@example.test", {kDsnSuccess, ""}}}, {}, "Subject: three\r\n\r\nx\r\n");
  for (const auto& d : relay.dsn) {
    EXPECT_EQ(d.notify, unsigned(kDsnNever));
    EXPECT_EQ(d.orcpt, "rfc822;team@example.test");
  }
  // No parameters: nothing invented but the ORCPT of the alias.
  send({"fwd@example.test"}, "Subject: four\r\n\r\nx\r\n");
  EXPECT_EQ(relay.dsn[0].notify, 0u);
  EXPECT_EQ(relay.message_dsn.ret, DsnReturn::unspecified);
  EXPECT_EQ(relay.message_dsn.envid, "");
}

struct RecordingNotices : NoticeHook {
  struct Got {
    std::string sender, envid, headers;
    std::vector<NoticeRecipient> recipients;
  };
  std::vector<Got> got;
  bool fail = false;
  std::vector<Got> failures;
  void success(const SuccessNotice& n) override { record(got, n); }
  void failure(const Notice& n) override { record(failures, n); }
  void record(std::vector<Got>& into, const Notice& n) {
    if (fail) throw std::runtime_error("no notices today");
    auto end = n.message.find("\r\n\r\n");
    into.push_back({std::string(n.sender), n.dsn.envid, std::string(n.message.substr(0, end)), n.recipients});
  }
};

// RFC 3461 5.2.3 "delivered" for a local mailbox, 5.2.7.3 "expanded" for a multi-target alias;
// nothing without SUCCESS, for the null sender, for a failed recipient or a single outside target.
TEST_F(DeliveryTest, SuccessNoticesForLocalDeliveryAndExpansion) {
  alias("team@example.test", {"alice@example.test", "mate@elsewhere.example"});
  alias("fwd@example.test", {"friend@elsewhere.example"});
  account("full@example.test", 1);
  send({"full@example.test"});  // fills it
  RecordingRelay relay;
  RecordingNotices notices;
  service_->set_relay_hook(&relay);
  service_->set_notice_hook(&notices);

  auto r = send_with_dsn({{"alice@example.test", {kDsnSuccess, "rfc822;alice@example.test"}},
                          {"bob@example.test", {kDsnFailure, ""}},
                          {"team@example.test", {kDsnSuccess | kDsnFailure, ""}},
                          {"fwd@example.test", {kDsnSuccess, ""}}},
                         {DsnReturn::full, "ENV1"});
  for (const auto& s : r) EXPECT_TRUE(s.ok()) << s.text;
  ASSERT_EQ(notices.got.size(), 1u);  // one notice for the whole transaction
  const auto& n = notices.got[0];
  EXPECT_EQ(n.sender, "sender@elsewhere.example");
  EXPECT_EQ(n.envid, "ENV1");
  EXPECT_NE(n.headers.find("Subject: hello"), std::string::npos);
  ASSERT_EQ(n.recipients.size(), 2u);
  EXPECT_EQ(n.recipients[0].address, "alice@example.test");
  EXPECT_EQ(n.recipients[0].action, "delivered");
  EXPECT_EQ(n.recipients[0].orcpt, "rfc822;alice@example.test");
  EXPECT_EQ(n.recipients[1].address, "team@example.test");
  EXPECT_EQ(n.recipients[1].action, "expanded");
  EXPECT_EQ(inbox_messages(alice_).size(), 1u);  // stored once, although reached twice

  notices.got.clear();
  send_with_dsn({{"alice@example.test", {kDsnSuccess, ""}}}, {}, "Subject: bounce\r\n\r\nx\r\n", "");
  EXPECT_TRUE(notices.got.empty());  // the null sender never gets a notice
  auto check = service_->check_recipient("full@example.test");
  ASSERT_FALSE(check.status.ok());
  // A notice that cannot be sent does not fail the delivery.
  notices.fail = true;
  auto ok = send_with_dsn({{"bob@example.test", {kDsnSuccess, ""}}}, {}, "Subject: five\r\n\r\nx\r\n");
  EXPECT_TRUE(ok[0].ok());
  EXPECT_EQ(inbox_messages(bob_).size(), 2u);
}

// The one SMTP reply: any temporary failure refuses the message, all permanent refuses it, and
// otherwise 250 (RFC 5321 6.1: never "neither").
TEST(MessageReply, NeverAcceptsWhatItCannotDeliverOrReport) {
  auto ok = RecipientStatus::success(250, "2.0.0", "ok");
  auto tmp = RecipientStatus::temporary(452, "4.2.2", "full");
  auto perm = RecipientStatus::permanent(552, "5.2.2", "full");
  EXPECT_EQ(message_reply({ok, ok}).code, 250);
  EXPECT_EQ(message_reply({ok, tmp, perm}).code, 452);
  EXPECT_EQ(message_reply({perm, perm}).code, 552);
  EXPECT_EQ(message_reply({ok, perm}).code, 250);
  EXPECT_TRUE(owes_failure_notice({ok, perm}));
  EXPECT_FALSE(owes_failure_notice({ok, tmp, perm}));
  EXPECT_FALSE(owes_failure_notice({perm}));
  EXPECT_FALSE(owes_failure_notice({ok}));
}

// SMTP (one reply): a recipient that fails permanently at DATA while another gets the message
// is reported to the sender in a DSN; if the DSN cannot be made, the failure turns temporary.
TEST_F(DeliveryTest, PermanentFailureNextToADeliveryIsReportedForOneReply) {
  settings_.over_quota_permanent = true;
  make_service();
  RecordingNotices notices;
  service_->set_notice_hook(&notices);
  int fills = 0;
  auto deliver_to_both = [&](const std::string& subject, ReplyStyle style, const std::string& sender) {
    std::string full = "full" + std::to_string(++fills) + "@example.test";
    account(full, 10);
    std::vector<AcceptedRecipient> accepted;
    for (std::string r : {std::string("alice@example.test"), full}) {
      auto check = service_->check_recipient(r);
      EXPECT_TRUE(check.status.ok()) << r << ": " << check.status.text;
      accepted.push_back({r, check.resolution, {}});
    }
    // Fills full@ between its RCPT and the DATA of the transaction.
    service_->set_notice_hook(nullptr);
    send({full}, "Subject: filler\r\n\r\n" + std::string(100, 'x') + "\r\n");
    service_->set_notice_hook(&notices);
    auto sink = service_->begin_message({sender, "Received: by mx; now\r\n", {"alice@example.test", full}, {}, {}});
    sink.write("Subject: " + subject + "\r\n\r\nbody\r\n");
    return service_->deliver(std::move(sink), accepted, style);
  };
  auto r = deliver_to_both("partial", ReplyStyle::one_reply, "sender@elsewhere.example");
  ASSERT_EQ(r.size(), 2u);
  EXPECT_TRUE(r[0].ok());
  EXPECT_EQ(r[1].code, 552);
  EXPECT_EQ(message_reply(r).code, 250);
  ASSERT_EQ(notices.failures.size(), 1u);
  const auto& n = notices.failures[0];
  EXPECT_EQ(n.sender, "sender@elsewhere.example");
  ASSERT_EQ(n.recipients.size(), 1u);
  EXPECT_EQ(n.recipients[0].address, "full1@example.test");
  EXPECT_EQ(n.recipients[0].action, "failed");
  EXPECT_EQ(n.recipients[0].status, "5.2.2");
  EXPECT_EQ(n.headers.rfind("Received: by mx", 0), 0u) << n.headers;  // no Return-Path: as received
  EXPECT_NE(n.headers.find("Subject: partial"), std::string::npos);

  // LMTP answers per recipient: the client reports the failure, delivery sends nothing.
  notices.failures.clear();
  r = deliver_to_both("lmtp", ReplyStyle::per_recipient, "sender@elsewhere.example");
  EXPECT_EQ(r[1].code, 552);
  EXPECT_TRUE(notices.failures.empty());

  // A DSN that cannot be sent: the failure becomes temporary, so SMTP answers 4xx.
  notices.fail = true;
  r = deliver_to_both("no-dsn", ReplyStyle::one_reply, "sender@elsewhere.example");
  EXPECT_TRUE(r[0].ok());
  EXPECT_EQ(r[1].kind, RecipientStatus::Kind::temporary);
  EXPECT_EQ(message_reply(r).code, 451);
}

// RFC 5321 6.3: more than 50 Received fields refuse everyone, a Delivered-To naming a
// recipient refuses that recipient; nothing is stored or relayed for them.
TEST_F(DeliveryTest, LoopsAreRefusedBeforeAnythingIsStored) {
  std::string hops;
  for (int i = 0; i < 51; ++i) hops += "Received: from hop" + std::to_string(i) + " by x; now\r\n";
  auto r = send({"alice@example.test", "bob@example.test"}, hops + kMessage);
  for (const auto& s : r) {
    EXPECT_EQ(s.code, 554);
    EXPECT_EQ(s.enhanced, "5.4.6");
  }
  auto fifty = send({"alice@example.test"}, hops.substr(hops.find('\n') + 1) + "Subject: fifty\r\n\r\nx\r\n");
  EXPECT_TRUE(fifty[0].ok());

  auto looped = send({"alice@example.test", "bob@example.test"}, "Delivered-To: <Bob@example.test>\r\n" + kMessage);
  EXPECT_TRUE(looped[0].ok());
  EXPECT_EQ(looped[1].code, 554);
  EXPECT_EQ(looped[1].enhanced, "5.4.6");
  EXPECT_EQ(inbox_messages(alice_).size(), 2u);
  EXPECT_TRUE(inbox_messages(bob_).empty());
}

// A copy relayed for an alias names the alias in Delivered-To (and nothing of the local copy's
// Return-Path); an address relayed as it is gets none. When the copy comes back, it is a loop.
TEST_F(DeliveryTest, RelayedAliasCopyCarriesDeliveredTo) {
  alias("fwd@example.test", {"friend@elsewhere.example"});
  RecordingRelay relay;
  service_->set_relay_hook(&relay);
  auto r = send({"fwd@example.test", "alice@example.test"});
  ASSERT_TRUE(r[0].ok());
  EXPECT_EQ(relay.trace, "Delivered-To: fwd@example.test\r\n");
  EXPECT_EQ(relay.message.rfind("Received: from client", 0), 0u) << relay.message;
  send({"stranger@elsewhere.example"});
  EXPECT_EQ(relay.recipients, std::vector<std::string>{"stranger@elsewhere.example"});
  EXPECT_EQ(relay.trace, "");

  auto back = send({"fwd@example.test"}, "Delivered-To: fwd@example.test\r\n" + kMessage);
  EXPECT_EQ(back[0].code, 554);
}

using UidStructure = std::pair<store::Uid, std::string>;

// Forwards to a real store; deliver() throws while `fail` is set (a disk that filled up).
class FailingStore final : public store::MailStore {
 public:
  explicit FailingStore(store::MailStore& inner) : s_(inner) {}
  bool fail = false;
  std::vector<store::AppendResult> deliver(const std::vector<store::DeliveryTarget>& t, const store::NewMessage& m) override {
    if (fail) throw store::StoreError(store::StoreErrc::io, "store.db: database or disk is full (test)");
    return s_.deliver(t, m);
  }
#define KURIER_FWD(ret, name, params, args) \
  ret name params override { return s_.name args; }
  KURIER_FWD(std::vector<store::MailboxInfo>, create_default_mailboxes, (store::AccountId a), (a))
  KURIER_FWD(std::vector<store::MailboxInfo>, list_mailboxes, (store::AccountId a), (a))
  KURIER_FWD(std::optional<store::MailboxInfo>, find_mailbox, (store::AccountId a, std::string_view n), (a, n))
  KURIER_FWD(std::optional<store::MailboxInfo>, mailbox, (store::MailboxId id), (id))
  KURIER_FWD(store::MailboxInfo, create_mailbox, (store::AccountId a, std::string_view n, std::string_view u), (a, n, u))
  KURIER_FWD(void, delete_mailbox, (store::AccountId a, std::string_view n), (a, n))
  KURIER_FWD(void, rename_mailbox, (store::AccountId a, std::string_view f, std::string_view t), (a, f, t))
  KURIER_FWD(void, set_special_use, (store::AccountId a, std::string_view n, std::string_view u), (a, n, u))
  KURIER_FWD(void, subscribe, (store::AccountId a, std::string_view n), (a, n))
  KURIER_FWD(void, unsubscribe, (store::AccountId a, std::string_view n), (a, n))
  KURIER_FWD(std::vector<std::string>, subscriptions, (store::AccountId a), (a))
  KURIER_FWD(store::MailboxStatus, mailbox_status, (store::MailboxId m), (m))
  KURIER_FWD(store::MailboxSnapshot, snapshot, (store::MailboxId m), (m))
  KURIER_FWD(std::vector<store::MessageMeta>, messages, (store::MailboxId m, const store::UidSet& u), (m, u))
  KURIER_FWD(std::vector<UidStructure>, cached_structures, (store::MailboxId m, const store::UidSet& u), (m, u))
  KURIER_FWD(store::Changes, changes_since, (store::MailboxId m, store::ModSeq s), (m, s))
  KURIER_FWD(store::AppendResult, append, (store::MailboxId m, const store::NewMessage& n, const store::Flags& f), (m, n, f))
  KURIER_FWD(std::vector<store::AppendResult>, append_all, (store::MailboxId m, const std::vector<store::AppendItem>& i), (m, i))
  KURIER_FWD(store::StoreFlagsResult, store_flags,
             (store::MailboxId m, const store::UidSet& u, store::FlagMode mode, const store::Flags& f, std::optional<store::ModSeq> c),
             (m, u, mode, f, c))
  KURIER_FWD(store::CopyResult, copy, (store::MailboxId f, const store::UidSet& u, store::MailboxId t), (f, u, t))
  KURIER_FWD(store::CopyResult, move, (store::MailboxId f, const store::UidSet& u, store::MailboxId t), (f, u, t))
  KURIER_FWD(std::vector<store::Uid>, expunge, (store::MailboxId m, const std::optional<store::UidSet>& u), (m, u))
  KURIER_FWD(std::vector<store::Uid>, expunge_uids, (store::MailboxId m, const store::UidSet& u), (m, u))
  KURIER_FWD(store::QuotaUsage, quota_usage, (store::AccountId a), (a))
  KURIER_FWD(void, delete_account, (store::AccountId a), (a))
  KURIER_FWD(std::vector<store::AccountId>, accounts, (), ())
  KURIER_FWD(std::vector<store::MessageMeta>, expunged_messages, (store::MailboxId m, const store::UidSet& u), (m, u))
  KURIER_FWD(store::Uid, claim_recent, (store::MailboxId m, store::Uid through), (m, through))
  KURIER_FWD(size_t, sweep_orphan_blobs, (int64_t age), (age))
  KURIER_FWD(store::ChangeHub&, changes, (), ())
  KURIER_FWD(store::MailboxInfo, prepare_import_mailbox,
             (store::AccountId a, std::string_view n, uint32_t v, std::string_view u), (a, n, v, u))
  KURIER_FWD(std::vector<store::ImportOutcome>, import_messages,
             (store::AccountId a, store::MailboxId m, const std::string& s, const std::vector<store::ImportItem>& i),
             (a, m, s, i))
  KURIER_FWD(void, raise_uidnext, (store::MailboxId m, store::Uid u), (m, u))
  KURIER_FWD(std::vector<std::string>, imported_keys, (store::AccountId a, const std::string& s), (a, s))
  KURIER_FWD(std::vector<UidStructure>, pop3_uidls, (store::MailboxId m), (m))
#undef KURIER_FWD

 private:
  store::MailStore& s_;
};

struct CountingRelay : RelayHook {
  int requests = 0;
  void relay(const RelayRequest&) override { ++requests; }
};

// A transaction with a local and an outside recipient whose local store fails: SMTP answers 4xx
// and the client retries. The outside copy is queued exactly once over both attempts.
TEST_F(DeliveryTest, RetryAfterAFailedLocalStoreQueuesTheRelayOnce) {
  alias("fwd@example.test", {"friend@elsewhere.example"});
  alias("both@example.test", {"bob@example.test", "pal@elsewhere.example"});
  FailingStore failing(*store_);
  DeliveryService service(settings_, dir_, failing, *blobs_);
  CountingRelay relay;
  service.set_relay_hook(&relay);
  auto attempt = [&] {
    std::vector<AcceptedRecipient> accepted;
    for (std::string r : {"alice@example.test", "fwd@example.test", "both@example.test"})
      accepted.push_back({r, service.check_recipient(r).resolution, {}});
    auto sink = service.begin_message({"sender@elsewhere.example", "Received: by mx; " + std::to_string(relay.requests) + "\r\n",
                                       {"alice@example.test", "fwd@example.test", "both@example.test"}, {}, {}});
    sink.write(kMessage);
    return service.deliver(std::move(sink), accepted, ReplyStyle::one_reply);
  };
  failing.fail = true;
  auto first = attempt();
  EXPECT_EQ(message_reply(first).code, 451);
  EXPECT_TRUE(first[1].ok());           // fwd@ has no local part: relayed now
  EXPECT_FALSE(first[2].ok());          // both@'s mailbox failed: retried as a whole
  EXPECT_EQ(relay.requests, 1);
  failing.fail = false;
  auto retry = attempt();
  EXPECT_EQ(message_reply(retry).code, 250);
  EXPECT_EQ(relay.requests, 2);         // both@'s outside target now; fwd@'s not again
  EXPECT_EQ(inbox_messages(alice_).size(), 1u);
  EXPECT_EQ(inbox_messages(bob_).size(), 1u);
  auto again = attempt();               // a third time (the 250 was lost): nothing new
  EXPECT_EQ(message_reply(again).code, 250);
  EXPECT_EQ(relay.requests, 2);
  EXPECT_EQ(inbox_messages(alice_).size(), 1u);
}

// A 5,000-target alias named by two RCPTs of one transaction (sharing one expansion): each
// local account gets one copy, each outside target is relayed once.
TEST_F(DeliveryTest, BigAliasTwiceInOneTransactionReachesEachTargetOnce) {
  settings_.max_alias_targets = 6000;
  make_service();
  RecordingRelay relay;
  service_->set_relay_hook(&relay);
  std::vector<std::string> targets = {"alice@example.test", "bob@example.test"};
  for (int i = 0; i < 4998; ++i) targets.push_back("t" + std::to_string(i) + "@elsewhere.example");
  alias("big@example.test", targets);
  auto check = service_->check_recipient("big@example.test");
  ASSERT_TRUE(check.status.ok()) << check.status.text;
  auto expansion = std::make_shared<const Resolution>(std::move(check.resolution));
  std::vector<AcceptedRecipient> accepted = {{"big@example.test", expansion, {}}, {"Big@example.test", expansion, {}}};
  auto sink = service_->begin_message({"sender@elsewhere.example", "", {"big@example.test", "Big@example.test"}, {}, {}});
  sink.write(kMessage);
  auto r = service_->deliver(std::move(sink), accepted);
  ASSERT_EQ(r.size(), 2u);
  EXPECT_TRUE(r[0].ok() && r[1].ok());
  EXPECT_EQ(relay.recipients.size(), 4998u);
  EXPECT_EQ(std::set<std::string>(relay.recipients.begin(), relay.recipients.end()).size(), 4998u);
  EXPECT_EQ(inbox_messages(alice_).size(), 1u);
  EXPECT_EQ(inbox_messages(bob_).size(), 1u);
}

struct JunkFiler : FilingHook {
  FilingDecision decide(const FilingRequest& r) override {
    FilingDecision d;
    if (r.message.find("Subject: spam") != std::string_view::npos) d.file_into.push_back({"Junk", {store::kSeen, {}}, false, nullptr});
    if (r.message.find("Subject: lost") != std::string_view::npos) d.file_into.push_back({"No/Such/Box", {}, false, nullptr});
    if (r.message.find("Subject: drop") != std::string_view::npos) d.discard = true;
    return d;
  }
};

TEST_F(DeliveryTest, FilingHookChoosesTheMailbox) {
  JunkFiler filer;
  service_->set_filing_hook(&filer);
  send({"alice@example.test"}, "Subject: spam\r\n\r\nbuy\r\n");
  send({"alice@example.test"}, "Subject: lost\r\n\r\nx\r\n");
  auto drop = send({"alice@example.test"}, "Subject: drop\r\n\r\nx\r\n");
  EXPECT_TRUE(drop[0].ok());
  auto junk = store_->find_mailbox(store::AccountId(alice_), "Junk");
  ASSERT_TRUE(junk);
  auto in_junk = store_->messages(junk->id);
  ASSERT_EQ(in_junk.size(), 1u);
  EXPECT_EQ(in_junk[0].flags.system, uint32_t(store::kSeen));
  EXPECT_EQ(inbox_messages(alice_).size(), 1u);  // the unknown mailbox fell back to INBOX
}

}  // namespace
}  // namespace kurier::delivery
