// Dates for the date and currentdate tests (RFC 5260 4, 5): a moment with the zone it is seen
// in, parsed from a header field, and its date parts ("year", "iso8601", "weekday", ...).
#pragma once
#include <ctime>
#include <optional>
#include <string>
#include <string_view>

namespace kurier::sieve {

struct ZonedTime {
  std::time_t utc = 0;
  int zone_minutes = 0;  // east of UTC
};

// An RFC 5322 date-time with the zone it was written in (obsolete zone names included).
std::optional<ZonedTime> parse_header_date(std::string_view value);
// RFC 5260 4.2: the value of a date part, in the time's own zone. "" for an unknown part.
std::string date_part(const ZonedTime& t, std::string_view part);

}  // namespace kurier::sieve
