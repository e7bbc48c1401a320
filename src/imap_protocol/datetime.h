// IMAP dates, RFC 3501 / RFC 9051 formal syntax:
//   date-time = DQUOTE date-day-fixed "-" date-month "-" date-year SP time SP zone DQUOTE
//     e.g. "17-Jul-1996 02:44:25 -0700"; date-day-fixed = (SP DIGIT) / 2DIGIT
//   date      = date-text / DQUOTE date-text DQUOTE; date-text = date-day "-" date-month "-" date-year
//     e.g. 1-Feb-1994; date-day = 1*2DIGIT
// Parsers take the text without the double quotes. Months are case-insensitive.
// time_t values are seconds since the epoch in UTC; the zone says how the time was written.
#pragma once
#include <ctime>
#include <string>
#include <string_view>

#include "imap_protocol/parsed.h"

namespace kurier::imap {

struct Date {
  int year = 1970;
  int month = 1;  // 1..12
  int day = 1;    // 1..31, checked against the month
  bool operator==(const Date&) const = default;
};

struct DateTime {
  Date date;
  int hour = 0, minute = 0, second = 0;
  int zone_minutes = 0;  // offset east of UTC, e.g. -0700 is -420
  bool operator==(const DateTime&) const = default;
};

// "17-Jul-1996 02:44:25 -0700" (also " 7-Jul-..." and, leniently, "7-Jul-...").
Parsed<DateTime> parse_date_time(std::string_view s);
// "1-Feb-1994" or "01-Feb-1994".
Parsed<Date> parse_date(std::string_view s);

// Seconds since the epoch (UTC) of the instant written.
std::time_t to_time_t(const DateTime& dt);
// Midnight UTC of the date (SEARCH BEFORE/ON/SINCE compare dates, RFC 3501 6.4.4).
std::time_t to_time_t(const Date& d);
// The instant t written in the given zone.
DateTime date_time_from_time_t(std::time_t t, int zone_minutes = 0);
Date date_from_time_t(std::time_t t, int zone_minutes = 0);

// "17-Jul-1996 02:44:25 -0700" with a space-padded day (date-day-fixed), no quotes.
std::string format_date_time(const DateTime& dt);
std::string format_date_time(std::time_t t, int zone_minutes = 0);
// "1-Feb-1994".
std::string format_date(const Date& d);

}  // namespace kurier::imap
