// mbox reading and writing (mbox.h).
#include "import/mbox.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <ctime>

#include "common/strings.h"
#include "store/flags.h"

namespace kurier::mail_import {
namespace {

constexpr std::array<const char*, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
constexpr std::array<const char*, 7> kDays = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};

// Headers that are mbox metadata, never part of the message (mbox.h).
constexpr std::array<std::string_view, 7> kMetadataHeaders = {
    "status", "x-status", "x-keywords", "x-uid", "x-imap", "x-imapbase", "content-length"};

bool is_from_line(std::string_view line) { return line.starts_with("From "); }

std::string_view strip_eol(std::string_view line) {
  if (!line.empty() && line.back() == '\n') line.remove_suffix(1);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

bool is_blank(std::string_view line) { return strip_eol(line).empty(); }

void add_keyword(store::Flags& flags, std::string_view k) {
  if (k.empty() || !store::is_valid_keyword(k)) return;
  for (const auto& existing : flags.keywords)
    if (iequals(existing, k)) return;
  flags.keywords.emplace_back(k);
}

std::vector<std::string_view> words(std::string_view s) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
    size_t start = i;
    while (i < s.size() && s[i] != ' ' && s[i] != '\t') ++i;
    if (i > start) out.push_back(s.substr(start, i - start));
  }
  return out;
}

int month_index(std::string_view m) {
  for (size_t i = 0; i < kMonths.size(); ++i)
    if (iequals(m, kMonths[i])) return int(i);
  return -1;
}

bool to_int(std::string_view s, int& out) {
  if (s.empty() || s.size() > 9) return false;
  out = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    out = out * 10 + (c - '0');
  }
  return true;
}

}  // namespace

std::optional<int64_t> parse_from_line_date(std::string_view from_line) {
  // "From SENDER Www Mmm dd hh:mm:ss yyyy" (asctime); some writers add a zone or put the year
  // before the time. Find the month name, then read day, time and year around it.
  auto w = words(strip_eol(from_line));
  for (size_t i = 2; i + 2 < w.size(); ++i) {
    int month = month_index(w[i]);
    if (month < 0) continue;
    int day = 0, year = 0, h = 0, m = 0, s = 0;
    if (!to_int(w[i + 1], day)) continue;
    std::string_view time = w[i + 2];
    std::string_view year_text = i + 3 < w.size() ? w[i + 3] : std::string_view();
    if (time.find(':') == std::string_view::npos && i + 3 < w.size()) std::swap(time, year_text);
    if (!to_int(year_text, year)) continue;
    if (std::sscanf(std::string(time).c_str(), "%d:%d:%d", &h, &m, &s) < 2) continue;
    if (day < 1 || day > 31 || h > 23 || m > 59 || s > 60 || year < 1970 || year > 9999) continue;
    std::tm tm{};
    tm.tm_year = year - 1900;
    tm.tm_mon = month;
    tm.tm_mday = day;
    tm.tm_hour = h;
    tm.tm_min = m;
    tm.tm_sec = s;
    return int64_t(timegm(&tm));
  }
  return std::nullopt;
}

std::string format_from_line(std::string_view sender, int64_t date) {
  std::time_t t = std::time_t(date);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s %s %2d %02d:%02d:%02d %d", kDays[tm.tm_wday], kMonths[tm.tm_mon],
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, tm.tm_year + 1900);
  std::string from(sender.empty() ? "MAILER-DAEMON" : sender);
  for (char& c : from)
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') c = '_';
  return "From " + from + " " + buf + "\n";
}

bool needs_from_quote(std::string_view line) {
  size_t i = 0;
  while (i < line.size() && line[i] == '>') ++i;
  return line.substr(i).starts_with("From ");
}

void apply_status(std::string_view value, store::Flags& flags) {
  for (char c : value)
    if (c == 'R') flags.system |= store::kSeen;
}

void apply_x_status(std::string_view value, store::Flags& flags) {
  for (char c : value) {
    if (c == 'A') flags.system |= store::kAnswered;
    if (c == 'F') flags.system |= store::kFlagged;
    if (c == 'T') flags.system |= store::kDraft;
    if (c == 'D') flags.system |= store::kDeleted;
  }
}

void apply_x_keywords(std::string_view value, store::Flags& flags) {
  std::string spaced(value);
  std::replace(spaced.begin(), spaced.end(), ',', ' ');
  for (auto k : words(spaced)) add_keyword(flags, k);
}

MboxReader::Step MboxReader::feed(std::string_view line) {
  // A From_ line opens a message at the start of the file or after an empty line (RFC 4155).
  // Inside a header block a "From " line is header text (no blank line came before it).
  bool after_header_end = header_just_ended_;
  header_just_ended_ = false;
  if (is_from_line(line) && (!in_message_ || held_blank_ || after_header_end)) {
    in_message_ = true;
    in_header_ = true;
    held_blank_ = false;
    held_blank_text_.clear();
    field_.clear();
    flags_ = {};
    date_ = parse_from_line_date(line);
    return {Event::message_start, {}};
  }
  if (!in_message_) {
    ++junk_lines_;
    return {};
  }
  return in_header_ ? header_line(line) : body_line(line);
}

MboxReader::Step MboxReader::finish() {
  held_blank_ = false;
  held_blank_text_.clear();
  if (in_header_ && !field_.empty()) return flush_header_field();
  return {};
}

MboxReader::Step MboxReader::flush_header_field() {
  Step step{Event::content, std::move(field_)};
  field_.clear();
  size_t colon = step.out.find(':');
  if (colon == std::string::npos) return step;
  std::string name = to_lower(trim(std::string_view(step.out).substr(0, colon)));
  if (std::find(kMetadataHeaders.begin(), kMetadataHeaders.end(), name) == kMetadataHeaders.end()) return step;
  std::string_view value = trim(strip_eol(std::string_view(step.out).substr(colon + 1)));
  if (name == "status") apply_status(value, flags_);
  if (name == "x-status") apply_x_status(value, flags_);
  if (name == "x-keywords") apply_x_keywords(value, flags_);
  return {};
}

MboxReader::Step MboxReader::header_line(std::string_view line) {
  bool continuation = !line.empty() && (line[0] == ' ' || line[0] == '\t');
  if (continuation && !field_.empty()) {
    field_ += line;
    return {};
  }
  Step out;
  if (!field_.empty()) out = flush_header_field();
  if (is_blank(line)) {
    in_header_ = false;  // the header block ends; the blank line is the message's
    header_just_ended_ = true;  // a header-only message may be followed by a From_ line
    out.event = Event::content;
    out.out += line;
    return out;
  }
  field_ = std::string(line);
  return out;
}

MboxReader::Step MboxReader::body_line(std::string_view line) {
  Step out{Event::content, {}};
  if (held_blank_) {
    out.out = std::move(held_blank_text_);
    held_blank_text_.clear();
    held_blank_ = false;
  }
  if (is_blank(line)) {
    held_blank_ = true;  // kept back: it belongs to the file if a From_ line follows
    held_blank_text_ = std::string(line);
    if (out.out.empty()) out.event = Event::none;
    return out;
  }
  if (line.starts_with(">") && needs_from_quote(line)) line.remove_prefix(1);
  out.out += line;
  return out;
}

}  // namespace kurier::mail_import
