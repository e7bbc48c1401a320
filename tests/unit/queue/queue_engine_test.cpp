// The queue end to end inside one process: a real Runtime, the queue's SMTP client, and a
// scripted SMTP server (fake_smtp.h) as the remote MX via [outbound.routes].
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "dkim/key_store.h"
#include "fake_smtp.h"
#include "queue/dns.h"
#include "queue/queue.h"

namespace kurier::queue {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

class NoDns : public DnsResolver {
 public:
  std::map<std::string, MxAnswer> mx_answers;
  MxAnswer mx(std::string_view d) override {
    auto it = mx_answers.find(std::string(d));
    return it != mx_answers.end() ? it->second : MxAnswer{DnsStatus::nxdomain, {}, "not found"};
  }
  AddressAnswer addresses(std::string_view host) override {
    if (host == "localhost") return {DnsStatus::ok, {"127.0.0.1"}, ""};
    return {DnsStatus::nxdomain, {}, "not found"};
  }
};

// A server that accepts and then says nothing (a stalled destination).
net::awaitable<void> stalled_session(net::Connection& conn) {
  net::LineReader reader(conn);
  for (;;) {
    net::LineResult r = co_await reader.read_line(4096);
    if (!r.ok()) break;
  }
}

// Header fields of a DSN are folded: "a\r\n b" -> "a b".
std::string unfolded(std::string text) {
  for (size_t p; (p = text.find("\r\n ")) != std::string::npos;) text.replace(p, 3, " ");
  return text;
}

struct Notice {
  std::string to;
  NoticeKind kind;
  std::string text;
};

class QueueEngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = "/tmp/kurier-queue-test-XXXXXX";
    ASSERT_TRUE(mkdtemp(tmpl.data()));
    dir_ = tmpl;
    server_ = std::make_unique<net::Server>(rt_);
    server_->set_tls_context(net::make_server_tls_context(net::test::test_cert().cert, net::test::test_cert().key));
    port_ = server_->add_tcp("fake", "127.0.0.1", 0, net::TlsMode::plain,
                             [this](net::Connection& c) { return test::fake_smtp_session(smtp_, c); },
                             net::ServiceLines{"421 busy", "421 bye"});
    stalled_port_ = server_->add_tcp("stalled", "127.0.0.1", 0, net::TlsMode::plain,
                                     [](net::Connection& c) { return stalled_session(c); },
                                     net::ServiceLines{"421 busy", "421 bye"});
    runner_ = std::thread([this] { rt_.run(); });
  }

  void TearDown() override {
    if (queue_) queue_->stop();
    std::promise<void> done;
    auto f = done.get_future();
    rt_.spawn(net::test::run_and_signal(server_->shutdown(1s), &done));
    f.wait_for(5s);
    rt_.stop();
    runner_.join();
    queue_.reset();
    server_.reset();
    fs::remove_all(dir_);
  }

  QueueSettings settings() {
    QueueSettings s;
    s.dir = dir_ / "queue";
    s.dkim_dir = dir_ / "dkim";
    s.hostname = "mail.example.org";
    s.routes["remote.test"] = "127.0.0.1:" + std::to_string(port_);
    s.retry_initial_seconds = 1;
    s.poll_interval = 50ms;
    s.connect_timeout = 2s;
    s.command_timeout = 5s;
    return s;
  }

  void start(QueueSettings s) {
    queue_ = std::make_unique<Queue>(std::move(s), dns_);
    queue_->set_notifier([this](const Notification& n) {
      std::string text;
      n.write([&](std::string_view s) { text.append(s); });
      std::lock_guard l(mutex_);
      notices_.push_back({n.recipient, n.kind, text});
    });
    queue_->start(rt_);
  }

  std::string enqueue(std::string sender, std::vector<std::string> rcpts, const std::string& message,
                      unsigned notify = 0, std::string authenticated_as = "", std::string client_ip = "") {
    EnqueueRequest r;
    r.sender = std::move(sender);
    for (auto& a : rcpts) r.recipients.push_back({a, notify, ""});
    r.authenticated_as = std::move(authenticated_as);
    r.client_ip = std::move(client_ip);
    return queue_->enqueue(std::move(r), message);
  }

  template <class Pred>
  bool eventually(Pred pred, std::chrono::milliseconds limit = 15s) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (!pred()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::sleep_for(20ms);
    }
    return true;
  }

  bool queue_empty() { return queue_->spool().list().empty(); }
  std::vector<Notice> notices() {
    std::lock_guard l(mutex_);
    return notices_;
  }

  net::Runtime rt_{2, 2};
  std::unique_ptr<net::Server> server_;
  std::thread runner_;
  test::FakeSmtp smtp_;
  uint16_t port_ = 0;
  uint16_t stalled_port_ = 0;
  fs::path dir_;
  std::shared_ptr<NoDns> dns_ = std::make_shared<NoDns>();
  std::unique_ptr<Queue> queue_;
  std::mutex mutex_;
  std::vector<Notice> notices_;
};

