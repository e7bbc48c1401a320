// MTA-STS record, policy and MX pattern parsing (see mta_sts.h, RFC 8461 3.1, 3.2, 4.1).
#include "queue/mta_sts.h"

#include <algorithm>

#include "common/strings.h"

namespace kurier::queue {
namespace {

constexpr int64_t kMaxAge = 31557600;  // RFC 8461 3.2: max_age "up to 31557600"

std::string_view without_dot(std::string_view s) {
  if (!s.empty() && s.back() == '.') s.remove_suffix(1);
  return s;
}

// RFC 8461 3.1: sts-id = 1*32(ALPHA / DIGIT)
bool valid_id(std::string_view id) {
  return !id.empty() && id.size() <= 32 &&
         std::all_of(id.begin(), id.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)); });
}

// "v=STSv1; id=abc;" -> the id, or nullopt when this string is not a valid STS record.
std::optional<std::string> record_id(std::string_view txt) {
  auto fields = split(txt, ';');
  if (fields.empty() || trim(fields[0]) != "v=STSv1") return std::nullopt;
  std::optional<std::string> id;
  for (size_t i = 1; i < fields.size(); ++i) {
    std::string_view f = trim(fields[i]);
    if (f.empty()) continue;
    auto eq = f.find('=');
    if (eq == std::string_view::npos) return std::nullopt;
    if (f.substr(0, eq) == "id") {
      std::string_view value = f.substr(eq + 1);
      if (!valid_id(value)) return std::nullopt;
      id = std::string(value);
    }
  }
  return id;
}

std::optional<MtaStsPolicy::Mode> parse_mode(std::string_view v) {
  if (v == "enforce") return MtaStsPolicy::Mode::enforce;
  if (v == "testing") return MtaStsPolicy::Mode::testing;
  if (v == "none") return MtaStsPolicy::Mode::none;
  return std::nullopt;
}

}  // namespace

const char* to_string(MtaStsPolicy::Mode m) {
  switch (m) {
    case MtaStsPolicy::Mode::enforce: return "enforce";
    case MtaStsPolicy::Mode::testing: return "testing";
    case MtaStsPolicy::Mode::none: return "none";
  }
  return "none";
}

std::optional<std::string> parse_sts_record(const std::vector<std::string>& txt) {
  std::optional<std::string> found;
  int records = 0;
  for (const auto& t : txt) {
    if (!t.starts_with("v=STSv1")) continue;  // other TXT records at the name are ignored
    ++records;
    found = record_id(t);
  }
  if (records != 1) return std::nullopt;
  return found;
}

MtaStsParse parse_sts_policy(std::string_view text) {
  MtaStsPolicy p;
  bool version = false, mode = false, max_age = false;
  for (std::string_view line : split(text, '\n')) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (trim(line).empty()) continue;
    auto colon = line.find(':');
    if (colon == std::string_view::npos) return {std::nullopt, "line without ':': " + std::string(line.substr(0, 80))};
    std::string_view key = trim(line.substr(0, colon));
    std::string_view value = trim(line.substr(colon + 1));
    if (key == "version") {
      if (value != "STSv1") return {std::nullopt, "unsupported version " + std::string(value)};
      version = true;
    } else if (key == "mode") {
      auto m = parse_mode(value);
      if (!m) return {std::nullopt, "unknown mode " + std::string(value)};
      p.mode = *m;
      mode = true;
    } else if (key == "max_age") {
      auto n = parse_uint(value);
      if (!n || value.size() > 10 || int64_t(*n) > kMaxAge) return {std::nullopt, "invalid max_age " + std::string(value)};
      p.max_age = int64_t(*n);
      max_age = true;
    } else if (key == "mx") {
      if (value.empty()) return {std::nullopt, "empty mx"};
      p.mx.push_back(to_lower(without_dot(value)));
    }  // RFC 8461 3.2: other keys are extensions, ignored
  }
  if (!version) return {std::nullopt, "no version field"};
  if (!mode) return {std::nullopt, "no mode field"};
  if (!max_age) return {std::nullopt, "no max_age field"};
  if (p.mx.empty() && p.mode != MtaStsPolicy::Mode::none) return {std::nullopt, "no mx field"};
  return {p, ""};
}

bool mx_pattern_matches(std::string_view pattern, std::string_view host) {
  pattern = without_dot(pattern);
  host = without_dot(host);
  if (pattern.starts_with("*.")) {
    std::string_view suffix = pattern.substr(1);  // ".example.com"
    if (host.size() <= suffix.size()) return false;
    std::string_view label = host.substr(0, host.size() - suffix.size());
    return label.find('.') == std::string_view::npos && iequals(host.substr(label.size()), suffix);
  }
  return iequals(pattern, host);
}

bool policy_allows_mx(const MtaStsPolicy& policy, std::string_view host) {
  return std::any_of(policy.mx.begin(), policy.mx.end(), [&](const std::string& p) { return mx_pattern_matches(p, host); });
}

}  // namespace kurier::queue
