// `kurier audit export [--domain D]`: the audit log of changes (the web API's and the CLI's) as
// JSON lines (newest first), the same lines GET /api/v1/audit/export gives a super-admin; and
// the entry every changing CLI command writes.
#pragma once
#include <string>

#include <CLI/App.hpp>
#include <nlohmann/json_fwd.hpp>

#include "cli/context.h"

namespace kurier::cli {

void add_audit_commands(CLI::App& app, Context& ctx);

// One change the CLI made, in the API's terms: `action` is the API route that makes the same
// change ("PATCH /api/v1/accounts/{address}"), before/after the API's JSON of the object (null
// when created / removed). Written with the actor "cli:<unix user>", role "system", no address.
// Throws Failure when the entry cannot be written (the change itself stands; the user is told).
void audit_change(Context& ctx, const std::string& action, const std::string& object, const std::string& domain,
                  const nlohmann::json& before, const nlohmann::json& after);
// "cli:<name of the real user id>" (the user who ran the command, also under a setuid wrapper).
std::string cli_actor();

}  // namespace kurier::cli