const std::string kMessage =
    "From: alice@example.org\r\nTo: bob@remote.test\r\nSubject: hi\r\nMessage-ID: <1@example.org>\r\n\r\n"
    "Hello\r\n.a line with a leading dot\r\n..two dots\r\nbye\r\n";

TEST_F(QueueEngineTest, DeliversThroughTheRouteWithPipeliningAndDotStuffing) {
  start(settings());
  std::string id = enqueue("alice@example.org", {"bob@remote.test", "carol@remote.test"}, kMessage);
  ASSERT_TRUE(eventually([&] { return queue_empty(); }));
  auto got = smtp_.received();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].mail_from.rfind("MAIL FROM:<alice@example.org> SIZE=", 0), 0u) << got[0].mail_from;
  ASSERT_EQ(got[0].rcpt.size(), 2u);
  EXPECT_EQ(got[0].rcpt[0], "RCPT TO:<bob@remote.test>");
  EXPECT_EQ(got[0].data, kMessage);  // dot-stuffed on the wire, decoded by the server
  EXPECT_TRUE(notices().empty());
  auto cmds = smtp_.all_commands();
  EXPECT_EQ(cmds.front(), "EHLO mail.example.org");
  EXPECT_EQ(cmds.back(), "QUIT");
}

TEST_F(QueueEngineTest, LineEndingsAreNormalizedAnd8BitIsDeclared) {
  start(settings());
  enqueue("alice@example.org", {"bob@remote.test"}, "Subject: x\n\nGr\xc3\xbc\xc3\x9f" "e\nline\r");
  ASSERT_TRUE(eventually([&] { return queue_empty(); }));
  auto got = smtp_.received();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].data, "Subject: x\r\n\r\nGr\xc3\xbc\xc3\x9f" "e\r\nline\r\n");
  EXPECT_NE(got[0].mail_from.find("BODY=8BITMIME"), std::string::npos);
}

TEST_F(QueueEngineTest, NonPipelinedServerGetsOneCommandAtATime) {
  smtp_.pipelining = false;
  start(settings());
  enqueue("alice@example.org", {"reject-x@remote.test", "bob@remote.test"}, kMessage);
  ASSERT_TRUE(eventually([&] { return queue_empty(); }));
  ASSERT_EQ(smtp_.received().size(), 1u);
  EXPECT_EQ(smtp_.received()[0].rcpt.size(), 1u);
}

TEST_F(QueueEngineTest, PermanentFailureBouncesToTheSenderWithTheOriginal) {
  start(settings());
  std::string id = enqueue("alice@example.org", {"reject-x@remote.test", "bob@remote.test"}, kMessage);
  ASSERT_TRUE(eventually([&] { return queue_empty() && !notices().empty(); }));
  ASSERT_EQ(smtp_.received().size(), 1u);  // bob still got it
  auto n = notices();
  ASSERT_EQ(n.size(), 1u);
  EXPECT_EQ(n[0].to, "alice@example.org");
  EXPECT_EQ(n[0].kind, NoticeKind::failure);
  std::string t = unfolded(n[0].text);
  EXPECT_NE(t.find("Content-Type: multipart/report; report-type=delivery-status;"), std::string::npos);
  EXPECT_NE(t.find("Final-Recipient: rfc822; reject-x@remote.test"), std::string::npos) << t;
  EXPECT_NE(t.find("Action: failed"), std::string::npos);
  EXPECT_NE(t.find("Status: 5.1.1"), std::string::npos);
  EXPECT_NE(t.find("Remote-MTA: dns; 127.0.0.1"), std::string::npos);
  EXPECT_NE(t.find("Diagnostic-Code: smtp; 550 5.1.1 <reject-x@remote.test>: Recipient address rejected"),
            std::string::npos);
  EXPECT_NE(t.find("X-Kurier-Queue-ID: " + id), std::string::npos);
  EXPECT_NE(t.find("Content-Type: message/rfc822"), std::string::npos);
  EXPECT_NE(t.find(".a line with a leading dot"), std::string::npos);
  EXPECT_EQ(t.find("bob@remote.test>: failed"), std::string::npos);
}

