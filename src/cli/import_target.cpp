// The common part of every import (import_target.h).
#include "cli/import_target.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>

#include <fmt/format.h>

#include "cli/context.h"
#include "common/strings.h"
#include "mime/cache.h"
#include "mime/part.h"
#include "server/privileges.h"
#include "store/errors.h"

namespace kurier::cli {
namespace {

// A batch is one transaction: large enough to share one syncfs and one WAL fsync among many
// messages, small enough to keep the server's writer waiting only briefly for the lock.
constexpr size_t kBatchMessages = 1000;
constexpr uint64_t kBatchBytes = 64ull << 20;
constexpr size_t kBufferBytes = 64 * 1024;

std::string rate_text(uint64_t bytes, double seconds) {
  return fmt::format("{:.1f} MB/s", seconds > 0 ? double(bytes) / 1e6 / seconds : 0.0);
}

std::string duration_text(double seconds) {
  auto s = uint64_t(seconds);
  return fmt::format("{}:{:02}:{:02}", s / 3600, (s / 60) % 60, s % 60);
}

}  // namespace

std::string import_key(const std::string& folder, const std::string& name) { return folder + "\n" + name; }

void become_data_dir_owner(const config::Config& config) {
  if (::geteuid() != 0) return;
  struct stat st {};
  if (::stat(config.data_dir.c_str(), &st) != 0 || st.st_uid == 0) return;
  server::RunAs owner{"owner of " + config.data_dir.string(), st.st_uid, st.st_gid};
  server::drop_privileges(owner);
}

// ---- progress ----

Progress::Progress(bool quiet) : quiet_(quiet), terminal_(::isatty(STDERR_FILENO) == 1) {}

void Progress::update(uint64_t messages, uint64_t bytes, bool force) {
  if (quiet_) return;
  auto now = std::chrono::steady_clock::now();
  auto since = now - last_;
  if (!force && since < (terminal_ ? std::chrono::milliseconds(200) : std::chrono::seconds(5))) return;
  last_ = now;
  double elapsed = std::chrono::duration<double>(now - start_).count();
  double per_second = elapsed > 0 ? double(messages) / elapsed : 0;
  std::string eta = total_ > messages && per_second > 0 ? duration_text(double(total_ - messages) / per_second) : "-";
  std::string count = total_ ? fmt::format("{}/{}", messages, total_) : std::to_string(messages);
  if (terminal_) {
    constexpr int kWidth = 30;
    int filled = total_ ? int(kWidth * std::min<double>(1.0, double(messages) / double(total_))) : 0;
    std::string bar = std::string(filled, '#') + std::string(kWidth - filled, ' ');
    std::cerr << fmt::format("\r[{}] {} messages  {}  ETA {}   ", bar, count, rate_text(bytes, elapsed), eta)
              << std::flush;
  } else {
    std::cerr << fmt::format("import: {} messages, {}, {:.0f} msgs/s, ETA {}\n", count,
                             rate_text(bytes, elapsed), per_second, eta);
  }
}

void Progress::finish(uint64_t messages, uint64_t bytes) {
  if (quiet_) return;
  update(messages, bytes, true);
  if (terminal_) std::cerr << "\n";
}

// ---- streaming a message ----

void MessageBlob::write(std::string_view chunk) {
  crlf_.feed(chunk, buffer_);
  if (buffer_.size() >= kBufferBytes) {
    writer_->write(buffer_);
    buffer_.clear();
  }
}

// ---- the target ----

ImportTarget::ImportTarget(const config::Config& config, directory::Directory& directory,
                           const std::string& address, std::string kind, std::string source, bool json,
                           bool ignore_quota)
    : json_(json), kind_(std::move(kind)), source_(std::move(source)), address_(address),
      ignore_quota_(ignore_quota), progress_(json) {
  auto account = directory.find_account_by_address(address);
  if (!account) throw Failure("no account " + address);
  account_ = store::AccountId(account->id);
  quota_ = account->quota;
  try {
    blobs_ = std::make_unique<store::FileBlobStore>(config.data_dir / "blobs", true);
    store::SqliteMailStore::Options options;
    options.db_path = config.data_dir / "store.db";
    options.guest = true;
    store_ = std::make_unique<store::SqliteMailStore>(options, *blobs_);
    store_->create_default_mailboxes(account_);
    for (auto& key : store_->imported_keys(account_, source_)) done_keys_.insert(std::move(key));
    if (quota_ != 0 && !ignore_quota_) planned_ = store_->quota_usage(account_).bytes;
  } catch (const store::StoreError& e) {
    throw Failure(std::string("cannot open the mail store: ") + e.what());
  }
}

ImportTarget::~ImportTarget() {
  try {
    wait_for_commit();  // never leave the committing thread running on a destroyed target
  } catch (...) {
    // the failure was already reported, or the import is being abandoned for another one
  }
}

FolderReport& ImportTarget::report_for(store::MailboxId folder) {
  for (auto& [id, report] : folders_)
    if (id == folder) return report;
  folders_.push_back({folder, FolderReport{}});
  return folders_.back().second;
}

store::MailboxId ImportTarget::open_folder(const std::string& name, uint32_t uidvalidity) {
  flush();
  wait_for_commit();
  auto box = store_->prepare_import_mailbox(account_, name, uidvalidity);
  std::lock_guard lock(stats_mutex_);
  auto& report = report_for(box.id);
  report.name = box.name;
  report.uidvalidity = box.uidvalidity;
  report.uidvalidity_kept = uidvalidity != 0 && box.uidvalidity == uidvalidity;
  if (uidvalidity != 0 && !report.uidvalidity_kept)
    warnings_.push_back("folder " + box.name + ": kept its own UIDVALIDITY " + std::to_string(box.uidvalidity) +
                        " (it already held mail); the source's " + std::to_string(uidvalidity) + " could not be kept");
  return box.id;
}

void ImportTarget::subscribe(const std::string& name) { store_->subscribe(account_, name); }

bool ImportTarget::already_imported(const std::string& folder, const std::string& key) const {
  return done_keys_.count(import_key(folder, key)) != 0;
}

void ImportTarget::count_already(store::MailboxId folder, uint64_t n) {
  std::lock_guard lock(stats_mutex_);
  report_for(folder).already += n;
  already_ += n;
}

MessageBlob ImportTarget::begin_message() { return MessageBlob(blobs_->create()); }

void ImportTarget::add(store::MailboxId folder, const std::string& folder_name, MessageBlob blob,
                       store::Flags flags, store::Uid source_uid, const std::string& key,
                       int64_t internal_date, std::string pop3_uidl) {
  // The quota as delivery and APPEND apply it (usage + size > quota is refused); the blob of a
  // refused message is dropped uncommitted with its writer.
  if (quota_ != 0 && !ignore_quota_) {
    if (planned_ + blob.size() > quota_) {
      over_quota_ = true;
      skip("message " + key + " in " + folder_name, "over quota");
      throw QuotaReached{};
    }
    planned_ += blob.size();
  }
  if (batch_folder_ != folder) flush();
  batch_folder_ = folder;
  store::ImportItem item;
  // A message that fit the buffer is parsed from it; a bigger one from its (mmap'd) blob.
  bool in_memory = blob.writer_->bytes_written() == 0;
  if (in_memory) item.message.cached_structure = mime::serialize(mime::parse_message(blob.buffer_));
  if (!blob.buffer_.empty()) blob.writer_->write(blob.buffer_);
  item.message.size = blob.writer_->bytes_written();
  // The group commit syncs every blob of the batch at once (NewMessage::blob_synced).
  item.message.blob = blob.writer_->commit_unsynced();
  item.message.blob_synced = false;
  item.message.internal_date = internal_date;
  if (!in_memory)
    item.message.cached_structure = mime::serialize(mime::parse_message(blobs_->open(item.message.blob).data()));
  item.flags = std::move(flags);
  item.source_uid = source_uid;
  item.key = import_key(folder_name, key);
  item.pop3_uidl = std::move(pop3_uidl);
  batch_bytes_ += item.message.size;
  batch_.push_back(std::move(item));
  if (batch_.size() >= kBatchMessages || batch_bytes_ >= kBatchBytes) flush();
}

void ImportTarget::flush() {
  if (batch_.empty()) return;
  wait_for_commit();
  in_flight_ = std::async(std::launch::async, &ImportTarget::commit, this, batch_folder_, std::move(batch_));
  batch_.clear();
  batch_bytes_ = 0;
}

void ImportTarget::wait_for_commit() {
  if (in_flight_.valid()) in_flight_.get();
}

// On the committing thread.
void ImportTarget::commit(store::MailboxId folder, std::vector<store::ImportItem> batch) {
  std::vector<store::ImportOutcome> outcomes;
  try {
    outcomes = store_->import_messages(account_, folder, source_, batch);
  } catch (const store::StoreError& e) {
    for (const auto& item : batch) blobs_->remove(item.message.blob);
    throw Failure(std::string("storing a batch failed (nothing of it was kept; run the import again to resume): ") + e.what());
  }
  std::lock_guard lock(stats_mutex_);
  auto& report = report_for(folder);
  for (size_t i = 0; i < outcomes.size(); ++i) {
    if (outcomes[i].skipped) {
      blobs_->remove(batch[i].message.blob);
      ++report.already;
      ++already_;
      continue;
    }
    ++report.imported;
    ++imported_;
    bytes_ += batch[i].message.size;
  }
  progress_.update(imported_ + already_, bytes_);
}

void ImportTarget::finish_folder(store::MailboxId folder, store::Uid source_next_uid) {
  flush();
  wait_for_commit();
  if (source_next_uid > 1) store_->raise_uidnext(folder, source_next_uid);
}

void ImportTarget::skip(const std::string& what, const std::string& why) {
  std::lock_guard lock(stats_mutex_);
  skipped_.emplace_back(what, why);
}

void ImportTarget::warn(const std::string& what) {
  std::lock_guard lock(stats_mutex_);
  warnings_.push_back(what);
}

int ImportTarget::finish() {
  flush();
  wait_for_commit();
  progress_.finish(imported_ + already_, bytes_);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  if (json_) {
    nlohmann::json j = {{"kind", kind_}, {"source", source_}, {"to", address_},
                        {"imported", imported_}, {"already_imported", already_}, {"bytes", bytes_},
                        {"seconds", seconds}, {"messages_per_second", seconds > 0 ? double(imported_) / seconds : 0.0},
                        {"quota", quota_}, {"quota_ignored", ignore_quota_},
                        {"stopped", over_quota_ ? nlohmann::json("over quota") : nlohmann::json(nullptr)}};
    j["folders"] = nlohmann::json::array();
    for (const auto& [id, f] : folders_)
      j["folders"].push_back({{"name", f.name}, {"uidvalidity", f.uidvalidity}, {"uidvalidity_kept", f.uidvalidity_kept},
                              {"imported", f.imported}, {"already_imported", f.already}});
    j["skipped"] = nlohmann::json::array();
    for (const auto& [what, why] : skipped_) j["skipped"].push_back({{"item", what}, {"reason", why}});
    j["warnings"] = warnings_;
    std::cout << j.dump(2) << "\n";
    return 0;
  }
  std::cout << fmt::format("imported {} messages ({:.1f} MB) into {} in {:.1f} s ({:.0f} msgs/s)\n", imported_,
                           double(bytes_) / 1e6, address_, seconds, seconds > 0 ? double(imported_) / seconds : 0.0);
  if (already_) std::cout << "  " << already_ << " already imported by an earlier run (skipped)\n";
  for (const auto& [id, f] : folders_)
    std::cout << fmt::format("  {:<30} {:>7} new {:>7} earlier  UIDVALIDITY {}{}\n", f.name, f.imported, f.already,
                             f.uidvalidity, f.uidvalidity_kept ? " (kept)" : "");
  if (!skipped_.empty()) std::cout << "skipped " << skipped_.size() << ":\n";
  for (const auto& [what, why] : skipped_) std::cout << "  " << what << ": " << why << "\n";
  for (const auto& w : warnings_) std::cout << "warning: " << w << "\n";
  if (over_quota_)
    std::cout << fmt::format("stopped: the next message would exceed {}'s quota of {} bytes\n", address_, quota_);
  return 0;
}

}  // namespace kurier::cli
