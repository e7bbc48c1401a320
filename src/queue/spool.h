// The durable outbound spool: DIR = DATA_DIR/queue.
//   DIR/queue.db     envelope records (SQLite, WAL, synchronous=FULL): messages + recipients
//   DIR/msg/<ID>     message bytes, one file per message, written once
//   DIR/tmp/<ID>.<pid>  files being written
// A message is written to tmp/, fdatasync'd, linked into msg/ (the directory fsync'd), and only
// then its envelope row is committed: a row never points at a missing or partial file. A crash
// between the two leaves an unreferenced file, which recover() removes.
//
// The server and the CLI (`kurier queue list|retry|remove`) open the same spool at once:
// opening changes nothing, SQLite serializes the writers, and the server's scheduler reads the
// index every poll, so a `retry` or `remove` from the CLI takes effect while the server runs.
// Every method is blocking and thread-safe.
#pragma once
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "queue/envelope.h"

namespace kurier::sql {
class Database;
}

namespace kurier::queue {

class QueueError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Streams one message file. Destroying it without commit() removes the temp file.
class SpoolFile {
 public:
  SpoolFile(std::filesystem::path tmp, std::filesystem::path final_path, std::string id);
  ~SpoolFile();
  SpoolFile(const SpoolFile&) = delete;
  SpoolFile& operator=(const SpoolFile&) = delete;

  const std::string& id() const { return id_; }
  void write(std::string_view chunk);  // throws QueueError
  uint64_t size() const { return size_; }
  // fdatasync, link into msg/, fsync the directory. Throws QueueError.
  void commit();

 private:
  void flush();

  std::filesystem::path tmp_;
  std::filesystem::path final_;
  std::string id_;
  int fd_ = -1;
  std::string buffer_;
  uint64_t size_ = 0;
  bool committed_ = false;
};

// Turns bare CR and bare LF into CRLF (what smtp::DotStuffer sends anyway), so the spool file
// is byte for byte what goes on the wire and a DKIM body hash over it stays valid.
class CrlfNormalizer {
 public:
  explicit CrlfNormalizer(std::function<void(std::string_view)> sink) : sink_(std::move(sink)) {}
  void feed(std::string_view chunk);
  void finish();

 private:
  std::function<void(std::string_view)> sink_;
  std::string out_;
  bool pending_cr_ = false;
};

struct RecoveryReport {
  size_t messages = 0;        // envelopes in the index
  size_t interrupted = 0;     // were 'delivering' when the process died: due again now
  size_t orphan_files = 0;    // files without an envelope (never acknowledged), removed
  size_t missing_files = 0;   // envelopes whose file is gone (logged and dropped)
};

class Spool {
 public:
  // Files without an envelope younger than this may belong to a writer still committing.
  static constexpr int64_t kOrphanAgeSeconds = 3600;

  explicit Spool(std::filesystem::path dir);
  ~Spool();
  Spool(const Spool&) = delete;
  Spool& operator=(const Spool&) = delete;

  const std::filesystem::path& dir() const { return dir_; }
  std::filesystem::path message_path(std::string_view id) const;

  // A new message file with a fresh queue id (12 upper-case hex digits, random).
  std::unique_ptr<SpoolFile> create_file();
  // Commits the envelope (its file must be committed). Durable when it returns.
  void insert(const Envelope& e);

  std::optional<Envelope> load(std::string_view id);
  std::vector<Envelope> list();  // oldest first
  // Ids of messages due at `now` that are not being delivered, oldest due first.
  std::vector<std::string> due(int64_t now, size_t limit);
  // The earliest next_attempt of a message not being delivered, if any.
  std::optional<int64_t> next_due();

  // Writes the message row and every recipient row. False when the message is gone (removed
  // by `kurier queue remove` meanwhile).
  bool save(const Envelope& e);
  bool set_state(std::string_view id, MessageState state);
  // Makes a message (or every message, id empty) due now. Returns how many were changed.
  size_t retry(std::string_view id, int64_t now);
  // Removes the envelope and its file. False when there is no such message.
  bool remove(std::string_view id);

  // Server start: 'delivering' rows become due now; orphan files older than kOrphanAgeSeconds
  // and stale temp files are removed; envelopes without a file are dropped (and logged).
  RecoveryReport recover(int64_t now);

 private:
  std::vector<Recipient> load_recipients(std::string_view id);
  std::string new_id();

  std::filesystem::path dir_;
  std::mutex mutex_;
  std::unique_ptr<sql::Database> db_;
};

}  // namespace kurier::queue
