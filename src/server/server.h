// `kurier serve`: every listener of docs/INTERFACE.md in one process, until SIGTERM.
#pragma once
#include "config/config.h"

namespace kurier::server {

// Runs in the foreground; returns the process exit status (0 after a clean SIGTERM stop).
int serve(const config::Config& config);

}  // namespace kurier::server