TEST_F(QueueEngineTest, NotifyNeverAndNullSenderGetNoBounce) {
  start(settings());
  enqueue("alice@example.org", {"reject-a@remote.test"}, kMessage, kNotifyNever);
  enqueue("", {"reject-b@remote.test"}, kMessage);  // a bounce is never bounced
  ASSERT_TRUE(eventually([&] { return queue_empty(); }));
  std::this_thread::sleep_for(200ms);
  EXPECT_TRUE(notices().empty());
}

TEST_F(QueueEngineTest, TemporaryFailureIsDeferredThenDeliveredOnRetry) {
  smtp_.temp_failures = 1;
  start(settings());
  std::string id = enqueue("alice@example.org", {"temp-x@remote.test"}, kMessage);
  ASSERT_TRUE(eventually([&] {
    auto e = queue_->spool().load(id);
    return e && e->state == MessageState::deferred;
  }));
  auto e = *queue_->spool().load(id);
  EXPECT_EQ(e.attempts, 1);
  EXPECT_EQ(e.recipients[0].status, "4.2.0");
  EXPECT_NE(e.last_error.find("451 4.2.0"), std::string::npos) << e.last_error;
  EXPECT_NE(e.last_error.find("(in reply to RCPT TO command)"), std::string::npos);
  EXPECT_GE(e.next_attempt, e.last_attempt + 1);
  ASSERT_TRUE(eventually([&] { return queue_empty(); }));  // retried after retry_initial_seconds
  EXPECT_EQ(smtp_.received().size(), 1u);
  EXPECT_TRUE(notices().empty());
}

TEST_F(QueueEngineTest, RetryMakesADeferredMessageDueNow) {
  smtp_.temp_failures = 1;
  auto s = settings();
  s.retry_initial_seconds = 3600;
  start(s);
  std::string id = enqueue("alice@example.org", {"temp-x@remote.test"}, kMessage);
  ASSERT_TRUE(eventually([&] {
    auto e = queue_->spool().load(id);
    return e && e->state == MessageState::deferred;
  }));
  std::this_thread::sleep_for(300ms);
  EXPECT_FALSE(queue_empty());
  // What `kurier queue retry ID` does, through a second handle on the same spool (the CLI's).
  Spool cli(dir_ / "queue");
  EXPECT_EQ(cli.retry(id, ::time(nullptr)), 1u);
  ASSERT_TRUE(eventually([&] { return queue_empty(); }));
}

TEST_F(QueueEngineTest, ConnectionRefusedIsDeferredWithTheReason) {
  auto s = settings();
  s.routes["down.test"] = "127.0.0.1:1";
  start(s);
  std::string id = enqueue("alice@example.org", {"x@down.test"}, kMessage);
  ASSERT_TRUE(eventually([&] {
    auto e = queue_->spool().load(id);
    return e && e->state == MessageState::deferred;
  }));
  auto e = *queue_->spool().load(id);
  EXPECT_NE(e.last_error.find("connect to 127.0.0.1[127.0.0.1]:1"), std::string::npos) << e.last_error;
  EXPECT_EQ(e.recipients[0].status, "4.4.1");
}

TEST_F(QueueEngineTest, DnsFailuresBounceOrDefer) {
  dns_->mx_answers["nullmx.test"] = {DnsStatus::ok, {{0, ""}}, ""};
  dns_->mx_answers["flaky.test"] = {DnsStatus::temporary, {}, "timeout"};
  start(settings());
  enqueue("alice@example.org", {"a@nullmx.test", "b@nowhere.test"}, kMessage);
  std::string flaky = enqueue("alice@example.org", {"c@flaky.test"}, kMessage);
  ASSERT_TRUE(eventually([&] { return notices().size() == 1; }));
  std::string t = unfolded(notices()[0].text);
  EXPECT_NE(t.find("Status: 5.1.10"), std::string::npos) << t;
  EXPECT_NE(t.find("Status: 5.4.4"), std::string::npos);
  EXPECT_NE(t.find("Diagnostic-Code: X-Kurier; Domain nullmx.test does not accept mail"), std::string::npos);
  ASSERT_TRUE(eventually([&] {
    auto e = queue_->spool().load(flaky);
    return e && e->state == MessageState::deferred;
  }));
}

