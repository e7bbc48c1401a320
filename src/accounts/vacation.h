// The vacation auto-reply of web self-service, kept as a Sieve script (RFC 5230 vacation, with
// RFC 5260 currentdate for the dates) that ManageSieve shows like any other: "kurier-vacation".
// Its first line is a comment holding the settings as JSON, so the web form reads back exactly
// what was saved. A script that was active before is included (RFC 6609) so the user's own
// filtering keeps running while the vacation script is the active one. Pure.
#pragma once
#include <optional>
#include <string>
#include <string_view>

namespace kurier::accounts {

inline constexpr std::string_view kVacationScript = "kurier-vacation";

struct Vacation {
  bool enabled = false;
  std::string subject;
  std::string text;
  std::string start;  // "YYYY-MM-DD" or "" (from now)
  std::string end;    // "YYYY-MM-DD" or "" (until switched off)
  std::string include;  // the script that was active before, run after the vacation rule
  bool operator==(const Vacation&) const = default;
};

// Throws accounts::Error(Invalid) for bad dates, an end before the start, control characters in
// the subject, or a text too long (the script must fit the Sieve size limit).
void check_vacation(const Vacation& v);
std::string vacation_script(const Vacation& v);
// The settings of a script vacation_script() wrote; nullopt for any other text.
std::optional<Vacation> parse_vacation_script(std::string_view script);

}  // namespace kurier::accounts
