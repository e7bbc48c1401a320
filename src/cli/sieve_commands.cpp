// `kurier sieve ...`; see sieve_commands.h.
#include "cli/sieve_commands.h"

#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "accounts/sieve_scripts.h"
#include "cli/output.h"
#include "common/strings.h"
#include "server/sieve_language.h"

namespace kurier::cli {
namespace {

// The account an ADDRESS argument names: its address or its login.
directory::Account account_for(Context& ctx, const std::string& address) {
  auto& dir = ctx.directory();
  auto a = dir.find_account_by_address(to_lower(address));
  if (!a) a = dir.find_account_by_login(address);
  if (!a) throw Failure("no such account: " + address);
  return *a;
}

accounts::SieveScripts scripts_of(Context& ctx) {
  return accounts::SieveScripts(ctx.directory(), server::sieve_limits(ctx.config()), server::sieve_language(ctx.config()));
}

// FILE, or standard input for "-" or no FILE.
std::string read_script(const std::string& file) {
  std::stringstream text;
  if (file.empty() || file == "-") {
    text << std::cin.rdbuf();
    return text.str();
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) throw Failure("cannot read " + file);
  text << in.rdbuf();
  return text.str();
}

void require(const accounts::SieveResult& r) {
  if (!r.ok()) throw Failure(r.message);
}

}  // namespace

void add_sieve_commands(CLI::App& app, Context& ctx) {
  auto* sieve = app.add_subcommand("sieve", "manage users' Sieve scripts (as ManageSieve does)")->require_subcommand(1);
  static std::string address, name, file, new_name;
  static bool activate_too = false;

  auto* list = sieve->add_subcommand("list", "list an account's scripts");
  list->add_option("ADDRESS", address)->required();
  list->callback([&ctx] {
    auto account = account_for(ctx, address);
    auto all = scripts_of(ctx).list(account.id);
    if (ctx.json) {
      auto arr = nlohmann::json::array();
      for (const auto& s : all)
        arr.push_back({{"name", s.name}, {"active", s.active}, {"size", s.size}, {"updated", s.updated_at}});
      return print_json(arr);
    }
    std::vector<std::vector<std::string>> rows{{"NAME", "ACTIVE", "SIZE", "UPDATED"}};
    for (const auto& s : all) rows.push_back({s.name, s.active ? "yes" : "no", std::to_string(s.size), time_text(s.updated_at)});
    print_table(rows);
  });

  auto* get = sieve->add_subcommand("get", "print a script");
  get->add_option("ADDRESS", address)->required();
  get->add_option("NAME", name)->required();
  get->callback([&ctx] {
    auto account = account_for(ctx, address);
    auto script = scripts_of(ctx).get(account.id, name);
    if (!script) throw Failure("no script " + name + " for " + account.address);
    if (ctx.json) return print_json({{"name", script->name}, {"active", script->active}, {"content", script->content}});
    std::cout << script->content;
  });

  auto* put = sieve->add_subcommand("put", "store a script from FILE (or standard input), checked first");
  put->add_option("ADDRESS", address)->required();
  put->add_option("NAME", name)->required();
  put->add_option("FILE", file, "the script; - or none for standard input");
  put->add_flag("--activate", activate_too, "make it the active script");
  put->callback([&ctx] {
    auto account = account_for(ctx, address);
    auto scripts = scripts_of(ctx);
    require(scripts.put(account.id, name, read_script(file)));
    if (activate_too) require(scripts.activate(account.id, name));
    if (!ctx.json) std::cout << "stored script " << name << " for " << account.address << (activate_too ? " (active)\n" : "\n");
  });

  auto* activate = sieve->add_subcommand("activate", "make a script the one delivery runs");
  activate->add_option("ADDRESS", address)->required();
  activate->add_option("NAME", name)->required();
  activate->callback([&ctx] {
    auto account = account_for(ctx, address);
    require(scripts_of(ctx).activate(account.id, name));
    if (!ctx.json) std::cout << "activated script " << name << " for " << account.address << "\n";
  });

  auto* deactivate = sieve->add_subcommand("deactivate", "run no script for this account");
  deactivate->add_option("ADDRESS", address)->required();
  deactivate->callback([&ctx] {
    auto account = account_for(ctx, address);
    require(scripts_of(ctx).activate(account.id, ""));
    if (!ctx.json) std::cout << "no script is active for " << account.address << "\n";
  });

  auto* remove = sieve->add_subcommand("remove", "remove a script (not the active one)");
  remove->add_option("ADDRESS", address)->required();
  remove->add_option("NAME", name)->required();
  remove->callback([&ctx] {
    auto account = account_for(ctx, address);
    require(scripts_of(ctx).remove(account.id, name));
    if (!ctx.json) std::cout << "removed script " << name << " of " << account.address << "\n";
  });

  auto* rename = sieve->add_subcommand("rename", "rename a script");
  rename->add_option("ADDRESS", address)->required();
  rename->add_option("NAME", name)->required();
  rename->add_option("NEW_NAME", new_name)->required();
  rename->callback([&ctx] {
    auto account = account_for(ctx, address);
    require(scripts_of(ctx).rename(account.id, name, new_name));
    if (!ctx.json) std::cout << "renamed script " << name << " to " << new_name << "\n";
  });

  auto* check = sieve->add_subcommand("check", "check a script from FILE (or standard input) without storing it");
  check->add_option("ADDRESS", address)->required();
  check->add_option("FILE", file, "the script; - or none for standard input");
  check->callback([&ctx] {
    account_for(ctx, address);  // the account must exist: its limits apply
    require(scripts_of(ctx).check(read_script(file)));
    if (!ctx.json) std::cout << "script is valid\n";
  });
}

}  // namespace kurier::cli
