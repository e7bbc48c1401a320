#include "cli/audit_commands.h"

#include <iostream>

#include <nlohmann/json.hpp>

#include "directory/directory.h"

namespace kurier::cli {

void add_audit_commands(CLI::App& app, Context& ctx) {
  auto* audit = app.add_subcommand("audit", "the audit log of changes made through the web API")->require_subcommand(1);
  static std::vector<std::string> domains;
  auto* exp = audit->add_subcommand("export", "print the audit log as JSON lines, newest first");
  exp->add_option("--domain", domains, "only entries of these domains");
  exp->callback([&ctx] {
    int64_t before = 0;
    for (;;) {
      auto entries = ctx.directory().list_audit(domains.empty() ? std::nullopt : std::optional(domains), before, 1000);
      for (const auto& e : entries) {
        nlohmann::json j = {{"id", e.id},     {"at", e.at},         {"actor", e.actor},   {"role", e.role},
                            {"ip", e.ip},     {"action", e.action}, {"object", e.object}, {"domain", e.domain},
                            {"before", nullptr}, {"after", nullptr}};
        if (!e.before.empty()) j["before"] = nlohmann::json::parse(e.before, nullptr, false);
        if (!e.after.empty()) j["after"] = nlohmann::json::parse(e.after, nullptr, false);
        std::cout << j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
      }
      if (entries.size() < 1000) break;
      before = entries.back().id;
    }
  });
}

}  // namespace kurier::cli
