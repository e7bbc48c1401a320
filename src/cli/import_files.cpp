// Imports from files: Maildir, mbox and Cyrus spools (import_files.h).
#include "cli/import_files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <ctime>
#include <optional>

#include "cli/context.h"
#include "common/strings.h"
#include "imap_protocol/utf7.h"
#include "import/cyrus.h"
#include "import/maildir.h"
#include "import/mbox.h"
#include "store/mailbox_name.h"

namespace kurier::cli {
namespace {

namespace fs = std::filesystem;
using namespace kurier::mail_import;

constexpr size_t kReadChunk = 64 * 1024;
constexpr uint64_t kMaxMetadataFile = 64ull << 20;  // uidlists and indexes are read whole

class File {
 public:
  explicit File(const fs::path& path) : fd_(::open(path.c_str(), O_RDONLY | O_CLOEXEC)) {}
  ~File() {
    if (fd_ >= 0) ::close(fd_);
  }
  File(const File&) = delete;
  File& operator=(const File&) = delete;
  bool ok() const { return fd_ >= 0; }
  int fd() const { return fd_; }

 private:
  int fd_;
};

// Whole small files (uidlists, keywords, indexes); nullopt when absent or unreadable.
std::optional<std::string> read_small_file(const fs::path& path) {
  std::error_code ec;
  auto size = fs::file_size(path, ec);
  if (ec || size > kMaxMetadataFile) return std::nullopt;
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::string text(size, '\0');
  in.read(text.data(), std::streamsize(size));
  text.resize(size_t(in.gcount()));
  return text;
}

// Streams a message file into a blob; the error text when it cannot be read.
std::optional<std::string> stream_file(const fs::path& path, MessageBlob& blob, int64_t& mtime) {
  File f(path);
  if (!f.ok()) return std::string(std::strerror(errno));
  struct stat st {};
  if (::fstat(f.fd(), &st) != 0) return std::string(std::strerror(errno));
  mtime = int64_t(st.st_mtime);
  std::string buf(kReadChunk, '\0');
  for (;;) {
    ssize_t n = ::read(f.fd(), buf.data(), buf.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return std::string(std::strerror(errno));
    }
    if (n == 0) break;
    blob.write(std::string_view(buf.data(), size_t(n)));
  }
  return std::nullopt;
}

bool is_dir(const fs::path& p) {
  std::error_code ec;
  return fs::is_directory(p, ec);
}

// ---- Maildir ----

struct MaildirFolder {
  std::string name;  // kurier's name, '/' separated, UTF-8
  fs::path dir;
};

struct MaildirFile {
  fs::path path;
  std::string filename;
  MaildirName name;
};

bool is_maildir(const fs::path& dir) { return is_dir(dir / "cur") || is_dir(dir / "new"); }

// Dovecot's LAYOUT=fs: folders are plain subdirectories (names in modified UTF-7).
void find_fs_layout_folders(ImportTarget& target, const fs::path& dir, const std::string& prefix,
                            std::vector<MaildirFolder>& out, int depth) {
  if (depth > 32) return;
  std::error_code ec;
  std::vector<fs::path> subdirs;
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (e.is_directory(ec)) subdirs.push_back(e.path());
  std::sort(subdirs.begin(), subdirs.end());
  for (const auto& sub : subdirs) {
    std::string level = sub.filename().string();
    if (level.starts_with(".") || level == "cur" || level == "new" || level == "tmp") continue;
    auto decoded = imap::utf7_decode(level);
    if (!decoded || decoded->find('/') != std::string::npos) {
      target.skip("folder " + sub.string(), "name is not valid modified UTF-7");
      continue;
    }
    std::string name = prefix.empty() ? *decoded : prefix + "/" + *decoded;
    if (is_maildir(sub)) out.push_back({name, sub});
    find_fs_layout_folders(target, sub, name, out, depth + 1);
  }
}

std::vector<MaildirFolder> find_maildir_folders(ImportTarget& target, const fs::path& root) {
  std::vector<MaildirFolder> out;
  if (is_maildir(root)) out.push_back({"INBOX", root});
  std::error_code ec;
  std::vector<fs::path> dotted;
  for (const auto& e : fs::directory_iterator(root, ec)) {
    std::string n = e.path().filename().string();
    if (n.starts_with(".") && n != "." && n != ".." && e.is_directory(ec) && is_maildir(e.path())) dotted.push_back(e.path());
  }
  std::sort(dotted.begin(), dotted.end());
  for (const auto& d : dotted) {
    auto name = maildirpp_folder_name(d.filename().string());
    if (!name) {
      target.skip("folder " + d.string(), "not a Maildir++ folder name");
      continue;
    }
    // ".INBOX.Sub" (Courier's namespace) is "INBOX/Sub".
    out.push_back({store::normalize_mailbox_name(*name), d});
  }
  find_fs_layout_folders(target, root, "", out, 0);
  return out;
}

std::vector<MaildirFile> list_maildir_files(const fs::path& dir) {
  std::vector<MaildirFile> files;
  for (const char* sub : {"cur", "new"}) {
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir / sub, ec)) {
      std::string filename = e.path().filename().string();
      if (filename.starts_with(".") || !e.is_regular_file(ec)) continue;
      files.push_back({e.path(), filename, parse_maildir_name(filename)});
    }
  }
  return files;
}

