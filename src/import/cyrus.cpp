// Cyrus cyrus.header and cyrus.index (cyrus.h).
#include "import/cyrus.h"

#include <algorithm>

#include "common/strings.h"
#include "imap_protocol/utf7.h"
#include "store/flags.h"

namespace kurier::mail_import {
namespace {

constexpr std::string_view kHeaderMagic = "\241\002\213\015Cyrus mailbox header\n";
constexpr uint32_t kFirstCheckedHeaderVersion = 12;
constexpr uint32_t kFirstCheckedRecordVersion = 16;
constexpr uint32_t kLastKnownVersion = 19;
constexpr size_t kRecordFieldsEnd = 52;  // through user_flags

// Cyrus FLAG_* bits (imap/mailbox.h).
constexpr uint32_t kCyrusAnswered = 1u << 0, kCyrusFlagged = 1u << 1, kCyrusDeleted = 1u << 2,
                   kCyrusDraft = 1u << 3, kCyrusSeen = 1u << 4;

uint32_t be32(std::string_view b, size_t at) {
  auto u = [&](size_t i) { return uint32_t(uint8_t(b[at + i])); };
  return (u(0) << 24) | (u(1) << 16) | (u(2) << 8) | u(3);
}

std::vector<std::string_view> lines_of(std::string_view text) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (start < text.size()) {
    size_t nl = text.find('\n', start);
    out.push_back(text.substr(start, nl == std::string_view::npos ? std::string_view::npos : nl - start));
    if (nl == std::string_view::npos) break;
    start = nl + 1;
  }
  return out;
}

std::optional<CyrusIndexHeader> read_index_header(std::string_view bytes, std::string& error) {
  if (bytes.size() < 48) {
    error = "cyrus.index is truncated (" + std::to_string(bytes.size()) + " bytes, no full header)";
    return std::nullopt;
  }
  CyrusIndexHeader h;
  h.minor_version = be32(bytes, 8);
  h.start_offset = be32(bytes, 12);
  h.record_size = be32(bytes, 16);
  h.num_records = be32(bytes, 20);
  h.last_uid = be32(bytes, 28);
  h.uidvalidity = be32(bytes, 44);
  if (h.minor_version < kFirstCheckedHeaderVersion || h.minor_version > kLastKnownVersion) {
    error = "cyrus.index version " + std::to_string(h.minor_version) +
            " is not supported (versions 12 to 19: Cyrus 2.4 to 3.6)";
    return std::nullopt;
  }
  if (h.start_offset < 48 || h.start_offset > bytes.size() || h.record_size < kRecordFieldsEnd ||
      h.record_size > 4096) {
    error = "cyrus.index header is damaged (start offset " + std::to_string(h.start_offset) +
            ", record size " + std::to_string(h.record_size) + ")";
    return std::nullopt;
  }
  std::string_view head = bytes.substr(0, h.start_offset);
  if (be32(head, head.size() - 4) != cyrus_crc32(head.substr(0, head.size() - 4))) {
    error = "cyrus.index header checksum mismatch";
    return std::nullopt;
  }
  return h;
}

CyrusRecord read_record(std::string_view r) {
  CyrusRecord rec;
  rec.uid = be32(r, 0);
  rec.internal_date = int64_t(be32(r, 4));
  rec.size = be32(r, 12);
  uint32_t stored = be32(r, 32);
  rec.system_flags = stored & 0x0000ffffu;
  rec.internal_flags = stored & 0xffff0000u;
  for (size_t i = 0; i < 4; ++i) rec.user_flags[i] = be32(r, 36 + 4 * i);
  return rec;
}

}  // namespace

