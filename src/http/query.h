// Request-target pieces (RFC 3986): percent-decoding and the application/x-www-form-urlencoded
// query string of HTML forms (WHATWG URL "application/x-www-form-urlencoded parsing": '+' is a
// space). Pure; fuzzed by fuzz/http_request_fuzz.cpp.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kurier::http {

// Decodes %XX escapes; with plus_is_space also '+' to ' '. nullopt for a bad escape ("%4", "%zz")
// or a decoded NUL.
std::optional<std::string> percent_decode(std::string_view in, bool plus_is_space);
// Encodes everything but RFC 3986 unreserved characters.
std::string percent_encode(std::string_view in);

// "a=1&b=x%20y&c" -> {{"a","1"},{"b","x y"},{"c",""}}; nullopt for a bad escape.
std::optional<std::vector<std::pair<std::string, std::string>>> parse_query(std::string_view query);

struct Target {
  std::string path;  // decoded
  std::vector<std::pair<std::string, std::string>> query;
};
// An origin-form request-target (RFC 9112 3.2.1): "/path?query". nullopt if it does not start
// with '/', has a bad escape, or its decoded path holds "/../", "/./" segments or a NUL.
std::optional<Target> parse_target(std::string_view target);

}  // namespace kurier::http
