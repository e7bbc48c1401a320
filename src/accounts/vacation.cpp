#include "accounts/vacation.h"

#include <nlohmann/json.hpp>

#include "accounts/admin_service.h"

namespace kurier::accounts {
namespace {

constexpr std::string_view kMarker = "# kurier-vacation: ";

bool valid_date(std::string_view d) {
  if (d.size() != 10 || d[4] != '-' || d[7] != '-') return false;
  for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9})
    if (d[i] < '0' || d[i] > '9') return false;
  int month = (d[5] - '0') * 10 + (d[6] - '0');
  int day = (d[8] - '0') * 10 + (d[9] - '0');
  return month >= 1 && month <= 12 && day >= 1 && day <= 31;
}

// RFC 5228 2.4.2: in a quoted string only '"' and '\' need a backslash.
std::string sieve_quoted(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out.push_back('\\');
    if (c == '\n' && (out.empty() || out.back() != '\r')) out.push_back('\r');
    out.push_back(c);
  }
  return out + "\"";
}

}  // namespace

void check_vacation(const Vacation& v) {
  if (!v.start.empty() && !valid_date(v.start)) throw Error(Error::Invalid, "start must be a date YYYY-MM-DD");
  if (!v.end.empty() && !valid_date(v.end)) throw Error(Error::Invalid, "end must be a date YYYY-MM-DD");
  if (!v.start.empty() && !v.end.empty() && v.end < v.start) throw Error(Error::Invalid, "end is before start");
  if (v.subject.size() > 200) throw Error(Error::Invalid, "subject too long (at most 200 characters)");
  for (unsigned char c : v.subject)
    if (c < 0x20 || c == 0x7f) throw Error(Error::Invalid, "subject contains control characters");
  if (v.text.size() > 8000) throw Error(Error::Invalid, "text too long (at most 8000 characters)");
  if (v.enabled && v.text.empty()) throw Error(Error::Invalid, "a vacation reply needs a text");
}

std::string vacation_script(const Vacation& v) {
  nlohmann::json settings = {{"enabled", v.enabled}, {"subject", v.subject}, {"text", v.text},
                             {"start", v.start},     {"end", v.end},         {"include", v.include}};
  std::string out = std::string(kMarker) + settings.dump(-1, ' ', true) + "\r\n";
  out += "# Written by the kurier web admin: edit it there (self-service, vacation).\r\n";
  out += "require [\"vacation\", \"date\", \"relational\"";
  if (!v.include.empty()) out += ", \"include\"";
  out += "];\r\n";
  if (v.enabled) {
    std::string test;
    if (!v.start.empty()) test += "currentdate :value \"ge\" \"date\" " + sieve_quoted(v.start);
    if (!v.end.empty()) test += std::string(test.empty() ? "" : ", ") + "currentdate :value \"le\" \"date\" " + sieve_quoted(v.end);
    std::string action = "vacation :days 1";
    if (!v.subject.empty()) action += " :subject " + sieve_quoted(v.subject);
    action += " " + sieve_quoted(v.text) + ";";
    if (test.empty()) out += action + "\r\n";
    else out += "if allof(" + test + ") {\r\n  " + action + "\r\n}\r\n";
  }
  if (!v.include.empty()) out += "include :personal " + sieve_quoted(v.include) + ";\r\n";
  return out;
}

std::optional<Vacation> parse_vacation_script(std::string_view script) {
  if (!script.starts_with(kMarker)) return std::nullopt;
  auto eol = script.find('\n');
  auto line = script.substr(kMarker.size(), eol == std::string_view::npos ? std::string_view::npos : eol - kMarker.size());
  auto j = nlohmann::json::parse(line, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return std::nullopt;
  Vacation v;
  try {
    v.enabled = j.value("enabled", false);
    v.subject = j.value("subject", "");
    v.text = j.value("text", "");
    v.start = j.value("start", "");
    v.end = j.value("end", "");
    v.include = j.value("include", "");
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;
  }
  return v;
}

}  // namespace kurier::accounts
