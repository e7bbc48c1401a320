// Printing directory records for humans (aligned text) or machines (--json: the API's JSON of
// each resource, from api/resource_json.h, so the CLI and the API cannot drift).
#pragma once
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "directory/directory.h"

namespace kurier::cli {

void print_json(const nlohmann::json& j);
// Prints rows as columns separated by two spaces, the first row being the header.
void print_table(const std::vector<std::vector<std::string>>& rows);
void print_fields(const std::vector<std::pair<std::string, std::string>>& fields);

std::string quota_text(uint64_t bytes);  // "unlimited" for 0
std::string time_text(int64_t unix_seconds);  // "never" for 0

}  // namespace kurier::cli
