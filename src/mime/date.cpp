// RFC 5322 3.3 date-time parsing, with the obsolete forms of RFC 5322 4.3; see header.h.
#include <array>
#include <cstdint>

#include "common/strings.h"
#include "mime/header.h"

namespace kurier::mime {
namespace {

struct DateParts {
  int64_t year = 0;
  int month = 0, day = 0, hour = 0, minute = 0, second = 0;
  int zone_minutes = 0;
};

// Removes RFC 5322 comments (nested parentheses, quoted-pairs) and turns ',' into a space.
std::string strip_comments(std::string_view s) {
  std::string out;
  int depth = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '\\' && depth > 0) {
      ++i;
    } else if (c == '(') {
      ++depth;
    } else if (c == ')' && depth > 0) {
      --depth;
    } else if (depth == 0) {
      out += (c == ',' || c == '\t' || c == '\r' || c == '\n') ? ' ' : c;
    }
  }
  return out;
}

std::vector<std::string_view> tokens_of(std::string_view s) {
  std::vector<std::string_view> out;
  for (std::string_view t : split(s, ' '))
    if (!t.empty()) out.push_back(t);
  return out;
}

bool is_alpha_token(std::string_view t) {
  if (t.empty()) return false;
  for (char c : t) {
    char l = ascii_lower(c);
    if (l < 'a' || l > 'z') return false;
  }
  return true;
}

int month_of(std::string_view t) {
  static constexpr std::array<std::string_view, 12> kMonths = {
      "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"};
  if (t.size() < 3 || !is_alpha_token(t)) return 0;
  for (size_t i = 0; i < kMonths.size(); ++i)
    if (iequals(t.substr(0, 3), kMonths[i])) return int(i) + 1;
  return 0;
}

std::optional<int> small_number(std::string_view t, size_t max_digits) {
  if (t.empty() || t.size() > max_digits) return std::nullopt;
  auto v = parse_uint(t);
  if (!v) return std::nullopt;
  return int(*v);
}

// RFC 5322 4.3: two-digit years below 50 are 20xx, others (and three-digit ones) 19xx.
std::optional<int64_t> year_of(std::string_view t) {
  auto y = small_number(t, 4);
  if (!y) return std::nullopt;
  if (t.size() == 2) return *y < 50 ? 2000 + *y : 1900 + *y;
  if (t.size() == 3) return 1900 + *y;
  return *y;
}

bool parse_time(std::string_view t, DateParts& d) {
  auto parts = split(t, ':');
  if (parts.size() < 2 || parts.size() > 3) return false;
  auto h = small_number(parts[0], 2), m = small_number(parts[1], 2);
  auto s = parts.size() == 3 ? small_number(parts[2], 2) : std::optional<int>(0);
  if (!h || !m || !s || *h > 23 || *m > 59 || *s > 60) return false;
  d.hour = *h;
  d.minute = *m;
  d.second = *s;
  return true;
}

// RFC 5322 4.3 obs-zone: UT/GMT, US zones, military letters (treated as -0000 as advised);
// other alphabetic zones are also treated as -0000.
std::optional<int> zone_of(std::string_view t) {
  if ((t[0] == '+' || t[0] == '-') && t.size() == 5) {
    auto v = small_number(t.substr(1), 4);
    if (!v || *v % 100 > 59) return std::nullopt;
    int minutes = (*v / 100) * 60 + *v % 100;
    return t[0] == '-' ? -minutes : minutes;
  }
  if (!is_alpha_token(t)) return std::nullopt;
  static constexpr std::array<std::pair<std::string_view, int>, 8> kZones = {{
      {"EST", -5}, {"EDT", -4}, {"CST", -6}, {"CDT", -5},
      {"MST", -7}, {"MDT", -6}, {"PST", -8}, {"PDT", -7}}};
  for (auto [name, hours] : kZones)
    if (iequals(t, name)) return hours * 60;
  return 0;
}

int days_in_month(int64_t y, int m) {
  static constexpr std::array<int, 12> kDays = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 && leap ? 29 : kDays[size_t(m - 1)];
}

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
int64_t days_from_civil(int64_t y, int m, int d) {
  y -= m <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  int64_t yoe = y - era * 400;
  int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

bool parse_tokens(const std::vector<std::string_view>& toks, DateParts& d) {
  size_t i = 0;
  if (i < toks.size() && is_alpha_token(toks[i]) && month_of(toks[i]) == 0) ++i;  // day-of-week
  if (toks.size() < i + 4) return false;
  auto day = small_number(toks[i], 2);
  d.month = month_of(toks[i + 1]);
  auto year = year_of(toks[i + 2]);
  if (!day || !d.month || !year || !parse_time(toks[i + 3], d)) return false;
  d.day = *day;
  d.year = *year;
  if (d.year < 1900 || d.day < 1 || d.day > days_in_month(d.year, d.month)) return false;
  if (toks.size() == i + 4) return true;  // no zone: lenient, taken as UTC
  auto zone = zone_of(toks[i + 4]);
  if (!zone) return false;
  d.zone_minutes = *zone;
  return true;
}

}  // namespace

std::optional<ZonedTime> parse_zoned_date(std::string_view value) {
  DateParts d;
  std::string cleaned = strip_comments(value);
  if (!parse_tokens(tokens_of(cleaned), d)) return std::nullopt;
  int64_t t = days_from_civil(d.year, d.month, d.day) * 86400 + d.hour * 3600 + d.minute * 60 +
              d.second - int64_t(d.zone_minutes) * 60;
  return ZonedTime{std::time_t(t), d.zone_minutes};
}

std::optional<std::time_t> parse_date(std::string_view value) {
  auto zoned = parse_zoned_date(value);
  if (!zoned) return std::nullopt;
  return zoned->utc;
}

}  // namespace kurier::mime
