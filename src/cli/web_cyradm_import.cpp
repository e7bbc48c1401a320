// The Web-cyradm import (see web_cyradm_import.h).
#include "cli/web_cyradm_import.h"

#include <iostream>
#include <map>
#include <set>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "accounts/credentials.h"
#include "cli/context.h"
#include "cli/output.h"
#include "common/strings.h"
#include "directory/external_sql_directory.h"
#include "sqldb/dsn.h"
#include "sqldb/mariadb_driver.h"
#include "sqldb/postgresql_driver.h"

namespace kurier::cli {
namespace {

struct Summary {
  std::map<std::string, int> imported, existing;
  std::vector<std::pair<std::string, std::string>> skipped;  // what, why
};

struct Source {
  std::unique_ptr<sqldb::Connection> c;
  // Every row of a SELECT of `columns` columns, NULL as "".
  std::vector<std::vector<std::string>> rows(const std::string& sql, int columns) {
    std::vector<std::vector<std::string>> out;
    auto st = c->query(sql);
    while (st.step()) {
      std::vector<std::string> row;
      for (int i = 0; i < columns; ++i) row.push_back(st.is_null(i) ? "" : st.text(i));
      out.push_back(std::move(row));
    }
    return out;
  }
};

uint64_t kib(const std::string& v) { return uint64_t(std::strtoull(v.c_str(), nullptr, 10)) * 1024; }

std::vector<std::string> split_dest(const std::string& dest) {
  std::vector<std::string> out;
  std::string item;
  for (char ch : dest + ",") {
    if (ch == ',' || ch == ' ' || ch == '\n' || ch == '\r' || ch == '\t') {
      if (!item.empty()) out.push_back(item);
      item.clear();
    } else {
      item += ch;
    }
  }
  return out;
}

class Importer {
 public:
  Importer(Source& src, directory::Directory& dir, bool dry_run) : src_(src), dir_(dir), dry_(dry_run) {}

  Summary run() {
    domains();
    accounts();
    aliases();
    admins();
    return std::move(s_);
  }

 private:
  void domains() {
    for (auto& r : src_.rows("SELECT domain_name, prefix, maxaccounts, quota, domainquota, transport, freenames FROM domain", 7)) {
      directory::Domain d;
      d.name = to_lower(r[0]);
      if (dir_.find_domain(d.name)) {
        ++s_.existing["domains"];
        continue;
      }
      d.max_accounts = uint32_t(std::strtoul(r[2].c_str(), nullptr, 10));
      d.default_quota = kib(r[3]);
      d.total_quota = kib(r[4]);
      if (r[6] != "YES" && !r[1].empty()) {
        d.username_scheme = "prefix";
        d.prefix = r[1];
        d.next_login_number = next_number(r[1]);
      }
      if (istarts_with(r[5], "smtp:")) {  // a backup-MX / relay domain
        std::string target = r[5].substr(5);
        if (target.find(':') == std::string::npos) target += ":25";
        d.transport = "relay:" + target;
      }
      if (!dry_) dir_.add_domain(d);
      ++s_.imported["domains"];
    }
  }

  uint32_t next_number(const std::string& prefix) {
    uint32_t highest = 0;
    for (auto& r : src_.rows("SELECT username FROM accountuser", 1)) {
      if (!r[0].starts_with(prefix)) continue;
      std::string digits = r[0].substr(prefix.size());
      if (!digits.empty() && digits.find_first_not_of("0123456789") == std::string::npos)
        highest = std::max(highest, uint32_t(std::strtoul(digits.c_str(), nullptr, 10)));
    }
    return highest + 1;
  }

  // The primary address: the first alias (not a catch-all) whose only target is the login.
  std::string primary_address(const std::string& login) {
    for (auto& r : virtual_rows_)
      if (r[2] == login && r[0].find('@') != std::string::npos && r[0].front() != '@' &&
          split_dest(r[1]) == std::vector<std::string>{login})
        return to_lower(r[0]);
    if (login.find('@') != std::string::npos) return to_lower(login);
    return "";
  }