std::optional<Uidlist> read_uidlist(ImportTarget& target, const MaildirFolder& folder) {
  auto text = read_small_file(folder.dir / "dovecot-uidlist");
  if (!text) return std::nullopt;
  std::string error;
  auto list = parse_dovecot_uidlist(*text, error);
  if (!list) {
    target.warn("folder " + folder.name + ": " + error + "; UIDs and UIDVALIDITY not kept");
    return std::nullopt;
  }
  for (const auto& e : list->errors) target.warn("folder " + folder.name + ": dovecot-uidlist " + e);
  return list;
}

void import_maildir_folder(ImportTarget& target, const MaildirFolder& folder) {
  auto keywords_text = read_small_file(folder.dir / "dovecot-keywords");
  size_t bad_keyword_lines = 0;
  auto keywords = keywords_text ? parse_dovecot_keywords(*keywords_text, &bad_keyword_lines) : std::vector<std::string>{};
  if (bad_keyword_lines) target.warn("folder " + folder.name + ": dovecot-keywords has " + std::to_string(bad_keyword_lines) + " unreadable lines");
  auto uidlist = read_uidlist(target, folder);
  auto files = list_maildir_files(folder.dir);

  // UIDs from the uidlist, by base name; listed files first in UID order, then the others.
  std::map<std::string, const UidlistEntry*> by_base;
  if (uidlist)
    for (const auto& e : uidlist->entries) by_base[parse_maildir_name(e.filename).base] = &e;
  auto uid_of = [&](const MaildirFile& f) -> store::Uid {
    auto it = by_base.find(f.name.base);
    return it == by_base.end() ? 0 : it->second->uid;
  };
  std::sort(files.begin(), files.end(), [&](const MaildirFile& a, const MaildirFile& b) {
    store::Uid ua = uid_of(a), ub = uid_of(b);
    if ((ua == 0) != (ub == 0)) return ua != 0;
    if (ua != ub) return ua < ub;
    return a.filename < b.filename;
  });

  store::MailboxId box = target.open_folder(folder.name, uidlist ? uidlist->uidvalidity : 0);
  for (const auto& f : files) {
    if (target.already_imported(folder.name, f.name.base)) {
      target.count_already(box);
      continue;
    }
    std::string unknown;
    store::Flags flags = maildir_flags(f.name, keywords, &unknown);
    if (!unknown.empty()) target.warn(f.path.string() + ": keyword letters \"" + unknown + "\" not in dovecot-keywords");
    std::string pop3_uidl;
    if (auto it = by_base.find(f.name.base); it != by_base.end())
      if (auto p = it->second->extensions.find('P'); p != it->second->extensions.end()) pop3_uidl = p->second;
    MessageBlob blob = target.begin_message();
    int64_t mtime = 0;
    if (auto error = stream_file(f.path, blob, mtime)) {
      target.skip(f.path.string(), "cannot read: " + *error);
      continue;
    }
    // Dovecot's Maildir keeps the received date (INTERNALDATE) as the file's mtime.
    target.add(box, folder.name, std::move(blob), std::move(flags), uid_of(f), f.name.base, mtime, pop3_uidl);
  }
  target.finish_folder(box, uidlist ? uidlist->next_uid : 0);
}

