// Writing TOML by hand: quoted basic strings and string arrays (TOML 1.0, "String" and "Array"
// sections). Used by render() and initial_file(), and to quote user text inside error messages
// so that a message always stays on one line.
#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace kurier::config {

// A TOML basic string: "..." with \" \\ and control characters escaped (\n, \t, \uXXXX, ...).
std::string toml_quote(std::string_view s);
// ["a", "b"]
std::string toml_string_array(const std::vector<std::string>& items);
// A key as written in TOML: bare when it only holds A-Za-z0-9_-, quoted otherwise.
std::string toml_key(std::string_view key);

}  // namespace kurier::config
