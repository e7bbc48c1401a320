// The queue against a real SMTP server nobody here wrote: Postfix's smtp-sink (postfix package)
// as the remote MX. Skipped when /usr/sbin/smtp-sink is not installed.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "../net/net_test_support.h"
#include "dkim/key_store.h"
#include "queue/dns.h"
#include "queue/queue.h"

namespace kurier::queue {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr const char* kSmtpSink = "/usr/sbin/smtp-sink";

uint16_t free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

class NoDns : public DnsResolver {
 public:
  MxAnswer mx(std::string_view) override { return {DnsStatus::nxdomain, {}, "not found"}; }
  AddressAnswer addresses(std::string_view) override { return {DnsStatus::nxdomain, {}, "not found"}; }
};

// One smtp-sink process: `smtp-sink -u postfix -d DIR/%M. [-f RCPT] 127.0.0.1:PORT 10` (-f: answer
// RCPT with a hard 5xx error).
class Sink {
 public:
  Sink(const fs::path& dir, bool reject_rcpt) : dir_(dir), port_(free_port()) {
    fs::create_directories(dir_);
    // smtp-sink drops privileges to the postfix user before writing its files.
    fs::permissions(dir_.parent_path(), fs::perms::all ^ fs::perms::others_write ^ fs::perms::group_write);
    fs::permissions(dir_, fs::perms::all);
    pid_ = ::fork();
    if (pid_ == 0) {
      std::string spool = (dir_ / "%M.").string();
      std::string listen = "127.0.0.1:" + std::to_string(port_);
      if (reject_rcpt)
        ::execl(kSmtpSink, kSmtpSink, "-u", "postfix", "-f", "RCPT", "-d", spool.c_str(), listen.c_str(), "10", nullptr);
      else
        ::execl(kSmtpSink, kSmtpSink, "-u", "postfix", "-d", spool.c_str(), listen.c_str(), "10", nullptr);
      ::_exit(127);
    }
    for (int i = 0; i < 200; ++i) {  // wait until it listens
      int fd = ::socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in a{};
      a.sin_family = AF_INET;
      a.sin_port = htons(port_);
      a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
      ::close(fd);
      if (ok) break;
      std::this_thread::sleep_for(10ms);
    }
  }
  ~Sink() {
    ::kill(pid_, SIGTERM);
    ::waitpid(pid_, nullptr, 0);
  }
  uint16_t port() const { return port_; }
  std::vector<std::string> messages() const {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(dir_)) {
      std::ifstream in(e.path(), std::ios::binary);
      out.emplace_back((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    }
    return out;
  }

 private:
  fs::path dir_;
  uint16_t port_;
  pid_t pid_ = -1;
};

class SmtpSinkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists(kSmtpSink)) GTEST_SKIP() << "smtp-sink (postfix) is not installed";
    std::string tmpl = "/tmp/kurier-sink-test-XXXXXX";
    ASSERT_TRUE(mkdtemp(tmpl.data()));
    dir_ = tmpl;
    runner_ = std::thread([this] { rt_.run(); });
  }
  void TearDown() override {
    if (queue_) queue_->stop();
    rt_.stop();
    if (runner_.joinable()) runner_.join();
    queue_.reset();
    if (!dir_.empty()) fs::remove_all(dir_);
  }

  void start(std::map<std::string, std::string> routes) {
    QueueSettings s;
    s.dir = dir_ / "queue";
    s.dkim_dir = dir_ / "dkim";
    s.hostname = "mail.example.org";
    s.routes = std::move(routes);
    s.poll_interval = 50ms;
    queue_ = std::make_unique<Queue>(s, std::make_shared<NoDns>());
    queue_->set_local_domains([](std::string_view d) { return d == "example.org"; });
    queue_->set_notifier([this](const Notification& n) {
      std::string text;
      n.write([&](std::string_view s) { text.append(s); });
      std::lock_guard l(mutex_);
      notices_.push_back(text);
    });
    queue_->start(rt_);
  }

  template <class Pred>
  bool eventually(Pred pred) {
    for (int i = 0; i < 750 && !pred(); ++i) std::this_thread::sleep_for(20ms);
    return pred();
  }

  net::Runtime rt_{2, 2};
  std::thread runner_;
  fs::path dir_;
  std::unique_ptr<Queue> queue_;
  std::mutex mutex_;
  std::vector<std::string> notices_;
};

TEST_F(SmtpSinkTest, PostfixReceivesSignedMailForEveryRecipient) {
  Sink sink(dir_ / "sink", false);
  start({{"remote.test", "127.0.0.1:" + std::to_string(sink.port())}});
  std::string message = "From: Alice <alice@example.org>\r\nTo: bob@remote.test\r\nSubject: via smtp-sink\r\n"
                        "Message-ID: <sink@example.org>\r\n\r\nHello Postfix,\r\n.one dot\r\n";
  EnqueueRequest r;
  r.sender = "alice@example.org";
  r.authenticated_as = "alice@example.org";  // submitted after AUTH: signed
  for (int i = 0; i < 120; ++i) r.recipients.push_back({"user" + std::to_string(i) + "@remote.test", 0, ""});
  queue_->enqueue(r, message);
  ASSERT_TRUE(eventually([&] { return queue_->spool().list().empty(); }));
  auto got = sink.messages();
  ASSERT_EQ(got.size(), 2u);  // 100 + 20 recipients per transaction
  size_t rcpts = 0;
  for (const auto& m : got)
    for (size_t p = 0; (p = m.find("X-Rcpt-Args: <user", p)) != std::string::npos; ++p) ++rcpts;
  EXPECT_EQ(rcpts, 120u);
  const std::string& m = got[0];
  EXPECT_NE(m.find("X-Mail-Args: <alice@example.org>"), std::string::npos) << m;
  EXPECT_NE(m.find("Hello Postfix,"), std::string::npos);
  EXPECT_NE(m.find("\n.one dot"), std::string::npos);  // dot-stuffed on the wire, one dot stored
  // smtp-sink stored the message as received: its own trace fields on top, then ours.
  std::ofstream(dir_ / "got.eml", std::ios::binary) << m;
  std::ofstream records(dir_ / "records.txt");
  for (const auto& rec : queue_->keys().dns_txt_records("example.org")) records << rec.name << "\t" << rec.value << "\n";
  records.close();
  std::string cmd = "/usr/bin/python3 " KURIER_TEST_DATA "/dkim/verify.py " + (dir_ / "got.eml").string() + " " +
                    (dir_ / "records.txt").string();
  EXPECT_EQ(std::system(cmd.c_str()), 0);
}

TEST_F(SmtpSinkTest, RejectedRecipientsBounce) {
  Sink sink(dir_ / "sink", true);
  start({{"remote.test", "127.0.0.1:" + std::to_string(sink.port())}});
  EnqueueRequest r;
  r.sender = "alice@example.org";
  r.recipients.push_back({"bob@remote.test", 0, ""});
  queue_->enqueue(r, "From: alice@example.org\r\nSubject: x\r\n\r\nbody\r\n");
  ASSERT_TRUE(eventually([&] {
    std::lock_guard l(mutex_);
    return !notices_.empty();
  }));
  std::lock_guard l(mutex_);
  EXPECT_NE(notices_[0].find("Final-Recipient: rfc822; bob@remote.test"), std::string::npos) << notices_[0];
  EXPECT_NE(notices_[0].find("Action: failed"), std::string::npos);
  EXPECT_NE(notices_[0].find("Status: 5."), std::string::npos);
  EXPECT_TRUE(sink.messages().empty());
}

}  // namespace
}  // namespace kurier::queue