// Dovecot 2.x "subscriptions": an optional "V\t2" header, then one name per line with the
// hierarchy separated by TAB; older files and Courier's courierimapsubscribed use '.' and the
// "INBOX." prefix.
std::vector<std::string> read_subscriptions(const fs::path& root) {
  std::vector<std::string> names;
  for (const char* file : {"subscriptions", "courierimapsubscribed"}) {
    auto text = read_small_file(root / file);
    if (!text) continue;
    bool tabbed = text->starts_with("V\t");
    bool first = true;
    for (auto line : split(*text, '\n')) {
      if (first && tabbed) {
        first = false;
        continue;
      }
      first = false;
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      if (line.empty()) continue;
      std::string name(line);
      if (tabbed) {
        std::replace(name.begin(), name.end(), '\t', '/');
      } else if (std::string_view(file) == "courierimapsubscribed") {
        if (name.starts_with("INBOX.")) name = name.substr(6);
        std::replace(name.begin(), name.end(), '.', '/');
      }
      auto decoded = imap::utf7_decode(name);
      names.push_back(decoded ? *decoded : name);
    }
  }
  return names;
}

// ---- Cyrus ----

struct CyrusFolder {
  std::string name;
  fs::path dir;
};

// Cyrus' on-disk names: modified UTF-7, with '^' standing for '.' (the hierarchy separator
// of its internal names, imap/mboxname.c).
std::optional<std::string> cyrus_level_name(std::string level) {
  std::replace(level.begin(), level.end(), '^', '.');
  auto decoded = imap::utf7_decode(level);
  if (!decoded || decoded->find('/') != std::string::npos) return std::nullopt;
  return *decoded;
}

void find_cyrus_folders(ImportTarget& target, const fs::path& dir, const std::string& name,
                        std::vector<CyrusFolder>& out, int depth) {
  if (depth > 32) return;
  if (fs::exists(dir / "cyrus.index") || fs::exists(dir / "cyrus.header")) out.push_back({name, dir});
  std::error_code ec;
  std::vector<fs::path> subdirs;
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (e.is_directory(ec)) subdirs.push_back(e.path());
  std::sort(subdirs.begin(), subdirs.end());
  for (const auto& sub : subdirs) {
    auto level = cyrus_level_name(sub.filename().string());
    if (!level) {
      target.skip("folder " + sub.string(), "name is not valid modified UTF-7");
      continue;
    }
    find_cyrus_folders(target, sub, name == "INBOX" && depth == 0 ? *level : name + "/" + *level, out, depth + 1);
  }
}

// Message files "UID." present in the directory.
std::map<store::Uid, fs::path> cyrus_message_files(const fs::path& dir) {
  std::map<store::Uid, fs::path> files;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    std::string n = e.path().filename().string();
    if (n.size() < 2 || n.back() != '.' || !e.is_regular_file(ec)) continue;
    auto uid = parse_uint(std::string_view(n).substr(0, n.size() - 1));
    if (uid && *uid > 0 && *uid < UINT32_MAX) files[store::Uid(*uid)] = e.path();
  }
  return files;
}

void import_cyrus_message(ImportTarget& target, const CyrusFolder& folder, store::MailboxId box,
                          const fs::path& file, store::Uid uid, uint32_t uidvalidity,
                          store::Flags flags, std::optional<int64_t> internal_date) {
  std::string key = std::to_string(uidvalidity) + "/" + std::to_string(uid);
  if (target.already_imported(folder.name, key)) {
    target.count_already(box);
    return;
  }
  MessageBlob blob = target.begin_message();
  int64_t mtime = 0;
  if (auto error = stream_file(file, blob, mtime)) {
    target.skip(file.string(), "cannot read: " + *error);
    return;
  }
  target.add(box, folder.name, std::move(blob), std::move(flags), uid, key, internal_date.value_or(mtime));
}