uint32_t cyrus_crc32(std::string_view bytes) {
  static const auto table = [] {
    std::array<uint32_t, 256> t{};
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  uint32_t crc = 0xffffffffu;
  for (unsigned char ch : bytes) crc = table[(crc ^ ch) & 0xff] ^ (crc >> 8);
  return crc ^ 0xffffffffu;
}

// Cyrus' dlist text (imap/dlist.c): "%(" key/value lists, "(" lists, atoms, "quoted"
// strings, {n} or {n+} literals after CRLF, NIL.
class Dlist {
 public:
  explicit Dlist(std::string_view text) : t_(text) {}

  // Reads the top-level key/value list into the header; false on malformed text.
  bool read_header(CyrusHeader& h) {
    skip_spaces();
    if (!t_.substr(pos_).starts_with("%(")) return false;
    pos_ += 2;
    for (int guard = 0; guard < 1000; ++guard) {
      skip_spaces();
      if (pos_ >= t_.size()) return false;
      if (t_[pos_] == ')') return true;
      std::string key;
      if (!atom(key)) return false;
      skip_spaces();
      if (key == "U") {
        if (!string_list(h.user_flags)) return false;
        continue;
      }
      std::string value;
      if (!any_value(value, 0)) return false;
      if (key == "N") h.name = value;
      if (key == "I") h.uniqueid = value;
      if (key == "Q") h.quotaroot = value;
    }
    return false;
  }

 private:
  void skip_spaces() {
    while (pos_ < t_.size() && (t_[pos_] == ' ' || t_[pos_] == '\r' || t_[pos_] == '\n')) ++pos_;
  }
  bool atom(std::string& out) {
    size_t start = pos_;
    while (pos_ < t_.size() && t_[pos_] != ' ' && t_[pos_] != '(' && t_[pos_] != ')' && t_[pos_] != '"' &&
           t_[pos_] != '\r' && t_[pos_] != '\n')
      ++pos_;
    out = std::string(t_.substr(start, pos_ - start));
    return pos_ > start;
  }
  bool quoted(std::string& out) {
    ++pos_;
    while (pos_ < t_.size()) {
      char c = t_[pos_++];
      if (c == '"') return true;
      if (c == '\\' && pos_ < t_.size()) c = t_[pos_++];
      out += c;
    }
    return false;
  }
  bool literal(std::string& out) {
    size_t close = t_.find('}', pos_);
    if (close == std::string_view::npos) return false;
    std::string_view digits = t_.substr(pos_ + 1, close - pos_ - 1);
    if (!digits.empty() && digits.back() == '+') digits.remove_suffix(1);
    uint64_t n = 0;
    for (char c : digits) {
      if (c < '0' || c > '9' || n > (1u << 24)) return false;
      n = n * 10 + uint64_t(c - '0');
    }
    pos_ = close + 1;
    if (t_.substr(pos_).starts_with("\r\n")) pos_ += 2;
    if (n > t_.size() - pos_) return false;
    out = std::string(t_.substr(pos_, n));
    pos_ += n;
    return true;
  }
  bool any_value(std::string& out, int depth) {
    if (depth > 16 || pos_ >= t_.size()) return false;
    char c = t_[pos_];
    if (c == '"') return quoted(out);
    if (c == '{') return literal(out);
    if (c == '(' || t_.substr(pos_).starts_with("%(")) {
      pos_ += c == '(' ? 1 : 2;
      for (int guard = 0; guard < 100000; ++guard) {
        skip_spaces();
        if (pos_ >= t_.size()) return false;
        if (t_[pos_] == ')') {
          ++pos_;
          return true;
        }
        std::string ignored;
        if (!any_value(ignored, depth + 1)) return false;
      }
      return false;
    }
    return atom(out);
  }
  bool string_list(std::vector<std::string>& out) {
    if (pos_ >= t_.size() || t_[pos_] != '(') return false;
    ++pos_;
    for (int guard = 0; guard < 1000; ++guard) {
      skip_spaces();
      if (pos_ >= t_.size()) return false;
      if (t_[pos_] == ')') {
        ++pos_;
        return true;
      }
      std::string v;
      if (!any_value(v, 1)) return false;
      out.push_back(v == "NIL" ? std::string() : v);
    }
    return false;
  }

  std::string_view t_;
  size_t pos_ = 0;
};

std::optional<CyrusHeader> parse_cyrus_header(std::string_view bytes, std::string& error) {
  if (!bytes.starts_with(kHeaderMagic)) {
    error = "cyrus.header does not start with Cyrus' magic text";
    return std::nullopt;
  }
  // The magic is three lines; the dlist form (Cyrus 3) follows as one "%(...)" value.
  size_t after_magic = 0;
  for (int i = 0; i < 3 && after_magic != std::string_view::npos; ++i) {
    after_magic = bytes.find('\n', after_magic);
    if (after_magic != std::string_view::npos) ++after_magic;
  }
  if (after_magic != std::string_view::npos && bytes.substr(after_magic).starts_with("%(")) {
    CyrusHeader h;
    if (!Dlist(bytes.substr(after_magic)).read_header(h)) {
      error = "cyrus.header: unreadable or truncated mailbox data";
      return std::nullopt;
    }
    return h;
  }
  auto lines = lines_of(bytes);
  // The magic is three lines; then quotaroot\tuniqueid, user flags, ACL.
  if (lines.size() < 5) {
    error = "cyrus.header is truncated";
    return std::nullopt;
  }
  CyrusHeader h;
  std::string_view ids = lines[3];
  size_t tab = ids.find('\t');
  h.quotaroot = std::string(ids.substr(0, tab));
  if (tab != std::string_view::npos) h.uniqueid = std::string(ids.substr(tab + 1));
  std::string_view flags = lines[4];
  size_t start = 0;
  while (start <= flags.size()) {
    size_t sp = flags.find(' ', start);
    std::string_view name = flags.substr(start, sp == std::string_view::npos ? std::string_view::npos : sp - start);
    if (!name.empty()) h.user_flags.emplace_back(name);
    if (sp == std::string_view::npos) break;
    start = sp + 1;
  }
  return h;
}

std::optional<CyrusIndex> parse_cyrus_index(std::string_view bytes, std::string& error) {
  auto header = read_index_header(bytes, error);
  if (!header) return std::nullopt;
  CyrusIndex index;
  index.header = *header;
  uint64_t needed = uint64_t(header->start_offset) + uint64_t(header->num_records) * header->record_size;
  uint32_t complete = header->num_records;
  if (needed > bytes.size()) {
    complete = uint32_t((bytes.size() - header->start_offset) / header->record_size);
    index.errors.push_back("cyrus.index is truncated: " + std::to_string(header->num_records) +
                           " records announced, " + std::to_string(complete) + " present");
  }
  bool checked = header->minor_version >= kFirstCheckedRecordVersion;
  store::Uid last = 0;
  for (uint32_t i = 0; i < complete; ++i) {
    std::string_view r = bytes.substr(header->start_offset + size_t(i) * header->record_size, header->record_size);
    if (checked && be32(r, r.size() - 4) != cyrus_crc32(r.substr(0, r.size() - 4))) {
      index.errors.push_back("record " + std::to_string(i + 1) + ": checksum mismatch");
      continue;
    }
    CyrusRecord rec = read_record(r);
    if (rec.uid == 0 || rec.uid <= last) {
      index.errors.push_back("record " + std::to_string(i + 1) + ": UID " + std::to_string(rec.uid) + " out of order");
      continue;
    }
    last = rec.uid;
    index.records.push_back(rec);
  }
  return index;
}

store::Flags cyrus_flags(const CyrusRecord& record, const CyrusHeader& header) {
  store::Flags flags;
  if (record.system_flags & kCyrusAnswered) flags.system |= store::kAnswered;
  if (record.system_flags & kCyrusFlagged) flags.system |= store::kFlagged;
  if (record.system_flags & kCyrusDeleted) flags.system |= store::kDeleted;
  if (record.system_flags & kCyrusDraft) flags.system |= store::kDraft;
  if (record.system_flags & kCyrusSeen) flags.system |= store::kSeen;
  for (size_t n = 0; n < 128; ++n) {
    if (!(record.user_flags[n / 32] & (1u << (n % 32)))) continue;
    if (n < header.user_flags.size() && store::is_valid_keyword(header.user_flags[n]))
      flags.keywords.push_back(header.user_flags[n]);
  }
  return flags;
}

namespace {

// One level of a mailbox name, modified UTF-7 decoded; nullopt when it is not valid, or holds the
// hierarchy separator kurier uses.
std::optional<std::string> subscription_level(std::string level) {
  auto decoded = imap::utf7_decode(level);
  if (!decoded || decoded->empty() || decoded->find('/') != std::string::npos) return std::nullopt;
  return *decoded;
}

// The user's folder whose levels below INBOX are `levels` ("" levels: INBOX itself).
std::optional<std::string> user_folder(const std::vector<std::string>& levels) {
  std::string name;
  for (const auto& raw : levels) {
    auto level = subscription_level(raw);
    if (!level) return std::nullopt;
    name += (name.empty() ? "" : "/") + *level;
  }
  return name.empty() ? std::string("INBOX") : name;
}

std::vector<std::string> split_levels(std::string_view s, char separator) {
  std::vector<std::string> out;
  for (auto part : split(s, separator)) out.emplace_back(part);
  return out;
}

// Cyrus 3: "N" + levels separated by \x1f; the user's own start with "INBOX".
std::optional<std::string> v2_folder(std::string_view key) {
  if (!key.starts_with('N')) return std::nullopt;
  auto levels = split_levels(key.substr(1), '\x1f');
  if (levels.empty() || levels.front() != "INBOX") return std::nullopt;
  levels.erase(levels.begin());
  return user_folder(levels);
}

// Cyrus 2: "[DOMAIN!]user.USER[.LEVEL...]", '^' for '.' inside a level.
std::optional<std::string> v1_folder(std::string_view key, std::string_view user) {
  if (auto bang = key.find('!'); bang != std::string_view::npos) key = key.substr(bang + 1);
  std::string own = "user." + std::string(user);
  if (!key.starts_with(own)) return std::nullopt;
  std::string_view rest = key.substr(own.size());
  if (!rest.empty() && rest.front() != '.') return std::nullopt;  // user.bobby is not bob's
  std::vector<std::string> levels;
  if (!rest.empty()) levels = split_levels(rest.substr(1), '.');
  for (auto& level : levels) std::replace(level.begin(), level.end(), '^', '.');
  return user_folder(levels);
}

}  // namespace

CyrusSubscriptions parse_cyrus_subscriptions(std::string_view text, std::string_view user) {
  CyrusSubscriptions out;
  bool v2 = false;
  bool first = true;
  for (auto line : split(text, '\n')) {
    if (line.empty()) continue;
    std::string_view key = line.substr(0, line.find('\t'));
    if (first && key == "\x1fVER\x1f") {  // the version record of Cyrus 3's flat files
      v2 = true;
      first = false;
      continue;
    }
    first = false;
    auto folder = v2 ? v2_folder(key) : v1_folder(key, user);
    if (!folder) {
      std::string shown(key);
      std::replace(shown.begin(), shown.end(), '\x1f', '/');
      out.skipped.push_back(shown);
      continue;
    }
    if (std::find(out.folders.begin(), out.folders.end(), *folder) == out.folders.end())
      out.folders.push_back(*folder);
  }
  return out;
}

}  // namespace kurier::mail_import