  void accounts() {
    virtual_rows_ = src_.rows("SELECT alias, dest, username FROM virtual WHERE status = 1 ORDER BY alias", 3);
    bool switches = has_service_columns();
    std::string sql = switches ? "SELECT username, password, domain_name, imap, pop, sieve, smtpauth FROM accountuser"
                               : "SELECT username, password, domain_name FROM accountuser";
    for (auto& r : src_.rows(sql, switches ? 7 : 3)) {
      const std::string& login = r[0];
      if (r[2].empty()) {  // cyrus: Cyrus's own admin login, no mailbox
        s_.skipped.push_back({"account " + login, "no domain (an administrative login)"});
        continue;
      }
      std::string address = primary_address(login);
      if (address.empty()) {
        s_.skipped.push_back({"account " + login, "no address in virtual"});
        continue;
      }
      login_address_[login] = address;
      if (dir_.find_account_by_login(login)) {
        ++s_.existing["accounts"];
        continue;
      }
      auto domain = dir_.find_domain(to_lower(r[2]));
      directory::Account a;
      a.login = login;
      a.address = address;
      a.domain_id = domain ? domain->id : 0;
      a.quota = domain ? domain->default_quota : 0;
      bool plaintext = false;
      std::string hash = directory::external_password_hash(r[1], "auto", plaintext);
      if (plaintext) {
        auto c = accounts::make_credentials(r[1]);  // hashed now: plaintext is never stored
        a.password_hash = c.hash;
        a.scram_secret = c.scram;
      } else {
        a.password_hash = hash;  // kept until the next login re-hashes it
      }
      if (switches) {
        a.services = directory::kReceive;
        if (r[3] != "0") a.services |= directory::kImap;
        if (r[4] != "0") a.services |= directory::kPop3;
        if (r[5] != "0") a.services |= directory::kSieve;
        if (r[6] != "0") a.services |= directory::kSubmission;
      }
      if (!domain && !dry_) {
        s_.skipped.push_back({"account " + login, "its domain " + r[2] + " is not in the domain table"});
        continue;
      }
      if (!dry_) dir_.add_account(a);
      ++s_.imported["accounts"];
    }
  }

  bool has_service_columns() {
    try {
      src_.rows("SELECT imap, pop, sieve, smtpauth FROM accountuser WHERE 1 = 0", 4);
      return true;
    } catch (const sqldb::Error&) {
      return false;
    }
  }

  void aliases() {
    for (auto& r : virtual_rows_) {
      std::string source = to_lower(r[0]);
      std::vector<std::string> targets;
      for (auto& t : split_dest(r[1])) {
        if (t.find('@') != std::string::npos) {
          targets.push_back(to_lower(t));
        } else if (auto it = login_address_.find(t); it != login_address_.end()) {
          targets.push_back(it->second);
        } else {
          s_.skipped.push_back({"alias " + source + " -> " + t, "no such login"});
        }
      }
      // An account's own address is the account, not an alias.
      if (targets.size() == 1 && targets.front() == source) continue;
      if (targets.empty()) continue;
      std::string domain = source.substr(source.rfind('@') + 1);
      auto d = dir_.find_domain(domain);
      if (!d && !dry_) {
        s_.skipped.push_back({"alias " + source, "its domain is not hosted"});
        continue;
      }
      auto have = dry_ && !d ? std::vector<std::string>{} : dir_.alias_targets(source);
      std::vector<std::string> missing;
      for (auto& t : targets)
        if (std::find(have.begin(), have.end(), t) == have.end()) missing.push_back(t);
      if (missing.empty()) {
        ++s_.existing["aliases"];
        continue;
      }
      if (!dry_) dir_.add_alias_targets(d->id, source, missing);
      ++s_.imported["aliases"];
    }
  }

