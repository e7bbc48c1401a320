// Maildir names, dovecot-keywords and dovecot-uidlist (maildir.h).
#include "import/maildir.h"

#include <algorithm>
#include <charconv>

#include "common/strings.h"
#include "imap_protocol/utf7.h"
#include "store/flags.h"

namespace kurier::mail_import {
namespace {

std::optional<uint64_t> parse_u64(std::string_view s) {
  uint64_t v = 0;
  if (s.empty()) return std::nullopt;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

std::optional<uint32_t> parse_u32(std::string_view s) {
  auto v = parse_u64(s);
  if (!v || *v > UINT32_MAX) return std::nullopt;
  return uint32_t(*v);
}

std::vector<std::string_view> fields(std::string_view line) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && line[i] == ' ') ++i;
    size_t start = i;
    while (i < line.size() && line[i] != ' ') ++i;
    if (i > start) out.push_back(line.substr(start, i - start));
  }
  return out;
}

// The ",S=" and ",W=" fields of the unique part (Dovecot's maildir_filename_get_size()).
void read_size_fields(MaildirName& name) {
  std::string_view base = name.base;
  size_t comma = base.find(',');
  while (comma != std::string_view::npos) {
    size_t next = base.find(',', comma + 1);
    std::string_view field = base.substr(comma + 1, next == std::string_view::npos ? std::string_view::npos : next - comma - 1);
    if (field.size() > 2 && field[1] == '=') {
      if (field[0] == 'S') name.size = parse_u64(field.substr(2));
      if (field[0] == 'W') name.vsize = parse_u64(field.substr(2));
    }
    comma = next;
  }
}

struct FlagLetter {
  char letter;
  uint32_t bit;
};
// ASCII order, as the info must be written.
constexpr FlagLetter kFlagLetters[] = {
    {'D', store::kDraft}, {'F', store::kFlagged}, {'R', store::kAnswered},
    {'S', store::kSeen},  {'T', store::kDeleted},
};

std::vector<std::string_view> lines_of(std::string_view text) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (start < text.size()) {
    size_t nl = text.find('\n', start);
    std::string_view line = text.substr(start, nl == std::string_view::npos ? std::string_view::npos : nl - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    out.push_back(line);
    if (nl == std::string_view::npos) break;
    start = nl + 1;
  }
  return out;
}

bool parse_v3_header(const std::vector<std::string_view>& f, Uidlist& list) {
  for (size_t i = 1; i < f.size(); ++i) {
    char key = f[i][0];
    std::string_view value = f[i].substr(1);
    if (key == 'V') {
      auto v = parse_u32(value);
      if (!v) return false;
      list.uidvalidity = *v;
    } else if (key == 'N') {
      auto v = parse_u32(value);
      if (!v) return false;
      list.next_uid = *v;
    } else if (key == 'G') {
      list.guid = std::string(value);
    }
  }
  return true;
}

std::optional<UidlistEntry> parse_record(std::string_view line, int version, std::string& why) {
  UidlistEntry entry;
  size_t sp = line.find(' ');
  auto uid = parse_u32(line.substr(0, sp));
  if (!uid || *uid == 0 || sp == std::string_view::npos) {
    why = "not \"UID FILENAME\"";
    return std::nullopt;
  }
  entry.uid = *uid;
  std::string_view rest = line.substr(sp + 1);
  if (version == 1) {
    entry.filename = std::string(rest);
  } else {
    // Extension fields up to " :" (or a leading ':'), then the file name.
    size_t colon = rest.starts_with(':') ? 0 : rest.find(" :");
    if (colon == std::string_view::npos) {
      why = "no \":FILENAME\"";
      return std::nullopt;
    }
    for (auto f : fields(rest.substr(0, colon))) entry.extensions[f[0]] = std::string(f.substr(1));
    entry.filename = std::string(rest.substr(colon == 0 ? 1 : colon + 2));
  }
  bool control = std::any_of(entry.filename.begin(), entry.filename.end(),
                             [](char c) { return static_cast<unsigned char>(c) < 0x20; });
  if (entry.filename.empty() || entry.filename.find('/') != std::string::npos || control) {
    why = "bad file name";
    return std::nullopt;
  }
  return entry;
}

}  // namespace

MaildirName parse_maildir_name(std::string_view filename) {
  MaildirName name;
  size_t colon = filename.find(':');
  name.base = std::string(filename.substr(0, colon));
  read_size_fields(name);
  if (colon == std::string_view::npos) return name;
  std::string_view info = filename.substr(colon + 1);
  if (!info.starts_with("2,")) return name;
  for (char c : info.substr(2)) {
    if (c >= 'a' && c <= 'z') {
      name.keyword_indexes.push_back(c - 'a');
    } else if (c == 'P') {
      name.passed = true;
    } else {
      for (const auto& fl : kFlagLetters)
        if (fl.letter == c) name.system_flags |= fl.bit;
    }
  }
  return name;
}

store::Flags maildir_flags(const MaildirName& name, const std::vector<std::string>& keywords,
                           std::string* unknown_letters) {
  store::Flags flags;
  flags.system = name.system_flags;
  if (name.passed) flags.keywords.push_back("$Forwarded");
  for (int index : name.keyword_indexes) {
    if (size_t(index) < keywords.size() && store::is_valid_keyword(keywords[index])) {
      flags.keywords.push_back(keywords[index]);
    } else if (unknown_letters) {
      *unknown_letters += char('a' + index);
    }
  }
  return flags;
}

