// `kurier sieve list|get|put|activate|deactivate|remove|rename|check`: users' Sieve scripts, with
// the same rules as ManageSieve (accounts::SieveScripts).
#pragma once
#include <CLI/App.hpp>

#include "cli/context.h"

namespace kurier::cli {

void add_sieve_commands(CLI::App& app, Context& ctx);

}  // namespace kurier::cli
