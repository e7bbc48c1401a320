// Exports (export_commands.h). The store is opened as a guest (it may be in use by `kurier
// serve`) and only read; message bytes come from the blobs (mmap'd when large).
#include "cli/export_commands.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>

#include "cli/context.h"
#include "import/maildir.h"
#include "import/mbox.h"
#include "store/blob_store.h"
#include "store/errors.h"
#include "store/sqlite_mail_store.h"

namespace kurier::cli {
namespace {

namespace fs = std::filesystem;
using namespace kurier::mail_import;

struct OpenStore {
  std::unique_ptr<store::FileBlobStore> blobs;
  std::unique_ptr<store::SqliteMailStore> mail;
  store::AccountId account = 0;
};

OpenStore open_store(const config::Config& config, directory::Directory& directory, const std::string& address) {
  auto account = directory.find_account_by_address(address);
  if (!account) throw Failure("no account " + address);
  OpenStore s;
  s.account = store::AccountId(account->id);
  s.blobs = std::make_unique<store::FileBlobStore>(config.data_dir / "blobs", true);
  store::SqliteMailStore::Options options;
  options.db_path = config.data_dir / "store.db";
  options.guest = true;
  s.mail = std::make_unique<store::SqliteMailStore>(options, *s.blobs);
  return s;
}

class OutFile {
 public:
  explicit OutFile(const fs::path& path) : path_(path) {
    fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd_ < 0) throw Failure("cannot create " + path.string() + ": " + std::strerror(errno));
  }
  ~OutFile() {
    if (fd_ >= 0) ::close(fd_);
  }
  void write(std::string_view data) {
    while (!data.empty()) {
      ssize_t n = ::write(fd_, data.data(), data.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) throw Failure("cannot write " + path_.string() + ": " + std::strerror(errno));
      data.remove_prefix(size_t(n));
    }
  }
  void close_synced() {
    if (::fsync(fd_) != 0 || ::close(fd_) != 0) throw Failure("cannot write " + path_.string() + ": " + std::strerror(errno));
    fd_ = -1;
  }