  void admins() {
    std::map<std::string, std::vector<std::string>> domains_of;
    for (auto& r : src_.rows("SELECT adminuser, domain_name FROM domainadmin", 2)) domains_of[r[0]].push_back(to_lower(r[1]));
    for (auto& r : src_.rows("SELECT username, password FROM adminuser", 2)) {
      if (dir_.find_admin(r[0])) {
        ++s_.existing["admins"];
        continue;
      }
      directory::Admin a;
      a.name = r[0];
      auto& doms = domains_of[r[0]];
      a.is_super = std::find(doms.begin(), doms.end(), "*") != doms.end();
      if (!a.is_super)
        for (auto& d : doms)
          if (dir_.find_domain(d)) a.domains.push_back(d);
      if (!a.is_super && a.domains.empty()) {
        s_.skipped.push_back({"admin " + r[0], "no domains (could not log in)"});
        continue;
      }
      bool plaintext = false;
      std::string hash = directory::external_password_hash(r[1], "auto", plaintext);
      a.password_hash = plaintext ? accounts::make_credentials(r[1]).hash : hash;
      if (!dry_) dir_.add_admin(a);
      ++s_.imported["admins"];
    }
  }

  Source& src_;
  directory::Directory& dir_;
  bool dry_;
  Summary s_;
  std::vector<std::vector<std::string>> virtual_rows_;
  std::map<std::string, std::string> login_address_;
};

void report(const Summary& s, bool json, bool dry_run) {
  if (json) {
    nlohmann::json j = {{"dry_run", dry_run}, {"imported", s.imported}, {"existing", s.existing}};
    j["skipped"] = nlohmann::json::array();
    for (auto& [what, why] : s.skipped) j["skipped"].push_back({{"item", what}, {"reason", why}});
    print_json(j);
    return;
  }
  std::cout << (dry_run ? "would import:" : "imported:");
  for (const char* k : {"domains", "accounts", "aliases", "admins"}) {
    auto it = s.imported.find(k);
    std::cout << " " << (it == s.imported.end() ? 0 : it->second) << " " << k;
  }
  std::cout << "\nalready there:";
  for (const char* k : {"domains", "accounts", "aliases", "admins"}) {
    auto it = s.existing.find(k);
    std::cout << " " << (it == s.existing.end() ? 0 : it->second) << " " << k;
  }
  std::cout << "\nskipped: " << s.skipped.size() << "\n";
  for (auto& [what, why] : s.skipped) std::cout << "  " << what << ": " << why << "\n";
}

struct Args {
  std::string dsn;
  bool dry_run = false;
};

}  // namespace

void add_web_cyradm_import(CLI::App& import, Context& ctx) {
  auto args = std::make_shared<Args>();
  auto* cmd = import.add_subcommand("web-cyradm", "import a Web-cyradm database (domains, accounts, aliases, admins)");
  cmd->add_option("--dsn", args->dsn, "mariadb://USER:PASS@HOST:PORT/DB")->required();
  cmd->add_flag("--dry-run", args->dry_run, "show what would be imported, change nothing");
  cmd->callback([&ctx, args] {
    Source src;
    try {
      auto dsn = sqldb::parse_dsn(args->dsn);
      src.c = dsn.dialect == sqldb::Dialect::mariadb ? sqldb::open_mariadb(dsn) : sqldb::open_postgresql(dsn);
    } catch (const sqldb::Error& e) {
      throw Failure(e.what());
    }
    try {
      Importer importer(src, ctx.directory(), args->dry_run);
      report(importer.run(), ctx.json, args->dry_run);
    } catch (const sqldb::Error& e) {
      throw Failure(std::string("reading the Web-cyradm database: ") + e.what());
    } catch (const directory::Error& e) {
      throw Failure(e.what());
    }
  });
}

}  // namespace kurier::cli
