#include "queue/spool.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/rand.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <set>

#include "common/log.h"
#include "common/sqlite.h"

namespace kurier::queue {
namespace {

namespace fs = std::filesystem;
constexpr size_t kWriteBuffer = 64 * 1024;

[[noreturn]] void io_fail(const std::string& what, const fs::path& path) {
  throw QueueError("queue: cannot " + what + " " + path.string() + ": " + std::strerror(errno));
}

void fsync_dir(const fs::path& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) io_fail("open", dir);
  int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) io_fail("fsync", dir);
}

bool valid_id(std::string_view id) {
  if (id.empty() || id.size() > 32) return false;
  for (char c : id)
    if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'F'))) return false;
  return true;
}

int64_t file_age_seconds(const fs::path& p) {
  struct stat st {};
  if (::stat(p.c_str(), &st) != 0) return 0;
  return int64_t(::time(nullptr)) - int64_t(st.st_mtime);
}

const std::vector<std::string> kMigrations = {
    R"(CREATE TABLE messages (
         id TEXT PRIMARY KEY,
         sender TEXT NOT NULL,
         envid TEXT NOT NULL DEFAULT '',
         ret TEXT NOT NULL DEFAULT '',
         smtputf8 INTEGER NOT NULL DEFAULT 0,
         eight_bit INTEGER NOT NULL DEFAULT 0,
         prefix BLOB NOT NULL DEFAULT '',
         size INTEGER NOT NULL,
         state TEXT NOT NULL,
         created INTEGER NOT NULL,
         next_attempt INTEGER NOT NULL,
         last_attempt INTEGER NOT NULL DEFAULT 0,
         attempts INTEGER NOT NULL DEFAULT 0,
         last_error TEXT NOT NULL DEFAULT '',
         delay_warned INTEGER NOT NULL DEFAULT 0);
       CREATE INDEX messages_next_attempt ON messages(next_attempt);
       CREATE TABLE recipients (
         message_id TEXT NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
         position INTEGER NOT NULL,
         address TEXT NOT NULL,
         notify INTEGER NOT NULL DEFAULT 0,
         orcpt TEXT NOT NULL DEFAULT '',
         state TEXT NOT NULL,
         status TEXT NOT NULL DEFAULT '',
         diagnostic TEXT NOT NULL DEFAULT '',
         remote_mta TEXT NOT NULL DEFAULT '',
         success_notice_due INTEGER NOT NULL DEFAULT 0,
         PRIMARY KEY (message_id, position));)"};

constexpr const char* kMessageColumns =
    "id, sender, envid, ret, smtputf8, eight_bit, prefix, size, state, created, next_attempt, last_attempt, "
    "attempts, last_error, delay_warned";

Envelope read_message(sql::Statement& s) {
  Envelope e;
  e.id = s.text(0);
  e.sender = s.text(1);
  e.envid = s.text(2);
  e.ret = parse_ret(s.text(3)).value_or(Ret::unspecified);
  e.smtputf8 = s.int64(4) != 0;
  e.eight_bit = s.int64(5) != 0;
  e.prefix = s.blob(6);
  e.size = uint64_t(s.int64(7));
  e.state = parse_message_state(s.text(8)).value_or(MessageState::queued);
  e.created = s.int64(9);
  e.next_attempt = s.int64(10);
  e.last_attempt = s.int64(11);
  e.attempts = int(s.int64(12));
  e.last_error = s.text(13);
  e.delay_warned = s.int64(14) != 0;
  return e;
}

}  // namespace

// ---- SpoolFile -------------------------------------------------------------------------------

SpoolFile::SpoolFile(fs::path tmp, fs::path final_path, std::string id)
    : tmp_(std::move(tmp)), final_(std::move(final_path)), id_(std::move(id)) {
  fd_ = ::open(tmp_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd_ < 0) io_fail("create", tmp_);
  buffer_.reserve(kWriteBuffer);
}

SpoolFile::~SpoolFile() {
  if (fd_ >= 0) ::close(fd_);
  if (!committed_) ::unlink(tmp_.c_str());
}

void SpoolFile::write(std::string_view chunk) {
  if (fd_ < 0) throw QueueError("queue: spool file " + id_ + " already committed");
  size_ += chunk.size();
  buffer_.append(chunk);
  if (buffer_.size() >= kWriteBuffer) flush();
}

void SpoolFile::flush() {
  std::string_view rest = buffer_;
  while (!rest.empty()) {
    ssize_t n = ::write(fd_, rest.data(), rest.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) io_fail("write", tmp_);
    rest.remove_prefix(size_t(n));
  }
  buffer_.clear();
}

void SpoolFile::commit() {
  if (fd_ < 0) throw QueueError("queue: spool file " + id_ + " already committed");
  flush();
  if (::fdatasync(fd_) != 0) io_fail("fdatasync", tmp_);
  ::close(fd_);
  fd_ = -1;
  // link() refuses to replace an existing file: a queue id is never reused by accident.
  if (::link(tmp_.c_str(), final_.c_str()) != 0) io_fail("link into place", final_);
  ::unlink(tmp_.c_str());
  committed_ = true;
  fsync_dir(final_.parent_path());
}