 private:
  fs::path path_;
  int fd_ = -1;
};

void make_dirs(const fs::path& p) {
  std::error_code ec;
  fs::create_directories(p, ec);
  if (ec) throw Failure("cannot create " + p.string() + ": " + ec.message());
}

void set_mtime(const fs::path& p, int64_t t) {
  struct timeval tv[2] = {{time_t(t), 0}, {time_t(t), 0}};
  ::utimes(p.c_str(), tv);
}

// Maildir++: INBOX at the root, others as ".A.B" (a '.' inside a level cannot be written
// there, so it becomes '_', noted on stderr).
fs::path maildir_folder_dir(const fs::path& root, const std::string& name) {
  if (name == "INBOX") return root;
  if (auto d = maildirpp_dir_name(name)) return root / *d;
  std::string safe = name;
  for (auto& level_char : safe)
    if (level_char == '.') level_char = '_';
  auto d = maildirpp_dir_name(safe);
  if (!d) throw Failure("folder \"" + name + "\" has no Maildir++ name");
  std::fprintf(stderr, "kurier: folder \"%s\" exported as %s (Maildir++ cannot hold '.' in a name)\n", name.c_str(), d->c_str());
  return root / *d;
}

void export_maildir_folder(OpenStore& s, const store::MailboxInfo& box, const fs::path& dir, ExportResult& result) {
  for (const char* sub : {"cur", "new", "tmp"}) make_dirs(dir / sub);
  std::vector<std::string> keyword_index;
  Uidlist list;
  list.version = 3;
  list.uidvalidity = box.uidvalidity;
  list.next_uid = box.uidnext;
  for (const auto& m : s.mail->messages(box.id)) {
    std::string base = std::to_string(m.internal_date) + ".K" + std::to_string(box.uidvalidity) + "U" +
                       std::to_string(m.uid) + ".kurier,S=" + std::to_string(m.size) + ",W=" + std::to_string(m.size);
    std::string filename = format_maildir_name(base, m.flags, keyword_index);
    fs::path path = dir / "cur" / filename;
    {
      OutFile out(path);
      auto view = s.blobs->open(m.blob);
      out.write(view.data());
      out.close_synced();
    }
    set_mtime(path, m.internal_date);  // Dovecot reads INTERNALDATE from the mtime
    list.entries.push_back({m.uid, base, {}});
    ++result.messages;
    result.bytes += m.size;
  }
  OutFile uidlist(dir / "dovecot-uidlist");
  uidlist.write(format_dovecot_uidlist(list));
  uidlist.close_synced();
  if (!keyword_index.empty()) {
    OutFile keywords(dir / "dovecot-keywords");
    keywords.write(format_dovecot_keywords(keyword_index));
    keywords.close_synced();
  }
  ++result.folders;
}

std::string status_headers(const store::Flags& flags) {
  std::string status = flags.system & store::kSeen ? "RO" : "O";
  std::string x;
  if (flags.system & store::kAnswered) x += 'A';
  if (flags.system & store::kFlagged) x += 'F';
  if (flags.system & store::kDraft) x += 'T';
  if (flags.system & store::kDeleted) x += 'D';
  std::string out = "Status: " + status + "\n";
  if (!x.empty()) out += "X-Status: " + x + "\n";
  if (!flags.keywords.empty()) {
    out += "X-Keywords:";
    for (size_t i = 0; i < flags.keywords.size(); ++i) out += (i ? ", " : " ") + flags.keywords[i];
    out += "\n";
  }
  return out;
}

// mboxrd (mbox.h): lines LF-ended, /^>*From / lines get one more '>', the flags as headers
// at the top of the header block, an empty line after the message.
void write_mbox_message(OutFile& out, std::string_view msg, const store::MessageMeta& m) {
  out.write(format_from_line("MAILER-DAEMON", m.internal_date));
  out.write(status_headers(m.flags));
  std::string chunk;
  size_t start = 0;
  bool ends_with_newline = false;
  while (start < msg.size()) {
    size_t nl = msg.find('\n', start);
    std::string_view line = msg.substr(start, nl == std::string_view::npos ? std::string_view::npos : nl - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (needs_from_quote(line)) chunk += '>';
    chunk += line;
    ends_with_newline = nl != std::string_view::npos;
    if (ends_with_newline) chunk += '\n';
    if (chunk.size() >= 65536) {
      out.write(chunk);
      chunk.clear();
    }
    if (nl == std::string_view::npos) break;
    start = nl + 1;
  }
  if (!ends_with_newline) chunk += '\n';
  chunk += '\n';
  out.write(chunk);
}

}  // namespace

ExportResult export_maildir(const config::Config& config, directory::Directory& directory, const std::string& address,
                            const std::string& dir) {
  OpenStore s = open_store(config, directory, address);
  fs::path root(dir);
  make_dirs(root);
  ExportResult result;
  for (const auto& box : s.mail->list_mailboxes(s.account)) {
    if (box.noselect) continue;
    export_maildir_folder(s, box, maildir_folder_dir(root, box.name), result);
  }
  // Dovecot 2.x subscriptions: "V\t2", an empty line, then names with TAB as the separator.
  std::string subs = "V\t2\n\n";
  for (auto name : s.mail->subscriptions(s.account)) {
    std::replace(name.begin(), name.end(), '/', '\t');
    subs += name + "\n";
  }
  OutFile out(root / "subscriptions");
  out.write(subs);
  out.close_synced();
  return result;
}

ExportResult export_mbox(const config::Config& config, directory::Directory& directory, const std::string& address,
                         const std::string& dir) {
  OpenStore s = open_store(config, directory, address);
  fs::path root(dir);
  make_dirs(root);
  ExportResult result;
  for (const auto& box : s.mail->list_mailboxes(s.account)) {
    if (box.noselect) continue;
    fs::path path = root / (box.name + ".mbox");
    make_dirs(path.parent_path());
    OutFile out(path);
    for (const auto& m : s.mail->messages(box.id)) {
      auto view = s.blobs->open(m.blob);
      write_mbox_message(out, view.data(), m);
      ++result.messages;
      result.bytes += m.size;
    }
    out.close_synced();
    ++result.folders;
  }
  return result;
}

}  // namespace kurier::cli
