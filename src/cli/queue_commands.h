// `kurier queue list|retry|remove|inject`: the outbound queue from the command line. Works while
// the server runs: the commands read and change the spool index (DATA/queue/queue.db) that the
// server's queue polls, so `retry` and `remove` take effect within a second.
#pragma once
#include <CLI/App.hpp>

#include "cli/context.h"

namespace kurier::cli {

void add_queue_commands(CLI::App& app, Context& ctx);

}  // namespace kurier::cli
