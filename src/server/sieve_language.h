// What the Sieve interpreter offers users' scripts (extensions, the syntax check) and the limits
// from kurier.toml, put together for accounts::SieveScripts: `kurier serve` (ManageSieve) and the
// CLI (`kurier sieve`) build it the same way.
#pragma once
#include "accounts/sieve_scripts.h"
#include "config/config.h"

namespace kurier::server {

accounts::SieveLimits sieve_limits(const config::Config& c);
accounts::SieveLanguage sieve_language();

}  // namespace kurier::server