std::string format_maildir_name(std::string_view base, const store::Flags& flags,
                                std::vector<std::string>& keyword_index) {
  std::string letters;
  for (const auto& fl : kFlagLetters)
    if (flags.system & fl.bit) letters += fl.letter;
  std::string lower;
  for (const auto& k : flags.keywords) {
    if (iequals(k, "$Forwarded")) {
      letters += 'P';
      continue;
    }
    auto it = std::find_if(keyword_index.begin(), keyword_index.end(),
                           [&](const std::string& known) { return iequals(known, k); });
    size_t index = size_t(it - keyword_index.begin());
    if (it == keyword_index.end()) {
      if (keyword_index.size() >= 26) continue;  // Maildir has letters for 26 keywords only
      keyword_index.push_back(k);
    }
    lower += char('a' + index);
  }
  std::sort(letters.begin(), letters.end());
  std::sort(lower.begin(), lower.end());
  return std::string(base) + ":2," + letters + lower;
}

std::vector<std::string> parse_dovecot_keywords(std::string_view text, size_t* bad_lines) {
  std::vector<std::string> keywords;
  for (auto line : lines_of(text)) {
    if (line.empty()) continue;
    size_t sp = line.find(' ');
    auto index = parse_u32(line.substr(0, sp));
    if (!index || *index >= 26 || sp == std::string_view::npos || sp + 1 >= line.size()) {
      if (bad_lines) ++*bad_lines;
      continue;
    }
    if (keywords.size() <= *index) keywords.resize(*index + 1);
    keywords[*index] = std::string(line.substr(sp + 1));
  }
  return keywords;
}

std::string format_dovecot_keywords(const std::vector<std::string>& keywords) {
  std::string out;
  for (size_t i = 0; i < keywords.size(); ++i)
    if (!keywords[i].empty()) out += std::to_string(i) + " " + keywords[i] + "\n";
  return out;
}

std::optional<Uidlist> parse_dovecot_uidlist(std::string_view text, std::string& error) {
  auto lines = lines_of(text);
  if (lines.empty() || lines[0].empty()) {
    error = "dovecot-uidlist is empty";
    return std::nullopt;
  }
  Uidlist list;
  auto header = fields(lines[0]);
  auto version = parse_u32(header.empty() ? std::string_view() : header[0]);
  if (!version || (*version != 1 && *version != 3)) {
    error = "dovecot-uidlist: unknown version \"" + std::string(header.empty() ? "" : header[0]) + "\"";
    return std::nullopt;
  }
  list.version = int(*version);
  bool ok = true;
  if (list.version == 1) {
    auto uv = header.size() == 3 ? parse_u32(header[1]) : std::nullopt;
    auto next = header.size() == 3 ? parse_u32(header[2]) : std::nullopt;
    ok = uv && next;
    if (ok) {
      list.uidvalidity = *uv;
      list.next_uid = *next;
    }
  } else {
    ok = parse_v3_header(header, list);
  }
  if (!ok || list.uidvalidity == 0) {
    error = "dovecot-uidlist: bad header \"" + std::string(lines[0].substr(0, 80)) + "\"";
    return std::nullopt;
  }
  store::Uid last = 0;
  for (size_t i = 1; i < lines.size(); ++i) {
    if (lines[i].empty()) continue;
    std::string why;
    auto entry = parse_record(lines[i], list.version, why);
    if (entry && entry->uid <= last) why = "UID " + std::to_string(entry->uid) + " not ascending";
    if (!entry || !why.empty()) {
      list.errors.push_back("line " + std::to_string(i + 1) + ": " + why);
      continue;
    }
    last = entry->uid;
    list.entries.push_back(std::move(*entry));
  }
  if (list.next_uid <= last) list.next_uid = last + 1;
  return list;
}

std::string format_dovecot_uidlist(const Uidlist& list) {
  std::string out = "3 V" + std::to_string(list.uidvalidity) + " N" + std::to_string(list.next_uid);
  if (!list.guid.empty()) out += " G" + list.guid;
  out += "\n";
  for (const auto& e : list.entries) {
    out += std::to_string(e.uid);
    for (const auto& [key, value] : e.extensions) out += std::string(" ") + key + value;
    out += " :" + e.filename + "\n";
  }
  return out;
}

std::optional<std::string> maildirpp_folder_name(std::string_view dirname) {
  if (dirname.size() < 2 || dirname[0] != '.' || dirname == "..") return std::nullopt;
  std::string_view inner = dirname.substr(1);
  std::string path;
  for (auto level : split(inner, '.')) {
    if (level.empty()) return std::nullopt;
    auto decoded = imap::utf7_decode(level);
    if (!decoded) return std::nullopt;
    if (decoded.value->find('/') != std::string::npos) return std::nullopt;
    if (!path.empty()) path += '/';
    path += *decoded.value;
  }
  return path;
}

std::optional<std::string> maildirpp_dir_name(std::string_view mailbox) {
  std::string out;
  for (auto level : split(mailbox, '/')) {
    auto encoded = imap::utf7_encode(level);
    if (!encoded || level.empty() || encoded.value->find('.') != std::string::npos) return std::nullopt;
    out += '.';
    out += *encoded.value;
  }
  return out;
}

}  // namespace kurier::mail_import
