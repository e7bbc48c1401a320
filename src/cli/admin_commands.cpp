#include "cli/admin_commands.h"

#include <iostream>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "api/resource_json.h"
#include "cli/audit_commands.h"
#include "cli/output.h"
#include "common/strings.h"
#include "dkim/key_store.h"

namespace kurier::cli {
namespace {

using accounts::Actor;
using nlohmann::json;

std::string domain_of(std::string_view address) {
  auto at = address.rfind('@');
  return at == std::string_view::npos ? std::string() : to_lower(address.substr(at + 1));
}

// GET /api/v1/accounts/{address}'s shape: the resource and its forwarding.
json account_resource(Context& ctx, const directory::Account& a) {
  json j = api::account_json(a);
  j["forwarding"] = {{"targets", ctx.admin().forwarding(Actor::system(), a.address).targets}};
  return j;
}

// The alias `source` as the API shows it, or null when it has no targets.
json alias_resource(Context& ctx, const std::string& source) {
  auto targets = ctx.directory().alias_targets(source);
  if (targets.empty()) return nullptr;
  return api::alias_json({source, targets});
}

uint64_t size_arg(const std::string& text, const char* what) {
  auto v = parse_size(text);
  if (!v) throw Failure(std::string("invalid ") + what + " '" + text + "': use bytes or a K/M/G suffix, e.g. 20M");
  return *v;
}

// The domain's DKIM keys (made at `domain add`) as the TXT records to publish; none when DKIM
// signing is switched off in the configuration.
std::vector<dkim::DnsRecord> dkim_records(Context& ctx, const std::string& domain) {
  const auto& c = ctx.config();
  if (!c.dkim.enabled) return {};
  dkim::KeyStore keys(c.data_dir / "dkim", c.dkim.selector);
  return keys.dns_txt_records(domain);
}

void show_domain(Context& ctx, const directory::Domain& d) {
  auto records = dkim_records(ctx, d.name);
  if (ctx.json) {
    auto j = api::domain_json(d);  // the API's shape
    j["dkim"] = nlohmann::json::array();
    for (const auto& r : records) j["dkim"].push_back({{"name", r.name}, {"value", r.value}});
    return print_json(j);
  }
  uint32_t accounts = ctx.directory().count_accounts(d.id);
  print_fields({{"domain", d.name},
                {"accounts", std::to_string(accounts) + (d.max_accounts ? " of " + std::to_string(d.max_accounts) : "")},
                {"default quota", quota_text(d.default_quota)},
                {"max quota per account", quota_text(d.max_quota_per_account)},
                {"total quota", quota_text(d.total_quota)},
                {"username scheme", d.username_scheme == "prefix" ? "prefix (" + d.prefix + "0001, ...)" : "address"},
                {"transport", d.transport.empty() ? "local" : d.transport}});
  if (!records.empty()) std::cout << "DKIM records to publish in DNS:\n";
  for (const auto& r : records) std::cout << "  " << r.zone_line() << "\n";
}

void show_user(Context& ctx, const directory::Account& a) {
  if (ctx.json) return print_json(account_resource(ctx, a));  // the API's shape
  print_fields({{"address", a.address},
                {"login", a.login},
                {"name", a.display_name},
                {"quota", quota_text(a.quota)},
                {"enabled", a.enabled ? "yes" : "no"},
                {"services", directory::service_names(a.services)},
                {"created", time_text(a.created_at)},
                {"last login", time_text(a.last_login)}});
}

// Options shared by `domain add` and `domain set`.
struct DomainOptions {
  std::string default_quota, max_quota, total_quota, scheme, prefix, transport;
  uint32_t max_accounts = 0;
  CLI::Option* max_accounts_opt = nullptr;

  void attach(CLI::App* cmd) {
    cmd->add_option("--default-quota", default_quota, "quota of new accounts (SIZE; 0 = unlimited)");
    cmd->add_option("--max-quota", max_quota, "ceiling a domain admin may give one account (SIZE)");
    cmd->add_option("--total-quota", total_quota, "ceiling for the sum of all account quotas (SIZE)");
    max_accounts_opt = cmd->add_option("--max-accounts", max_accounts, "most accounts (0 = unlimited)");
    cmd->add_option("--username-scheme", scheme, "address (log in with the address) or prefix (test0001)");
    cmd->add_option("--prefix", prefix, "login prefix for the prefix scheme");
    cmd->add_option("--transport", transport, "'' for local mailboxes, relay:HOST:PORT for a relay domain");
  }

