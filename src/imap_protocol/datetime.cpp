// Implementation of imap_protocol/datetime.h.
#include "imap_protocol/datetime.h"

#include <cstdio>

#include "common/strings.h"

namespace kurier::imap {
namespace {

constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

const char* month_name(int m) { return m >= 1 && m <= 12 ? kMonths[m - 1] : "???"; }

bool is_leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int days_in_month(int y, int m) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : kDays[m - 1];
}

// Howard Hinnant's days_from_civil / civil_from_days.
long long days_from_civil(int y, int m, int d) {
  y -= m <= 2;
  long long era = (y >= 0 ? y : y - 399) / 400;
  long long yoe = y - era * 400;
  long long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  long long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

Date civil_from_days(long long z) {
  z += 719468;
  long long era = (z >= 0 ? z : z - 146096) / 146097;
  long long doe = z - era * 146097;
  long long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  long long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  long long mp = (5 * doy + 2) / 153;
  int d = int(doy - (153 * mp + 2) / 5 + 1);
  int m = int(mp < 10 ? mp + 3 : mp - 9);
  return Date{int(yoe + era * 400 + (m <= 2)), m, d};
}

bool digits(std::string_view s, size_t n, int& out) {
  if (s.size() != n) return false;
  out = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    out = out * 10 + (c - '0');
  }
  return true;
}

long long floor_div(long long a, long long b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

}  // namespace

Parsed<Date> parse_date(std::string_view s) {
  using R = Parsed<Date>;
  auto parts = split(s, '-');
  if (parts.size() != 3) return R::fail("Date must look like 1-Feb-1994");
  Date d;
  // The length first: digits() of a long run overflows int (found by fuzz/imap_command_fuzz).
  if (parts[0].empty() || parts[0].size() > 2 || !digits(parts[0], parts[0].size(), d.day))
    return R::fail("Invalid day in date");
  d.month = 0;
  for (int i = 0; i < 12; ++i)
    if (iequals(parts[1], kMonths[i])) d.month = i + 1;
  if (d.month == 0) return R::fail("Invalid month in date");
  if (!digits(parts[2], 4, d.year)) return R::fail("Invalid year in date");
  if (d.day < 1 || d.day > days_in_month(d.year, d.month)) return R::fail("Day out of range for month");
  return R::ok(d);
}

Parsed<DateTime> parse_date_time(std::string_view s) {
  using R = Parsed<DateTime>;
  if (!s.empty() && s[0] == ' ') s.remove_prefix(1);  // date-day-fixed = SP DIGIT
  auto fields = split(s, ' ');
  if (fields.size() != 3) return R::fail("Date-time must look like 17-Jul-1996 02:44:25 -0700");
  auto date = parse_date(fields[0]);
  if (!date) return R::fail(date.error);
  DateTime dt;
  dt.date = *date;
  auto t = fields[1];
  if (t.size() != 8 || t[2] != ':' || t[5] != ':' || !digits(t.substr(0, 2), 2, dt.hour) ||
      !digits(t.substr(3, 2), 2, dt.minute) || !digits(t.substr(6, 2), 2, dt.second))
    return R::fail("Invalid time in date-time");
  if (dt.hour > 23 || dt.minute > 59 || dt.second > 60) return R::fail("Time out of range");
  auto z = fields[2];
  int zh = 0, zm = 0;
  if (z.size() != 5 || (z[0] != '+' && z[0] != '-') || !digits(z.substr(1, 2), 2, zh) ||
      !digits(z.substr(3, 2), 2, zm) || zm > 59)
    return R::fail("Invalid zone in date-time");
  dt.zone_minutes = (z[0] == '-' ? -1 : 1) * (zh * 60 + zm);
  return R::ok(dt);
}

std::time_t to_time_t(const Date& d) {
  return std::time_t(days_from_civil(d.year, d.month, d.day) * 86400);
}

std::time_t to_time_t(const DateTime& dt) {
  long long secs = days_from_civil(dt.date.year, dt.date.month, dt.date.day) * 86400LL +
                   dt.hour * 3600LL + dt.minute * 60LL + dt.second;
  return std::time_t(secs - dt.zone_minutes * 60LL);
}

DateTime date_time_from_time_t(std::time_t t, int zone_minutes) {
  long long local = (long long)t + zone_minutes * 60LL;
  long long days = floor_div(local, 86400);
  long long rest = local - days * 86400;
  DateTime dt;
  dt.date = civil_from_days(days);
  dt.hour = int(rest / 3600);
  dt.minute = int(rest / 60 % 60);
  dt.second = int(rest % 60);
  dt.zone_minutes = zone_minutes;
  return dt;
}

Date date_from_time_t(std::time_t t, int zone_minutes) { return date_time_from_time_t(t, zone_minutes).date; }

std::string format_date(const Date& d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%d-%s-%04d", d.day, month_name(d.month), d.year);
  return buf;
}

std::string format_date_time(const DateTime& dt) {
  int z = dt.zone_minutes < 0 ? -dt.zone_minutes : dt.zone_minutes;
  char buf[64];
  std::snprintf(buf, sizeof buf, "%2d-%s-%04d %02d:%02d:%02d %c%02d%02d", dt.date.day,
                month_name(dt.date.month), dt.date.year, dt.hour, dt.minute, dt.second,
                dt.zone_minutes < 0 ? '-' : '+', z / 60 % 100, z % 60);
  return buf;
}

std::string format_date_time(std::time_t t, int zone_minutes) {
  return format_date_time(date_time_from_time_t(t, zone_minutes));
}

}  // namespace kurier::imap
