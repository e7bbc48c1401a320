#include "server/sieve_language.h"

namespace kurier::server {

accounts::SieveLimits sieve_limits(const config::Config& c) {
  return {c.sieve.max_script_size, uint32_t(c.sieve.max_scripts)};
}

accounts::SieveLanguage sieve_language() {
  return {};  // replaced by the interpreter's extensions and compile check when src/sieve lands
}

}  // namespace kurier::server