TEST_F(QueueEngineTest, ExpiredMessagesBounceWith447) {
  auto s = settings();
  s.routes["down.test"] = "127.0.0.1:1";
  start(s);
  // A message already 6 days old (max_queue_days = 5), written the way the queue writes them.
  Spool& spool = queue_->spool();
  auto file = spool.create_file();
  file->write(kMessage);
  file->commit();
  Envelope e;
  e.id = file->id();
  e.sender = "alice@example.org";
  e.size = kMessage.size();
  e.created = ::time(nullptr) - 6 * 86400;
  e.next_attempt = ::time(nullptr);
  e.attempts = 30;
  e.state = MessageState::deferred;
  Recipient r;
  r.address = "x@down.test";
  e.recipients.push_back(r);
  spool.insert(e);
  ASSERT_TRUE(eventually([&] { return queue_empty() && !notices().empty(); }));
  std::string t = unfolded(notices()[0].text);
  EXPECT_NE(t.find("Action: failed"), std::string::npos);
  EXPECT_NE(t.find("Status: 4.4.7"), std::string::npos) << t;
  EXPECT_NE(t.find("Diagnostic-Code: X-Kurier; connect to"), std::string::npos);
}

TEST_F(QueueEngineTest, DelayNoticeIsSentOnce) {
  smtp_.temp_failures = 1000;
  auto s = settings();
  s.delay_warning_hours = 1;
  start(s);
  Spool& spool = queue_->spool();
  auto file = spool.create_file();
  file->write(kMessage);
  file->commit();
  Envelope e;
  e.id = file->id();
  e.sender = "alice@example.org";
  e.size = kMessage.size();
  e.created = ::time(nullptr) - 2 * 3600;
  e.next_attempt = ::time(nullptr);
  Recipient r;
  r.address = "temp-x@remote.test";
  e.recipients.push_back(r);
  spool.insert(e);
  ASSERT_TRUE(eventually([&] { return !notices().empty(); }));
  EXPECT_EQ(notices()[0].kind, NoticeKind::delay);
  EXPECT_NE(notices()[0].text.find("Action: delayed"), std::string::npos);
  EXPECT_NE(notices()[0].text.find("Content-Type: text/rfc822-headers"), std::string::npos);
  ASSERT_TRUE(eventually([&] { return queue_->spool().load(e.id)->attempts >= 3; }));
  EXPECT_EQ(notices().size(), 1u);
  EXPECT_TRUE(queue_->spool().load(e.id)->delay_warned);
}

TEST_F(QueueEngineTest, SuccessNoticeWhenTheServerHasNoDsn) {
  smtp_.dsn = false;
  start(settings());
  enqueue("alice@example.org", {"bob@remote.test"}, kMessage, kNotifySuccess);
  ASSERT_TRUE(eventually([&] { return queue_empty() && !notices().empty(); }));
  EXPECT_EQ(notices()[0].kind, NoticeKind::success);
  EXPECT_NE(notices()[0].text.find("Action: relayed"), std::string::npos);
  EXPECT_EQ(smtp_.received()[0].rcpt[0], "RCPT TO:<bob@remote.test>");  // no NOTIFY without DSN
}

TEST_F(QueueEngineTest, DsnParametersArePassedOn) {
  start(settings());
  EnqueueRequest r;
  r.sender = "alice@example.org";
  r.ret = Ret::headers;
  r.envid = "QQ314159";
  r.recipients.push_back({"bob@remote.test", kNotifySuccess | kNotifyFailure, "rfc822;bob@remote.test"});
  queue_->enqueue(r, kMessage);
  ASSERT_TRUE(eventually([&] { return queue_empty(); }));
  auto got = smtp_.received();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_NE(got[0].mail_from.find(" RET=HDRS ENVID=QQ314159"), std::string::npos) << got[0].mail_from;
  EXPECT_EQ(got[0].rcpt[0], "RCPT TO:<bob@remote.test> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;bob@remote.test");
  EXPECT_TRUE(notices().empty());  // the remote server reports success itself
}

