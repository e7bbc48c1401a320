// `kurier audit export [--domain D]`: the audit log of the web API's changes as JSON lines
// (newest first), the same lines GET /api/v1/audit/export gives a super-admin.
#pragma once
#include <CLI/App.hpp>

#include "cli/context.h"

namespace kurier::cli {

void add_audit_commands(CLI::App& app, Context& ctx);

}  // namespace kurier::cli
