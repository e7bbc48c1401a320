// Date parts for the date extension; see date.h.
#include "sieve/date.h"

#include <cstdio>

#include "common/strings.h"
#include "mime/header.h"

namespace kurier::sieve {
namespace {

// RFC 5322 3.3 zone: "+hhmm"/"-hhmm", or the obsolete names of 4.3 (military zones count as
// "-0000", unknown, so 0).
int zone_of(std::string_view value) {
  std::string_view v = value;
  if (size_t paren = v.find('('); paren != std::string_view::npos) v = v.substr(0, paren);
  v = trim(v);
  size_t space = v.find_last_of(" \t");
  std::string_view last = space == std::string_view::npos ? v : v.substr(space + 1);
  if (last.size() == 5 && (last[0] == '+' || last[0] == '-')) {
    int h = 0, m = 0;
    for (size_t i = 1; i < 5; ++i)
      if (last[i] < '0' || last[i] > '9') return 0;
    h = (last[1] - '0') * 10 + (last[2] - '0');
    m = (last[3] - '0') * 10 + (last[4] - '0');
    int total = h * 60 + m;
    return last[0] == '-' ? -total : total;
  }
  static constexpr std::pair<std::string_view, int> names[] = {
      {"EST", -300}, {"EDT", -240}, {"CST", -360}, {"CDT", -300},
      {"MST", -420}, {"MDT", -360}, {"PST", -480}, {"PDT", -420}};
  for (const auto& [n, minutes] : names)
    if (iequals(last, n)) return minutes;
  return 0;
}

std::string two(int v) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%02d", v);
  return buf;
}

std::string zone_string(int minutes, bool colon) {
  char sign = minutes < 0 ? '-' : '+';
  int m = minutes < 0 ? -minutes : minutes;
  return std::string(1, sign) + two(m / 60) + (colon ? ":" : "") + two(m % 60);
}

}  // namespace

std::optional<ZonedTime> parse_header_date(std::string_view value) {
  auto utc = mime::parse_date(value);
  if (!utc) return std::nullopt;
  return ZonedTime{*utc, zone_of(value)};
}

std::string date_part(const ZonedTime& t, std::string_view part) {
  std::time_t local = t.utc + std::time_t(t.zone_minutes) * 60;
  std::tm tm{};
  if (!gmtime_r(&local, &tm)) return "";
  char year[16];
  std::snprintf(year, sizeof year, "%04d", tm.tm_year + 1900);
  std::string date = std::string(year) + "-" + two(tm.tm_mon + 1) + "-" + two(tm.tm_mday);
  std::string time = two(tm.tm_hour) + ":" + two(tm.tm_min) + ":" + two(tm.tm_sec);
  if (iequals(part, "year")) return year;
  if (iequals(part, "month")) return two(tm.tm_mon + 1);
  if (iequals(part, "day")) return two(tm.tm_mday);
  if (iequals(part, "date")) return date;
  if (iequals(part, "hour")) return two(tm.tm_hour);
  if (iequals(part, "minute")) return two(tm.tm_min);
  if (iequals(part, "second")) return two(tm.tm_sec);
  if (iequals(part, "time")) return time;
  if (iequals(part, "zone")) return zone_string(t.zone_minutes, false);
  if (iequals(part, "weekday")) return std::to_string(tm.tm_wday);
  if (iequals(part, "iso8601")) return date + "T" + time + zone_string(t.zone_minutes, true);
  if (iequals(part, "julian")) {  // RFC 5260 4.2.1: Modified Julian Day, 1858-11-17 is day 0
    long long days = local >= 0 ? local / 86400 : (local - 86399) / 86400;
    return std::to_string(days + 40587);
  }
  if (iequals(part, "std11")) {
    static constexpr const char* days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static constexpr const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                             "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    return std::string(days[tm.tm_wday]) + ", " + two(tm.tm_mday) + " " + months[tm.tm_mon] + " " + year +
           " " + time + " " + zone_string(t.zone_minutes, false);
  }
  return "";
}

}  // namespace kurier::sieve
