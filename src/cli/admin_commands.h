// `kurier domain|user|alias|admin ...`: the directory administration commands.
#pragma once
#include <CLI/App.hpp>

#include "cli/context.h"

namespace kurier::cli {

void add_domain_commands(CLI::App& app, Context& ctx);
void add_user_commands(CLI::App& app, Context& ctx);
void add_alias_commands(CLI::App& app, Context& ctx);
void add_admin_commands(CLI::App& app, Context& ctx);

}  // namespace kurier::cli