void import_cyrus_folder(ImportTarget& target, const CyrusFolder& folder) {
  std::string error;
  std::optional<CyrusHeader> header;
  if (auto text = read_small_file(folder.dir / "cyrus.header")) header = parse_cyrus_header(*text, error);
  if (!header) {
    target.warn("folder " + folder.name + ": " + (error.empty() ? "no cyrus.header" : error) + "; user flags not kept");
    header = CyrusHeader{};
  }
  std::optional<CyrusIndex> index;
  error.clear();
  if (auto bytes = read_small_file(folder.dir / "cyrus.index")) index = parse_cyrus_index(*bytes, error);
  if (!index) target.warn("folder " + folder.name + ": " + (error.empty() ? "no cyrus.index" : error) +
                          "; messages imported from their files without flags, dates or UIDVALIDITY");
  else
    for (const auto& e : index->errors) target.warn("folder " + folder.name + ": " + e);

  auto files = cyrus_message_files(folder.dir);
  uint32_t uidvalidity = index ? index->header.uidvalidity : 0;
  store::MailboxId box = target.open_folder(folder.name, uidvalidity);
  store::Uid next_uid = index ? index->header.last_uid + 1 : 0;
  store::Uid covered = 0;  // files up to here are described by the index
  if (index) {
    for (const auto& rec : index->records) {
      covered = rec.uid;
      if (rec.expunged()) continue;
      auto it = files.find(rec.uid);
      if (it == files.end()) {
        target.skip(folder.name + " UID " + std::to_string(rec.uid), "in cyrus.index but its file is missing");
        continue;
      }
      import_cyrus_message(target, folder, box, it->second, rec.uid, uidvalidity, cyrus_flags(rec, *header), rec.internal_date);
    }
    // A truncated index: the files it no longer describes keep their UIDs, not their flags.
    if (index->records.size() < index->header.num_records) covered = std::min(covered, index->header.last_uid);
    else covered = std::max(covered, index->header.last_uid);
  }
  for (const auto& [uid, path] : files) {
    if (uid <= covered) continue;
    if (index) target.warn(path.string() + ": not described by cyrus.index; imported without flags");
    import_cyrus_message(target, folder, box, path, uid, uidvalidity, {}, std::nullopt);
    next_uid = std::max<store::Uid>(next_uid, uid + 1);
  }
  target.finish_folder(box, next_uid);
}

// ---- mbox ----

// Reads lines of at most kReadChunk bytes; longer lines come in pieces (`continued`).
class LineReader {
 public:
  explicit LineReader(int fd) : fd_(fd) {}
  // False at end of file. `continued`: this piece continues the previous one's line.
  bool next(std::string& line, bool& continued) {
    continued = partial_;
    line.clear();
    for (;;) {
      size_t nl = buf_.find('\n', pos_);
      if (nl != std::string::npos) {
        line.assign(buf_, pos_, nl + 1 - pos_);
        pos_ = nl + 1;
        partial_ = false;
        return true;
      }
      if (buf_.size() - pos_ >= kReadChunk || eof_) {
        if (pos_ == buf_.size()) return false;
        line.assign(buf_, pos_, std::string::npos);
        pos_ = buf_.size();
        partial_ = !eof_;
        return true;
      }
      buf_.erase(0, pos_);
      pos_ = 0;
      size_t old = buf_.size();
      buf_.resize(old + kReadChunk);
      ssize_t n = ::read(fd_, buf_.data() + old, kReadChunk);
      if (n < 0 && errno == EINTR) n = 0;
      if (n < 0) throw Failure(std::string("read error: ") + std::strerror(errno));
      buf_.resize(old + size_t(n));
      if (n == 0) eof_ = true;
    }
  }
 private:
  int fd_;
  std::string buf_;
  size_t pos_ = 0;
  bool eof_ = false;
  bool partial_ = false;
};

struct MboxMessage {
  std::optional<MessageBlob> blob;
  std::string key;
  store::Flags flags;             // from its Status headers, once its header block ended
  bool flags_read = false;
  std::optional<int64_t> date;    // from its From_ line
  bool skip = false;
  bool broken = false;
};

}  // namespace

void import_maildir(ImportTarget& target, const std::string& dir) {
  fs::path root(dir);
  if (!is_dir(root)) throw Failure(dir + " is not a directory");
  auto folders = find_maildir_folders(target, root);
  if (folders.empty()) throw Failure(dir + " is not a Maildir (no cur/ or new/, no .Folder/ with them)");
  uint64_t total = 0;
  for (const auto& f : folders) total += list_maildir_files(f.dir).size();
  target.progress().set_total(total);
  for (const auto& f : folders) import_maildir_folder(target, f);
  for (const auto& name : read_subscriptions(root)) target.subscribe(name);
}

