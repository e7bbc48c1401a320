#include "server/sieve_language.h"

namespace kurier::server {

accounts::SieveLimits sieve_limits(const config::Config& c) {
  return {c.sieve.max_script_size, uint32_t(c.sieve.max_scripts)};
}

sieve::ExtensionSet sieve_extensions() { return sieve::ExtensionSet::all(); }

sieve::Limits sieve_runtime_limits(const config::Config& c) {
  sieve::Limits limits;
  limits.max_script_size = size_t(c.sieve.max_script_size);
  limits.max_redirects = size_t(c.sieve.max_redirects);
  // The seed's Cyrus clamped vacation :days to 1..31 (CHECKLIST "Sieve").
  limits.vacation_min_seconds = 86400;
  limits.vacation_max_seconds = 31 * 86400;
  return limits;
}

accounts::SieveLanguage sieve_language(const config::Config& c) {
  accounts::SieveLanguage language;
  language.extensions = sieve_extensions().capability_string();
  sieve::Limits limits = sieve_runtime_limits(c);
  language.check = [limits](std::string_view script) -> std::string {
    auto result = sieve::compile(script, sieve_extensions(), limits);
    if (result.ok()) return "";
    return result.errors.empty() ? "the script does not compile" : result.errors.front().to_string();
  };
  return language;
}

}  // namespace kurier::server