// RFC 3461 end to end in the queue: RET=HDRS returns headers only, ENVID and ORCPT come back
// in Original-Envelope-Id / Original-Recipient; NOTIFY=NEVER on another recipient stays silent.
TEST_F(QueueEngineTest, BounceHonoursRetEnvidAndOrcpt) {
  start(settings());
  EnqueueRequest r;
  r.sender = "alice@example.org";
  r.ret = Ret::headers;
  r.envid = "xyz+2B1";
  r.recipients.push_back({"reject-a@remote.test", kNotifyFailure, "rfc822;alias+2Bx@example.org"});
  r.recipients.push_back({"reject-b@remote.test", kNotifyNever, ""});
  queue_->enqueue(r, kMessage);
  ASSERT_TRUE(eventually([&] { return queue_empty() && !notices().empty(); }));
  std::this_thread::sleep_for(200ms);
  auto n = notices();
  ASSERT_EQ(n.size(), 1u);
  EXPECT_EQ(n[0].kind, NoticeKind::failure);
  std::string t = unfolded(n[0].text);
  EXPECT_NE(t.find("Original-Envelope-Id: xyz+1"), std::string::npos) << t;
  EXPECT_NE(t.find("Original-Recipient: rfc822;alias+x@example.org"), std::string::npos) << t;
  EXPECT_NE(t.find("Final-Recipient: rfc822; reject-a@remote.test"), std::string::npos);
  EXPECT_EQ(t.find("reject-b@remote.test"), std::string::npos);  // NOTIFY=NEVER
  EXPECT_NE(t.find("Content-Type: text/rfc822-headers"), std::string::npos);
  EXPECT_NE(t.find("Subject: hi"), std::string::npos);
  EXPECT_EQ(t.find("leading dot"), std::string::npos);  // the body is not returned
  auto cmds = smtp_.all_commands();
  bool passed_on = std::any_of(cmds.begin(), cmds.end(), [](const std::string& c) {
    return c == "RCPT TO:<reject-a@remote.test> NOTIFY=FAILURE ORCPT=rfc822;alias+2Bx@example.org";
  });
  EXPECT_TRUE(passed_on);
}

TEST_F(QueueEngineTest, OversizedForTheRemoteServerBounces) {
  smtp_.size_limit = 100;
  start(settings());
  enqueue("alice@example.org", {"bob@remote.test"}, kMessage + std::string(200, 'x') + "\r\n");
  ASSERT_TRUE(eventually([&] { return !notices().empty(); }));
  EXPECT_NE(notices()[0].text.find("Status: 5.3.4"), std::string::npos);
  EXPECT_TRUE(smtp_.received().empty());
}

TEST_F(QueueEngineTest, StartTlsIsUsedWhenOffered) {
  smtp_.starttls = true;
  start(settings());
  enqueue("alice@example.org", {"bob@remote.test"}, kMessage);
  ASSERT_TRUE(eventually([&] { return queue_empty(); }));
  ASSERT_EQ(smtp_.received().size(), 1u);
  EXPECT_TRUE(smtp_.received()[0].tls);
  auto cmds = smtp_.all_commands();
  ASSERT_GE(cmds.size(), 3u);
  EXPECT_EQ(cmds[1], "STARTTLS");
  EXPECT_EQ(cmds[2], "EHLO mail.example.org");
}

TEST_F(QueueEngineTest, RequireTlsKeepsTheMessageWhenTlsIsMissing) {
  auto s = settings();
  s.require_tls = true;
  start(s);
  std::string id = enqueue("alice@example.org", {"bob@remote.test"}, kMessage);
  ASSERT_TRUE(eventually([&] {
    auto e = queue_->spool().load(id);
    return e && e->state == MessageState::deferred;
  }));
  EXPECT_NE(queue_->spool().load(id)->last_error.find("TLS is required"), std::string::npos);
  EXPECT_TRUE(smtp_.received().empty());
}

// ---- verified TLS (tls_policy.h). The fake server's certificate is self-signed for
// "localhost" (tests/unit/net/net_test_support.h). ----

