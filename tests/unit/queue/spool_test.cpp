// The spool's durability rules: what is committed survives a crash (kill -9 of a writer
// process), what was never acknowledged is cleaned up, and interrupted deliveries come back.
#include "queue/spool.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "queue/queue.h"

namespace kurier::queue {
namespace {

namespace fs = std::filesystem;

class SpoolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = "/tmp/kurier-spool-test-XXXXXX";
    ASSERT_TRUE(mkdtemp(tmpl.data()));
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }

  Envelope committed(Spool& spool, const std::string& body, int recipients = 1) {
    auto file = spool.create_file();
    file->write(body);
    file->commit();
    Envelope e;
    e.id = file->id();
    e.sender = "alice@example.org";
    e.size = body.size();
    e.created = e.next_attempt = 1000;
    for (int i = 0; i < recipients; ++i) {
      Recipient r;
      r.position = i;
      r.address = "r" + std::to_string(i) + "@remote.test";
      r.notify = kNotifyFailure;
      e.recipients.push_back(r);
    }
    spool.insert(e);
    return e;
  }

  static void make_old(const fs::path& p) {
    struct timeval times[2] = {{1000, 0}, {1000, 0}};
    ::utimes(p.c_str(), times);
  }

  fs::path dir_;
};

TEST_F(SpoolTest, InsertLoadSaveAndList) {
  Spool spool(dir_);
  Envelope e = committed(spool, "Subject: x\r\n\r\nbody\r\n", 2);
  EXPECT_EQ(e.id.size(), 12u);
  auto loaded = spool.load(e.id);
  ASSERT_TRUE(loaded);
  EXPECT_EQ(loaded->sender, "alice@example.org");
  ASSERT_EQ(loaded->recipients.size(), 2u);
  EXPECT_EQ(loaded->recipients[1].address, "r1@remote.test");
  EXPECT_EQ(loaded->recipients[1].notify, unsigned(kNotifyFailure));
  EXPECT_EQ(loaded->state, MessageState::queued);

  loaded->state = MessageState::deferred;
  loaded->attempts = 3;
  loaded->next_attempt = 5000;
  loaded->last_error = "connect to x: refused";
  loaded->recipients[0].state = RecipientState::delivered;
  loaded->recipients[0].diagnostic = "smtp; 250 ok";
  ASSERT_TRUE(spool.save(*loaded));
  auto again = spool.load(e.id);
  EXPECT_EQ(again->state, MessageState::deferred);
  EXPECT_EQ(again->attempts, 3);
  EXPECT_EQ(again->recipients[0].state, RecipientState::delivered);
  EXPECT_EQ(again->recipients[0].diagnostic, "smtp; 250 ok");
  EXPECT_EQ(spool.list().size(), 1u);
  std::ifstream in(spool.message_path(e.id), std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(bytes, "Subject: x\r\n\r\nbody\r\n");
}

TEST_F(SpoolTest, DueRetryAndRemove) {
  Spool spool(dir_);
  Envelope a = committed(spool, "a");
  Envelope b = committed(spool, "b");
  auto env = *spool.load(b.id);
  env.next_attempt = 9000;
  env.state = MessageState::deferred;
  spool.save(env);
  EXPECT_EQ(spool.due(2000, 10), std::vector<std::string>{a.id});
  EXPECT_EQ(spool.next_due(), 1000);
  EXPECT_EQ(spool.retry(b.id, 2000), 1u);
  EXPECT_EQ(spool.due(2000, 10).size(), 2u);
  spool.set_state(a.id, MessageState::delivering);
  EXPECT_EQ(spool.due(2000, 10), std::vector<std::string>{b.id});  // not twice at once
  EXPECT_TRUE(spool.remove(b.id));
  EXPECT_FALSE(fs::exists(spool.message_path(b.id)));
  EXPECT_FALSE(spool.remove(b.id));
  EXPECT_FALSE(spool.load(b.id));
  env.id = b.id;
  EXPECT_FALSE(spool.save(env));  // removed meanwhile: the engine's update finds nothing
  EXPECT_THROW(spool.remove("../../etc/passwd"), QueueError);
}

TEST_F(SpoolTest, AbandonedWriterLeavesNothing) {
  Spool spool(dir_);
  {
    auto file = spool.create_file();
    file->write("partial");
  }
  EXPECT_TRUE(fs::is_empty(dir_ / "tmp"));
  EXPECT_TRUE(fs::is_empty(dir_ / "msg"));
}

TEST_F(SpoolTest, RecoversAfterKill9) {
  // A child process enqueues two messages, starts delivering one, is half-way through writing a
  // third, and is killed. Everything it acknowledged must be there afterwards.
  std::string ids_file = (dir_ / "ids").string();
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    QueueSettings s;
    s.dir = dir_ / "queue";
    Queue q(s, nullptr);
    std::string id1 = q.enqueue({"alice@example.org", {{"bob@remote.test", 0, ""}}, Ret::unspecified, "", false, "", ""},
                                "Subject: one\r\n\r\n1\r\n");
    std::string id2 = q.enqueue({"alice@example.org", {{"carol@remote.test", 0, ""}}, Ret::unspecified, "", false, "", ""},
                                "Subject: two\r\n\r\n2\r\n");
    q.spool().set_state(id2, MessageState::delivering);
    auto unfinished = q.begin({"alice@example.org", {{"dave@remote.test", 0, ""}}, Ret::unspecified, "", false, "", ""});
    unfinished->write(std::string(200000, 'x'));
    std::ofstream(ids_file) << id1 << " " << id2;
    ::kill(::getpid(), SIGKILL);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status));
  std::string id1, id2;
  std::ifstream(ids_file) >> id1 >> id2;

  Spool spool(dir_ / "queue");
  // A file without an envelope, old enough to be from a crash (not a writer still at work).
  std::ofstream(dir_ / "queue" / "msg" / "ABCDEF012345") << "never acknowledged";
  make_old(dir_ / "queue" / "msg" / "ABCDEF012345");
  for (const auto& entry : fs::directory_iterator(dir_ / "queue" / "tmp")) make_old(entry.path());

  const int64_t now = ::time(nullptr) + 10;
  RecoveryReport report = spool.recover(now);
  EXPECT_EQ(report.messages, 2u);
  EXPECT_EQ(report.interrupted, 1u);
  EXPECT_EQ(report.orphan_files, 1u);
  EXPECT_TRUE(fs::is_empty(dir_ / "queue" / "tmp"));
  auto two = spool.load(id2);
  ASSERT_TRUE(two);
  EXPECT_EQ(two->state, MessageState::queued);
  EXPECT_EQ(two->next_attempt, now);
  ASSERT_TRUE(spool.load(id1));
  EXPECT_EQ(spool.due(now, 10).size(), 2u);
}

TEST_F(SpoolTest, EnvelopeWithoutFileIsDroppedAtRecovery) {
  Spool spool(dir_);
  Envelope e = committed(spool, "x");
  fs::remove(spool.message_path(e.id));
  RecoveryReport report = spool.recover(2000);
  EXPECT_EQ(report.missing_files, 1u);
  EXPECT_FALSE(spool.load(e.id));
}

TEST(CrlfNormalizer, MakesEveryLineEndCrlf) {
  std::string out;
  CrlfNormalizer n([&](std::string_view s) { out.append(s); });
  std::string in = "a\nb\rc\r\nd\r";
  for (char c : in) n.feed(std::string_view(&c, 1));
  n.finish();
  EXPECT_EQ(out, "a\r\nb\r\nc\r\nd\r\n");
}

}  // namespace
}  // namespace kurier::queue