// ---- CrlfNormalizer --------------------------------------------------------------------------

void CrlfNormalizer::feed(std::string_view chunk) {
  for (char c : chunk) {
    if (pending_cr_) {
      pending_cr_ = false;
      out_ += "\r\n";
      if (c == '\n') continue;
    }
    if (c == '\r')
      pending_cr_ = true;
    else if (c == '\n')
      out_ += "\r\n";
    else
      out_ += c;
  }
  if (out_.size() >= kWriteBuffer) {
    sink_(out_);
    out_.clear();
  }
}

void CrlfNormalizer::finish() {
  if (pending_cr_) out_ += "\r\n";
  pending_cr_ = false;
  if (!out_.empty()) sink_(out_);
  out_.clear();
}

// ---- Spool -----------------------------------------------------------------------------------

Spool::Spool(fs::path dir) : dir_(std::move(dir)) {
  std::error_code ec;
  for (const auto& d : {dir_, dir_ / "msg", dir_ / "tmp"}) {
    fs::create_directories(d, ec);
    if (ec) throw QueueError("queue: cannot create " + d.string() + ": " + ec.message());
    ::chmod(d.c_str(), 0700);
  }
  db_ = std::make_unique<sql::Database>((dir_ / "queue.db").string());
  db_->migrate(kMigrations);
}

Spool::~Spool() = default;

fs::path Spool::message_path(std::string_view id) const {
  if (!valid_id(id)) throw QueueError("queue: invalid queue id '" + std::string(id) + "'");
  return dir_ / "msg" / std::string(id);
}

std::string Spool::new_id() {
  unsigned char raw[6];
  if (RAND_bytes(raw, sizeof raw) != 1) throw QueueError("queue: no randomness for a queue id");
  static const char* digits = "0123456789ABCDEF";
  std::string id;
  for (unsigned char b : raw) {
    id += digits[b >> 4];
    id += digits[b & 15];
  }
  return id;
}

std::unique_ptr<SpoolFile> Spool::create_file() {
  for (int tries = 0;; ++tries) {
    std::string id = new_id();
    fs::path final_path = message_path(id);
    if (fs::exists(final_path) && tries < 5) continue;
    fs::path tmp = dir_ / "tmp" / (id + "." + std::to_string(::getpid()));
    return std::make_unique<SpoolFile>(tmp, final_path, id);
  }
}

