#include "cli/output.h"

#include <algorithm>
#include <ctime>
#include <iostream>

#include <nlohmann/json.hpp>

#include "common/strings.h"

namespace kurier::cli {

void print_json(const nlohmann::json& j) { std::cout << j.dump(2) << "\n"; }

void print_table(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> width;
  for (const auto& r : rows)
    for (size_t i = 0; i < r.size(); ++i) {
      if (width.size() <= i) width.push_back(0);
      width[i] = std::max(width[i], r[i].size());
    }
  for (const auto& r : rows) {
    std::string line;
    for (size_t i = 0; i < r.size(); ++i) {
      line += r[i];
      if (i + 1 < r.size()) line += std::string(width[i] - r[i].size() + 2, ' ');
    }
    std::cout << line << "\n";
  }
}

void print_fields(const std::vector<std::pair<std::string, std::string>>& fields) {
  size_t w = 0;
  for (const auto& f : fields) w = std::max(w, f.first.size());
  for (const auto& [k, v] : fields) std::cout << k << ":" << std::string(w - k.size() + 1, ' ') << v << "\n";
}

std::string quota_text(uint64_t bytes) { return bytes == 0 ? "unlimited" : format_size(bytes); }

std::string time_text(int64_t t) {
  if (t == 0) return "never";
  std::time_t tt = t;
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%SZ", &tm);
  return buf;
}

}  // namespace kurier::cli