TEST_F(QueueEngineTest, RequireTlsRefusesACertificateNoTrustedCaSigned) {
  smtp_.starttls = true;
  auto s = settings();
  s.require_tls = true;
  s.routes["remote.test"] = "localhost:" + std::to_string(port_);
  start(s);
  std::string id = enqueue("alice@example.org", {"bob@remote.test"}, kMessage);
  ASSERT_TRUE(eventually([&] {
    auto e = queue_->spool().load(id);
    return e && e->state == MessageState::deferred;
  }));
  auto e = queue_->spool().load(id);
  EXPECT_NE(e->last_error.find("certificate verify failed"), std::string::npos) << e->last_error;
  EXPECT_EQ(e->recipients[0].status, "4.7.5");
  EXPECT_TRUE(smtp_.received().empty());
  for (const auto& c : smtp_.all_commands()) EXPECT_NE(c.substr(0, 4), "MAIL") << "sent to an unverified server";
}

TEST_F(QueueEngineTest, RequireTlsDeliversWhenTheCaIsTrustedAndTheNameMatches) {
  smtp_.starttls = true;
  auto s = settings();
  s.require_tls = true;
  s.ca_file = net::test::test_cert().cert;
  s.routes["remote.test"] = "localhost:" + std::to_string(port_);
  start(s);
  enqueue("alice@example.org", {"bob@remote.test"}, kMessage);
  ASSERT_TRUE(eventually([&] { return queue_empty(); }));
  ASSERT_EQ(smtp_.received().size(), 1u);
  EXPECT_TRUE(smtp_.received()[0].tls);
}

TEST_F(QueueEngineTest, RequireTlsRefusesTheWrongName) {
  smtp_.starttls = true;
  auto s = settings();
  s.require_tls = true;
  s.ca_file = net::test::test_cert().cert;  // trusted, but issued to "localhost", not 127.0.0.1
  start(s);
  std::string id = enqueue("alice@example.org", {"bob@remote.test"}, kMessage);
  ASSERT_TRUE(eventually([&] {
    auto e = queue_->spool().load(id);
    return e && e->state == MessageState::deferred;
  }));
  EXPECT_NE(queue_->spool().load(id)->last_error.find("name mismatch"), std::string::npos);
  EXPECT_TRUE(smtp_.received().empty());
}

TEST_F(QueueEngineTest, OpportunisticTlsDeliversToAnUntrustedCertificate) {
  smtp_.starttls = true;  // RFC 7435: without a policy the certificate is not checked
  start(settings());
  enqueue("alice@example.org", {"bob@remote.test"}, kMessage);
  ASSERT_TRUE(eventually([&] { return queue_empty(); }));
  ASSERT_EQ(smtp_.received().size(), 1u);
  EXPECT_TRUE(smtp_.received()[0].tls);
}

TEST_F(QueueEngineTest, AnExpiredMessageThatNeverGotVerifiedTlsBouncesSayingWhy) {
  smtp_.starttls = true;
  auto s = settings();
  s.require_tls = true;
  s.routes["remote.test"] = "localhost:" + std::to_string(port_);
  start(s);
  Spool& spool = queue_->spool();
  auto file = spool.create_file();
  file->write(kMessage);
  file->commit();
  Envelope e;
  e.id = file->id();
  e.sender = "alice@example.org";
  e.size = kMessage.size();
  e.created = ::time(nullptr) - 6 * 86400;  // past max_queue_days
  e.next_attempt = ::time(nullptr);
  e.attempts = 30;
  e.state = MessageState::deferred;
  Recipient r;
  r.address = "bob@remote.test";
  e.recipients.push_back(r);
  spool.insert(e);
  ASSERT_TRUE(eventually([&] { return queue_empty() && !notices().empty(); }));
  std::string t = unfolded(notices()[0].text);
  EXPECT_NE(t.find("Action: failed"), std::string::npos) << t;
  EXPECT_NE(t.find("Status: 4.4.7"), std::string::npos) << t;
  EXPECT_NE(t.find("not accepted: certificate verify failed"), std::string::npos) << t;
  EXPECT_TRUE(smtp_.received().empty());
}

// ---- a slow destination ----

