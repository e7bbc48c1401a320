#include "cli/audit_commands.h"

#include <pwd.h>
#include <unistd.h>

#include <ctime>
#include <iostream>

#include <nlohmann/json.hpp>

#include "directory/directory.h"

namespace kurier::cli {

std::string cli_actor() {
  uid_t uid = getuid();
  if (const passwd* pw = getpwuid(uid); pw && pw->pw_name) return std::string("cli:") + pw->pw_name;
  return "cli:" + std::to_string(uid);
}

void audit_change(Context& ctx, const std::string& action, const std::string& object, const std::string& domain,
                  const nlohmann::json& before, const nlohmann::json& after) {
  directory::AuditEntry e;
  e.at = int64_t(std::time(nullptr));
  e.actor = cli_actor();
  e.role = "system";
  e.action = action;
  e.object = object;
  e.domain = domain;
  auto text = [](const nlohmann::json& j) {
    return j.is_null() ? std::string() : j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  };
  e.before = text(before);
  e.after = text(after);
  try {
    ctx.directory().append_audit(e);
  } catch (const std::exception& ex) {
    throw Failure(action + " " + object + " was done, but its audit entry could not be written: " + ex.what());
  }
}

void add_audit_commands(CLI::App& app, Context& ctx) {
  auto* audit = app.add_subcommand("audit", "the audit log of changes made through the web API and the CLI")->require_subcommand(1);
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