void Spool::insert(const Envelope& e) {
  std::lock_guard lock(mutex_);
  db_->transaction([&] {
    db_->prepare(std::string("INSERT INTO messages (") + kMessageColumns +
                 ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
        .bind_all(e.id, e.sender, e.envid, std::string(to_string(e.ret)), e.smtputf8, e.eight_bit)
        .bind_blob(7, e.prefix)
        .bind(8, int64_t(e.size))
        .bind(9, std::string_view(to_string(e.state)))
        .bind(10, e.created)
        .bind(11, e.next_attempt)
        .bind(12, e.last_attempt)
        .bind(13, int64_t(e.attempts))
        .bind(14, std::string_view(e.last_error))
        .bind(15, int64_t(e.delay_warned))
        .run();
    auto ins = db_->prepare(
        "INSERT INTO recipients (message_id, position, address, notify, orcpt, state, status, diagnostic, "
        "remote_mta, success_notice_due) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    for (const auto& r : e.recipients) {
      ins.bind_all(e.id, r.position, r.address, int64_t(r.notify), r.orcpt, std::string(to_string(r.state)), r.status,
                   r.diagnostic, r.remote_mta, r.success_notice_due);
      ins.run();
      ins.reset();
    }
  });
}

std::vector<Recipient> Spool::load_recipients(std::string_view id) {
  std::vector<Recipient> out;
  auto s = db_->prepare(
      "SELECT position, address, notify, orcpt, state, status, diagnostic, remote_mta, success_notice_due "
      "FROM recipients WHERE message_id = ? ORDER BY position");
  s.bind(1, id);
  while (s.step()) {
    Recipient r;
    r.position = int(s.int64(0));
    r.address = s.text(1);
    r.notify = unsigned(s.int64(2));
    r.orcpt = s.text(3);
    r.state = parse_recipient_state(s.text(4)).value_or(RecipientState::pending);
    r.status = s.text(5);
    r.diagnostic = s.text(6);
    r.remote_mta = s.text(7);
    r.success_notice_due = s.int64(8) != 0;
    out.push_back(std::move(r));
  }
  return out;
}

std::optional<Envelope> Spool::load(std::string_view id) {
  std::lock_guard lock(mutex_);
  auto s = db_->prepare(std::string("SELECT ") + kMessageColumns + " FROM messages WHERE id = ?");
  s.bind(1, id);
  if (!s.step()) return std::nullopt;
  Envelope e = read_message(s);
  e.recipients = load_recipients(e.id);
  return e;
}

std::vector<Envelope> Spool::list() {
  std::lock_guard lock(mutex_);
  std::vector<Envelope> out;
  auto s = db_->prepare(std::string("SELECT ") + kMessageColumns + " FROM messages ORDER BY created, id");
  while (s.step()) out.push_back(read_message(s));
  for (auto& e : out) e.recipients = load_recipients(e.id);
  return out;
}

std::vector<std::string> Spool::due(int64_t now, size_t limit) {
  std::lock_guard lock(mutex_);
  std::vector<std::string> out;
  auto s = db_->prepare(
      "SELECT id FROM messages WHERE next_attempt <= ? AND state != 'delivering' ORDER BY next_attempt, created LIMIT ?");
  s.bind(1, now).bind(2, int64_t(limit));
  while (s.step()) out.push_back(s.text(0));
  return out;
}

std::optional<int64_t> Spool::next_due() {
  std::lock_guard lock(mutex_);
  auto s = db_->prepare("SELECT MIN(next_attempt) FROM messages WHERE state != 'delivering'");
  if (!s.step() || s.is_null(0)) return std::nullopt;
  return s.int64(0);
}

bool Spool::save(const Envelope& e) {
  std::lock_guard lock(mutex_);
  bool found = false;
  db_->transaction([&] {
    db_->prepare(
           "UPDATE messages SET state = ?, next_attempt = ?, last_attempt = ?, attempts = ?, last_error = ?, "
           "delay_warned = ? WHERE id = ?")
        .bind_all(std::string(to_string(e.state)), e.next_attempt, e.last_attempt, e.attempts, e.last_error,
                  e.delay_warned, e.id)
        .run();
    found = db_->changes() > 0;
    if (!found) return;
    auto up = db_->prepare(
        "UPDATE recipients SET state = ?, status = ?, diagnostic = ?, remote_mta = ?, success_notice_due = ? "
        "WHERE message_id = ? AND position = ?");
    for (const auto& r : e.recipients) {
      up.bind_all(std::string(to_string(r.state)), r.status, r.diagnostic, r.remote_mta, r.success_notice_due, e.id,
                  r.position);
      up.run();
      up.reset();
    }
  });
  return found;
}

bool Spool::set_state(std::string_view id, MessageState state) {
  std::lock_guard lock(mutex_);
  db_->prepare("UPDATE messages SET state = ? WHERE id = ?").bind(1, std::string_view(to_string(state))).bind(2, id).run();
  return db_->changes() > 0;
}

size_t Spool::retry(std::string_view id, int64_t now) {
  std::lock_guard lock(mutex_);
  if (id.empty()) {
    db_->prepare("UPDATE messages SET next_attempt = ? WHERE state != 'delivering'").bind(1, now).run();
  } else {
    db_->prepare("UPDATE messages SET next_attempt = ? WHERE id = ? AND state != 'delivering'").bind(1, now).bind(2, id).run();
  }
  return size_t(db_->changes());
}

bool Spool::remove(std::string_view id) {
  fs::path path = message_path(id);  // validates the id
  std::lock_guard lock(mutex_);
  bool found = false;
  db_->transaction([&] {
    db_->prepare("DELETE FROM messages WHERE id = ?").bind(1, id).run();
    found = db_->changes() > 0;
  });
  if (found) ::unlink(path.c_str());  // a delivery reading it keeps its open descriptor
  return found;
}

RecoveryReport Spool::recover(int64_t now) {
  RecoveryReport report;
  std::set<std::string> known;
  {
    std::lock_guard lock(mutex_);
    db_->prepare(
           "UPDATE messages SET state = CASE WHEN attempts > 0 THEN 'deferred' ELSE 'queued' END, next_attempt = ? "
           "WHERE state = 'delivering'")
        .bind(1, now)
        .run();
    report.interrupted = size_t(db_->changes());
    auto s = db_->prepare("SELECT id FROM messages");
    while (s.step()) known.insert(s.text(0));
  }
  report.messages = known.size();
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir_ / "msg", ec)) {
    std::string name = entry.path().filename().string();
    if (known.count(name) || file_age_seconds(entry.path()) < kOrphanAgeSeconds) continue;
    fs::remove(entry.path(), ec);
    ++report.orphan_files;
  }
  for (const auto& entry : fs::directory_iterator(dir_ / "tmp", ec))
    if (file_age_seconds(entry.path()) >= kOrphanAgeSeconds) fs::remove(entry.path(), ec);
  for (const auto& id : known) {
    if (fs::exists(message_path(id))) continue;
    log::error("queue.missing_file", {{"id", id}, {"path", message_path(id).string()}});
    std::lock_guard lock(mutex_);
    db_->prepare("DELETE FROM messages WHERE id = ?").bind(1, id).run();
    ++report.missing_files;
    --report.messages;
  }
  return report;
}

}  // namespace kurier::queue