TEST_F(QueueEngineTest, AStalledDestinationDoesNotStopDeliveryElsewhere) {
  auto s = settings();
  s.command_timeout = 120s;  // the stalled server would hold its connection this long
  s.max_connections_per_domain = 1;
  s.max_in_flight = 2;
  s.routes["slow.test"] = "127.0.0.1:" + std::to_string(stalled_port_);
  start(s);
  // One holds the slow destination's only connection, one waits for it (not counted against
  // max_in_flight), the others are postponed; mail to remote.test still goes out.
  for (int i = 0; i < 4; ++i) enqueue("alice@example.org", {"x@slow.test"}, kMessage);
  enqueue("alice@example.org", {"bob@remote.test"}, kMessage);
  ASSERT_TRUE(eventually([&] { return smtp_.received().size() == 1; }));
  EXPECT_TRUE(eventually([&] { return queue_->spool().list().size() == 4; }));
}

TEST_F(QueueEngineTest, TheTransactionDeadlineAbortsAStalledDelivery) {
  auto s = settings();
  s.command_timeout = 120s;
  s.transaction_timeout = 1s;
  s.routes["slow.test"] = "127.0.0.1:" + std::to_string(stalled_port_);
  start(s);
  std::string id = enqueue("alice@example.org", {"x@slow.test"}, kMessage);
  ASSERT_TRUE(eventually([&] {
    auto e = queue_->spool().load(id);
    return e && e->state == MessageState::deferred;
  }));
  auto e = queue_->spool().load(id);
  EXPECT_NE(e->last_error.find("transaction deadline"), std::string::npos) << e->last_error;
  EXPECT_EQ(e->attempts, 1);
}

TEST_F(QueueEngineTest, ConnectionsPerDestinationAreCapped) {
  smtp_.data_delay_ms = 150;
  auto s = settings();
  s.max_connections_per_domain = 1;
  start(s);
  for (int i = 0; i < 4; ++i) enqueue("alice@example.org", {"bob@remote.test"}, kMessage);
  ASSERT_TRUE(eventually([&] { return queue_empty(); }));
  EXPECT_EQ(smtp_.received().size(), 4u);
  EXPECT_EQ(smtp_.max_concurrent.load(), 1);
}

TEST_F(QueueEngineTest, ManyRecipientsAreSplitIntoTransactionsOf100) {
  start(settings());
  std::vector<std::string> rcpts;
  for (int i = 0; i < 150; ++i) rcpts.push_back("user" + std::to_string(i) + "@remote.test");
  enqueue("alice@example.org", rcpts, kMessage);
  ASSERT_TRUE(eventually([&] { return queue_empty(); }));
  auto got = smtp_.received();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].rcpt.size(), 100u);
  EXPECT_EQ(got[1].rcpt.size(), 50u);
  EXPECT_EQ(smtp_.connections.load(), 1);
}

TEST_F(QueueEngineTest, LocalSendersAreDkimSigned) {
  auto s = settings();
  start(s);
  queue_.reset();
  queue_ = std::make_unique<Queue>(s, dns_);
  queue_->set_local_domains([](std::string_view d) { return d == "example.org"; });
  queue_->start(rt_);
  enqueue("alice@example.org", {"bob@remote.test"}, kMessage, 0, "alice@example.org");  // after AUTH
  ASSERT_TRUE(eventually([&] { return queue_empty(); }));
  auto got = smtp_.received();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].data.rfind("DKIM-Signature: v=1; a=rsa-sha256;", 0), 0u) << got[0].data.substr(0, 200);
  // Verified by python3-dkim against the domain's published records.
  std::ofstream(dir_ / "signed.eml", std::ios::binary) << got[0].data;
  std::ofstream records(dir_ / "records.txt");
  for (const auto& r : queue_->keys().dns_txt_records("example.org")) records << r.name << "\t" << r.value << "\n";
  records.close();
  std::string cmd = "/usr/bin/python3 " KURIER_TEST_DATA "/dkim/verify.py " + (dir_ / "signed.eml").string() + " " +
                    (dir_ / "records.txt").string() + " >/dev/null";
  EXPECT_EQ(std::system(cmd.c_str()), 0);
  // A sender from another domain is not signed.
  enqueue("someone@elsewhere.test", {"bob@remote.test"}, kMessage);
  ASSERT_TRUE(eventually([&] { return smtp_.received().size() == 2; }));
  EXPECT_EQ(smtp_.received()[1].data, kMessage);
}

