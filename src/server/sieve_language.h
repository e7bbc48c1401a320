// The Sieve language kurier offers users (the interpreter's extensions, the limits from
// kurier.toml) in the forms its users need: accounts::SieveScripts for ManageSieve and the CLI
// (`kurier sieve`), and the compile options of delivery's SieveFilingHook. One place, so what
// ManageSieve accepts is exactly what delivery runs.
#pragma once
#include "accounts/sieve_scripts.h"
#include "config/config.h"
#include "sieve/sieve.h"

namespace kurier::server {

accounts::SieveLimits sieve_limits(const config::Config& c);
// The extensions users' scripts may require: all the interpreter implements.
sieve::ExtensionSet sieve_extensions();
sieve::Limits sieve_runtime_limits(const config::Config& c);
// The extensions and a syntax check ("line L, column C: ...") with the limits of c.
accounts::SieveLanguage sieve_language(const config::Config& c);

}  // namespace kurier::server