// The user's Cyrus subscriptions (CONFIGDIR/user/X/USER.sub, import/cyrus.h), once the folders
// are in: subscriptions to other users' or shared folders are named in the warnings.
void import_cyrus_subscriptions(ImportTarget& target, const std::string& file) {
  auto text = read_small_file(file);
  if (!text) throw Failure("cannot read the subscriptions file " + file);
  std::string user = fs::path(file).filename().string();
  if (user.ends_with(".sub")) user.resize(user.size() - 4);
  auto subs = mail_import::parse_cyrus_subscriptions(*text, user);
  for (const auto& name : subs.folders) target.subscribe(name);
  for (const auto& name : subs.skipped)
    target.warn("subscription " + name + ": not one of " + user + "'s own folders; not kept");
}

void import_cyrus(ImportTarget& target, const std::string& dir, const std::string& subscriptions) {
  fs::path root(dir);
  if (!is_dir(root)) throw Failure(dir + " is not a directory");
  if (!subscriptions.empty() && !fs::is_regular_file(subscriptions))
    throw Failure(subscriptions + " is not a file (a Cyrus USER.sub)");
  std::vector<CyrusFolder> folders;
  find_cyrus_folders(target, root, "INBOX", folders, 0);
  if (folders.empty()) throw Failure(dir + " is not a Cyrus spool (no cyrus.index or cyrus.header)");
  uint64_t total = 0;
  for (const auto& f : folders) total += cyrus_message_files(f.dir).size();
  target.progress().set_total(total);
  for (const auto& f : folders) import_cyrus_folder(target, f);
  if (!subscriptions.empty()) import_cyrus_subscriptions(target, subscriptions);
}

void import_mbox(ImportTarget& target, const std::string& file, const std::string& folder_arg) {
  File f(file);
  if (!f.ok()) throw Failure("cannot open " + file + ": " + std::strerror(errno));
  std::string folder = store::normalize_mailbox_name(folder_arg.empty() ? "INBOX" : folder_arg);
  LineReader lines(f.fd());
  MboxReader reader;
  std::string line;
  bool continued = false;
  uint64_t offset = 0;
  // Nothing is stored unless the file is an mbox: its first line must be a From_ line.
  if (!lines.next(line, continued) || !line.starts_with("From ")) throw Failure(file + " is not an mbox file (it does not start with a \"From \" line)");
  store::MailboxId box = target.open_folder(folder, 0);
  MboxMessage current;
  auto complete = [&] {
    if (!current.blob || current.skip) return;
    if (current.broken) {
      target.skip(file + " at byte " + current.key, "a header line longer than 64 KiB");
      return;
    }
    if (!current.flags_read) current.flags = reader.flags();  // the file ended in the header
    target.add(box, folder, std::move(*current.blob), std::move(current.flags), 0, current.key,
               current.date.value_or(int64_t(std::time(nullptr))));
  };
  do {
    if (continued) {
      // The rest of a line longer than the read buffer: body bytes pass through.
      if (current.blob && !current.skip) {
        if (reader.in_message() && current.blob->size() > 0) current.blob->write(line);
        else current.broken = true;
      }
    } else {
      auto step = reader.feed(line);
      if (step.event == MboxReader::Event::message_start) {
        complete();
        current = {};
        current.key = std::to_string(offset);
        current.date = reader.from_line_date();
        if (target.already_imported(folder, current.key)) {
          current.skip = true;
          target.count_already(box);
        } else {
          current.blob.emplace(target.begin_message());
        }
      } else if (step.event == MboxReader::Event::content && current.blob && !current.skip) {
        current.blob->write(step.out);
      }
      if (!current.flags_read && !reader.in_header()) {
        current.flags = reader.flags();
        current.flags_read = true;
      }
    }
    offset += line.size();
  } while (lines.next(line, continued));
  auto last = reader.finish();
  if (last.event == MboxReader::Event::content && current.blob && !current.skip) current.blob->write(last.out);
  complete();
  target.finish_folder(box, 0);
}

}  // namespace kurier::cli