// issue 8: a forged "MAIL FROM:<x@hosted>" on port 25, relayed by an alias, got our signature.
TEST_F(QueueEngineTest, OnlyAuthenticatedOrConfiguredSendersAreSigned) {
  auto s = settings();
  s.dkim_sign_senders = {"app@example.org", "@listed.example.org"};
  s.dkim_sign_networks = {"10.1.0.0/16"};
  queue_ = std::make_unique<Queue>(s, dns_);
  queue_->set_notifier([](const Notification&) {});
  queue_->set_local_domains([](std::string_view d) { return d == "example.org" || d == "listed.example.org"; });
  queue_->start(rt_);
  struct Case {
    std::string sender, authenticated_as, ip;
    bool signed_;
  };
  std::vector<Case> cases = {
      {"x@example.org", "", "192.0.2.9", false},        // a stranger claiming a hosted sender
      {"x@example.org", "", "10.2.0.1", false},         // outside sign_networks
      {"x@example.org", "x@example.org", "192.0.2.9", true},  // authenticated submission
      {"APP@example.org", "", "192.0.2.9", true},       // sign_senders, any case
      {"anyone@listed.example.org", "", "", true},      // sign_senders "@domain"
      {"x@example.org", "", "10.1.2.3", true},          // sign_networks
  };
  // Case i goes to rcpt<i>@remote.test, to find its copy at the fake server.
  for (size_t i = 0; i < cases.size(); ++i)
    enqueue(cases[i].sender, {"rcpt" + std::to_string(i) + "@remote.test"}, kMessage, 0, cases[i].authenticated_as,
            cases[i].ip);
  ASSERT_TRUE(eventually([&] { return smtp_.received().size() == cases.size(); }));
  auto got = smtp_.received();
  for (size_t i = 0; i < cases.size(); ++i) {
    std::string rcpt = "<rcpt" + std::to_string(i) + "@remote.test>";
    auto it = std::find_if(got.begin(), got.end(), [&](const auto& m) { return m.rcpt.at(0).find(rcpt) != std::string::npos; });
    ASSERT_NE(it, got.end()) << rcpt;
    EXPECT_EQ(it->data.rfind("DKIM-Signature:", 0) == 0, cases[i].signed_) << "case " << i << ": " << cases[i].sender;
  }
}

TEST_F(QueueEngineTest, RestartDeliversWhatWasQueuedBefore) {
  auto s = settings();
  std::string id;
  {
    Queue before(s, dns_);  // never started: like a server that died right after accepting
    id = before.enqueue({"alice@example.org", {{"bob@remote.test", 0, ""}}, Ret::unspecified, "", false, "", ""}, kMessage);
  }
  start(s);
  ASSERT_TRUE(eventually([&] { return queue_empty(); }));
  EXPECT_EQ(smtp_.received().size(), 1u);
}

TEST_F(QueueEngineTest, DefaultNotifierQueuesTheBounceWithTheNullSender) {
  queue_ = std::make_unique<Queue>(settings(), dns_);  // no notifier set
  queue_->start(rt_);
  enqueue("alice@remote.test", {"reject-x@remote.test"}, kMessage);
  ASSERT_TRUE(eventually([&] { return smtp_.received().size() == 1 && queue_empty(); }));
  auto bounce = smtp_.received()[0];
  EXPECT_EQ(bounce.mail_from.rfind("MAIL FROM:<> ", 0), 0u) << bounce.mail_from;
  EXPECT_EQ(bounce.rcpt[0], "RCPT TO:<alice@remote.test>");
  EXPECT_NE(bounce.data.find("Undelivered Mail Returned to Sender"), std::string::npos);
}

TEST_F(QueueEngineTest, InvalidRequestsAreRefused) {
  start(settings());
  EXPECT_THROW(enqueue("alice@example.org", {}, kMessage), QueueError);
  EXPECT_THROW(enqueue("alice@example.org", {"no-domain"}, kMessage), QueueError);
  auto s = settings();
  s.max_message_size = 10;
  Queue small(s, dns_);
  auto w = small.begin({"a@example.org", {{"b@remote.test", 0, ""}}, Ret::unspecified, "", false, "", ""});
  w->write(kMessage);
  EXPECT_TRUE(w->too_large());
  EXPECT_THROW(w->commit(), QueueError);
}

}  // namespace
}  // namespace kurier::queue