  accounts::DomainSettings settings(CLI::App* cmd) const {
    accounts::DomainSettings s;
    if (cmd->count("--default-quota")) s.default_quota = size_arg(default_quota, "quota");
    if (cmd->count("--max-quota")) s.max_quota_per_account = size_arg(max_quota, "quota");
    if (cmd->count("--total-quota")) s.total_quota = size_arg(total_quota, "quota");
    if (max_accounts_opt->count()) s.max_accounts = max_accounts;
    if (cmd->count("--username-scheme")) s.username_scheme = scheme;
    if (cmd->count("--prefix")) {
      s.prefix = prefix;
      if (!s.username_scheme) s.username_scheme = "prefix";
    }
    if (cmd->count("--transport")) s.transport = transport;
    return s;
  }
};

}  // namespace

void add_domain_commands(CLI::App& app, Context& ctx) {
  auto* domain = app.add_subcommand("domain", "manage hosted domains")->require_subcommand(1);
  static std::string name;
  static DomainOptions opts;

  auto* add = domain->add_subcommand("add", "add a domain");
  add->add_option("DOMAIN", name)->required();
  opts.attach(add);
  add->callback([&ctx, add] {
    auto d = ctx.admin().add_domain(Actor::system(), name, opts.settings(add));
    audit_change(ctx, "POST /api/v1/domains", d.name, d.name, nullptr, api::domain_json(d));
    if (ctx.json) return show_domain(ctx, d);  // creates the DKIM keys too
    std::cout << "added domain " << d.name << "\n";
    for (const auto& r : dkim_records(ctx, d.name)) std::cout << "  publish: " << r.zone_line() << "\n";
  });

  auto* set = domain->add_subcommand("set", "change a domain's settings");
  set->add_option("DOMAIN", name)->required();
  static DomainOptions set_opts;
  set_opts.attach(set);
  set->callback([&ctx, set] {
    auto settings = set_opts.settings(set);
    auto before = ctx.admin().show_domain(Actor::system(), name);
    auto d = ctx.admin().set_domain(Actor::system(), name, settings);
    audit_change(ctx, "PATCH /api/v1/domains/{domain}", d.name, d.name, api::domain_json(before), api::domain_json(d));
    show_domain(ctx, d);
  });

  domain->add_subcommand("list", "list domains")->callback([&ctx] {
    auto all = ctx.admin().list_domains(Actor::system());
    if (ctx.json) {
      auto arr = nlohmann::json::array();
      for (const auto& d : all) {
        auto j = api::domain_json(d);  // the API's shape
        j["accounts"] = ctx.directory().count_accounts(d.id);
        arr.push_back(j);
      }
      return print_json(arr);
    }
    std::vector<std::vector<std::string>> rows{{"DOMAIN", "ACCOUNTS", "DEFAULT QUOTA", "TRANSPORT"}};
    for (const auto& d : all) {
      uint32_t n = ctx.directory().count_accounts(d.id);
      rows.push_back({d.name, std::to_string(n) + (d.max_accounts ? "/" + std::to_string(d.max_accounts) : ""),
                      quota_text(d.default_quota), d.transport.empty() ? "local" : d.transport});
    }
    print_table(rows);
  });

  auto* show = domain->add_subcommand("show", "show one domain");
  show->add_option("DOMAIN", name)->required();
  show->callback([&ctx] { show_domain(ctx, ctx.admin().show_domain(Actor::system(), name)); });

  auto* remove = domain->add_subcommand("remove", "remove a domain with its accounts, aliases and mail");
  remove->add_option("DOMAIN", name)->required();
  remove->callback([&ctx] {
    auto before = ctx.admin().show_domain(Actor::system(), name);
    ctx.admin().remove_domain(Actor::system(), name);
    audit_change(ctx, "DELETE /api/v1/domains/{domain}", before.name, before.name, api::domain_json(before), nullptr);
    if (!ctx.json) std::cout << "removed domain " << before.name << "\n";
  });
}

void add_user_commands(CLI::App& app, Context& ctx) {
  auto* user = app.add_subcommand("user", "manage mail accounts")->require_subcommand(1);
  static std::string address, password_file, quota, display_name, enabled;
  static bool password_stdin = false;
  static std::vector<std::string> disable, enable;

  auto* add = user->add_subcommand("add", "add an account");
  add->add_option("ADDRESS", address)->required();
  auto* pw_stdin = add->add_flag("--password-stdin", password_stdin, "read the password from stdin");
  auto* pw_file = add->add_option("--password-file", password_file, "read the password from a file");
  pw_stdin->excludes(pw_file);
  add->add_option("--quota", quota, "mailbox quota (SIZE; default: the domain's)");
  add->add_option("--name", display_name, "display name");
  add->callback([&ctx, add] {
    if (!password_stdin && password_file.empty()) throw Failure("a password is required: --password-stdin or --password-file F");
    std::optional<uint64_t> q;
    if (add->count("--quota")) q = size_arg(quota, "quota");
    std::string pw = read_password(password_stdin, password_file);
    auto a = ctx.admin().add_user(Actor::system(), address, pw, q, display_name);
    audit_change(ctx, "POST /api/v1/accounts", a.address, domain_of(a.address), nullptr, api::account_json(a));
    if (ctx.json) return print_json(api::account_json(a));  // POST /api/v1/accounts answers this
    std::cout << "added user " << a.address << " (login " << a.login << ")\n";
  });

  auto* set = user->add_subcommand("set", "change an account");
  set->add_option("ADDRESS", address)->required();
  set->add_flag("--password-stdin", password_stdin, "read a new password from stdin");
  set->add_option("--password-file", password_file, "read a new password from a file");
  set->add_option("--quota", quota, "mailbox quota (SIZE)");
  set->add_option("--name", display_name, "display name");
  set->add_option("--enabled", enabled, "yes or no")->check(CLI::IsMember({"yes", "no"}));
  set->add_option("--disable", disable, "switch services off: imap pop3 sieve submission receive");
  set->add_option("--enable", enable, "switch services on");
  set->callback([&ctx, set] {
    accounts::UserSettings s;
    if (password_stdin || set->count("--password-file")) s.password = read_password(password_stdin, password_file);
    if (set->count("--quota")) s.quota = size_arg(quota, "quota");
    if (set->count("--name")) s.display_name = display_name;
    if (set->count("--enabled")) s.enabled = enabled == "yes";
    auto services = [](const std::vector<std::string>& names) {
      uint32_t bits = 0;
      for (const auto& n : names) {
        auto s = directory::service_from_name(n);
        if (!s) throw Failure("unknown service '" + n + "': use imap, pop3, sieve, submission or receive");
        bits |= *s;
      }
      return bits;
    };
    s.disable_services = services(disable);
    s.enable_services = services(enable);
    auto before = account_resource(ctx, ctx.admin().show_user(Actor::system(), address));
    auto a = ctx.admin().set_user(Actor::system(), address, s);
    json after = account_resource(ctx, a);
    audit_change(ctx, "PATCH /api/v1/accounts/{address}", a.address, domain_of(a.address), before, after);
    if (ctx.json) return print_json(api::account_json(a));  // PATCH answers the resource
    show_user(ctx, a);
  });

  static std::string list_domain;
  auto* list = user->add_subcommand("list", "list accounts");
  list->add_option("DOMAIN", list_domain);
  list->callback([&ctx] {
    std::optional<std::string> dom;
    if (!list_domain.empty()) dom = list_domain;
    auto all = ctx.admin().list_users(Actor::system(), dom);
    if (ctx.json) {
      auto arr = nlohmann::json::array();
      for (const auto& a : all) arr.push_back(api::account_json(a));  // the API's list items
      return print_json(arr);
    }
    std::vector<std::vector<std::string>> rows{{"ADDRESS", "LOGIN", "QUOTA", "ENABLED", "LAST LOGIN"}};
    for (const auto& a : all)
      rows.push_back({a.address, a.login, quota_text(a.quota), a.enabled ? "yes" : "no", time_text(a.last_login)});
    print_table(rows);
  });

  auto* show = user->add_subcommand("show", "show one account");
  show->add_option("ADDRESS", address)->required();
  show->callback([&ctx] { show_user(ctx, ctx.admin().show_user(Actor::system(), address)); });

  auto* remove = user->add_subcommand("remove", "remove an account with its mail, aliases and forwards");
  remove->add_option("ADDRESS", address)->required();
  remove->callback([&ctx] {
    auto a = ctx.admin().show_user(Actor::system(), address);
    json before = account_resource(ctx, a);
    ctx.admin().remove_user(Actor::system(), a.address);
    audit_change(ctx, "DELETE /api/v1/accounts/{address}", a.address, domain_of(a.address), before, nullptr);
    if (!ctx.json) std::cout << "removed user " << a.address << "\n";
  });
}

void add_alias_commands(CLI::App& app, Context& ctx) {
  auto* alias = app.add_subcommand("alias", "manage aliases, forwards, catch-alls and domain aliases")->require_subcommand(1);
  static std::string source, domain, target;
  static std::vector<std::string> targets;

  auto* add = alias->add_subcommand("add", "add targets to an alias (@domain = catch-all)");
  add->add_option("ADDRESS", source)->required();
  add->add_option("TARGET", targets)->required();
  add->callback([&ctx] {
    json before = alias_resource(ctx, to_lower(trim(source)));
    auto a = ctx.admin().add_alias(Actor::system(), source, targets);
    json after = api::alias_json(a);
    audit_change(ctx, "POST /api/v1/aliases", a.source, domain_of(a.source), before, after);
    if (ctx.json) return print_json(after);
    std::cout << a.source << " -> " << join(a.targets) << "\n";
  });

  auto* list = alias->add_subcommand("list", "list aliases");
  list->add_option("DOMAIN", domain);
  list->callback([&ctx] {
    std::optional<std::string> dom;
    if (!domain.empty()) dom = domain;
    auto all = ctx.admin().list_aliases(Actor::system(), dom);
    if (ctx.json) {
      auto arr = nlohmann::json::array();
      for (const auto& a : all) arr.push_back(api::alias_json(a));
      return print_json(arr);
    }
    std::vector<std::vector<std::string>> rows{{"ALIAS", "TARGETS"}};
    for (const auto& a : all) rows.push_back({a.source, join(a.targets)});
    print_table(rows);
  });

  auto* remove = alias->add_subcommand("remove", "remove an alias, or one target of it");
  remove->add_option("ADDRESS", source)->required();
  remove->add_option("TARGET", target);
  remove->callback([&ctx] {
    std::optional<std::string> t;
    if (!target.empty()) t = target;
    std::string src = to_lower(trim(source));
    json before = alias_resource(ctx, src);
    ctx.admin().remove_alias(Actor::system(), source, t);
    audit_change(ctx, "DELETE /api/v1/aliases/{source}", src, domain_of(src), before, alias_resource(ctx, src));
    if (!ctx.json) std::cout << "removed " << to_lower(source) << (t ? " -> " + *t : "") << "\n";
  });
}

void add_admin_commands(CLI::App& app, Context& ctx) {
  auto* admin = app.add_subcommand("admin", "manage web admin accounts")->require_subcommand(1);
  static std::string name, password_file;
  static bool password_stdin = false, is_super = false;
  static std::vector<std::string> domains;

  auto* add = admin->add_subcommand("add", "add a super-admin or a domain admin");
  add->add_option("NAME", name)->required();
  auto* pw_stdin = add->add_flag("--password-stdin", password_stdin, "read the password from stdin");
  auto* pw_file = add->add_option("--password-file", password_file, "read the password from a file");
  pw_stdin->excludes(pw_file);
  auto* sup = add->add_flag("--super", is_super, "may manage everything");
  auto* dom = add->add_option("--domain", domains, "domains this admin manages");
  sup->excludes(dom);
  add->callback([&ctx] {
    if (!password_stdin && password_file.empty()) throw Failure("a password is required: --password-stdin or --password-file F");
    if (!is_super && domains.empty()) throw Failure("say --super or --domain DOMAIN...");
    auto a = ctx.admin().add_admin(Actor::system(), name, read_password(password_stdin, password_file), is_super, domains);
    audit_change(ctx, "POST /api/v1/admins", a.name, "", nullptr, api::admin_json(a));
    if (ctx.json) return print_json(api::admin_json(a));
    std::cout << "added " << (a.is_super ? "super-admin " : "domain admin ") << a.name << "\n";
  });

  admin->add_subcommand("list", "list admins")->callback([&ctx] {
    auto all = ctx.admin().list_admins(Actor::system());
    if (ctx.json) {
      auto arr = nlohmann::json::array();
      for (const auto& a : all) arr.push_back(api::admin_json(a));
      return print_json(arr);
    }
    std::vector<std::vector<std::string>> rows{{"NAME", "ROLE", "DOMAINS"}};
    for (const auto& a : all) rows.push_back({a.name, a.is_super ? "super" : "domain", a.is_super ? "*" : join(a.domains)});
    print_table(rows);
  });

  auto* remove = admin->add_subcommand("remove", "remove an admin");
  remove->add_option("NAME", name)->required();
  remove->callback([&ctx] {
    auto before = ctx.admin().show_admin(Actor::system(), name);
    ctx.admin().remove_admin(Actor::system(), before.name);
    audit_change(ctx, "DELETE /api/v1/admins/{name}", before.name, "", api::admin_json(before), nullptr);
    if (!ctx.json) std::cout << "removed admin " << before.name << "\n";
  });
}

}  // namespace kurier::cli
