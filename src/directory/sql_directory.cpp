// The directory on the SQL layer: SQLite (embedded default), PostgreSQL and MariaDB share this
// one implementation. All SQL of the directory lives in this file, in neutral SQL
// (sqldb/dialect.h); the pool (sqldb/pool.h) gives each call a connection and runs a write
// transaction again when the database aborts it.
//
// Writes go through write(), which also bumps directory_version in the same transaction, so
// version() changes whenever any process or node changes the directory (caches compare it).
// Adding a table: append a Migration to kMigrations, then methods that call read()/write().
#include "directory/sql_directory.h"

#include <algorithm>
#include <climits>
#include <ctime>
#include <type_traits>

#include "common/strings.h"
#include "sqldb/dialect.h"
#include "sqldb/migrate.h"
#include "sqldb/sqlite_driver.h"

namespace kurier::directory {
namespace {

using sqldb::Connection;
using sqldb::Cursor;
using sqldb::kAllDialects;
using sqldb::kPostgresql;
using sqldb::kSqlite;

// Schema versions: append a migration to change the schema; never edit a shipped one. Version
// 1..3 are the SQLite directory's history; SQLite-only steps rebuild what the servers create
// right the first time.
const std::vector<sqldb::Migration> kMigrations = {
    // v1: domains, accounts, aliases, admins.
    {
        {R"sql(CREATE TABLE domains (
  id {id},
  name {nocase} NOT NULL UNIQUE,
  default_quota {int} NOT NULL DEFAULT 0,
  max_quota_per_account {int} NOT NULL DEFAULT 0,
  total_quota {int} NOT NULL DEFAULT 0,
  max_accounts {int} NOT NULL DEFAULT 0,
  username_scheme {key} NOT NULL DEFAULT 'address' CHECK (username_scheme IN ('address', 'prefix')),
  prefix {key} NOT NULL DEFAULT '',
  next_login_number {int} NOT NULL DEFAULT 1,
  transport {key} NOT NULL DEFAULT '',
  created_at {int} NOT NULL
) {table})sql"},
        {R"sql(CREATE TABLE accounts (
  id {id},
  domain_id {int} NOT NULL,
  login {nocase} NOT NULL UNIQUE,
  address {nocase} NOT NULL UNIQUE,
  display_name {text} NOT NULL DEFAULT '',
  password_hash {text} NOT NULL,
  scram_secret {text} NOT NULL DEFAULT '',
  quota {int} NOT NULL DEFAULT 0,
  enabled {int} NOT NULL DEFAULT 1,
  services {int} NOT NULL DEFAULT 31,
  created_at {int} NOT NULL,
  last_login {int} NOT NULL DEFAULT 0,
  FOREIGN KEY (domain_id) REFERENCES domains(id) ON DELETE CASCADE
) {table})sql"},
        {"CREATE INDEX accounts_domain ON accounts(domain_id)"},
        {R"sql(CREATE TABLE aliases (
  id {id},
  domain_id {int} NOT NULL,
  source {nocase} NOT NULL,
  target {nocase} NOT NULL,
  UNIQUE (source, target),
  FOREIGN KEY (domain_id) REFERENCES domains(id) ON DELETE CASCADE
) {table})sql"},
        {"CREATE INDEX aliases_domain ON aliases(domain_id)"},
        {R"sql(CREATE TABLE admins (
  id {id},
  name {nocase} NOT NULL UNIQUE,
  password_hash {text} NOT NULL,
  is_super {int} NOT NULL DEFAULT 0,
  created_at {int} NOT NULL
) {table})sql"},
        {R"sql(CREATE TABLE admin_domains (
  admin_id {int} NOT NULL,
  domain_id {int} NOT NULL,
  PRIMARY KEY (admin_id, domain_id),
  FOREIGN KEY (admin_id) REFERENCES admins(id) ON DELETE CASCADE,
  FOREIGN KEY (domain_id) REFERENCES domains(id) ON DELETE CASCADE
) {table})sql"},
    },
    // v2: account ids are never reused, so a new account can never address a removed one's
    // mailboxes (SQLite's first schema reused them: the table is rebuilt with AUTOINCREMENT);
    // every removal leaves a tombstone in removed_accounts until `kurier serve` purged the mail
    // (server/account_reaper.h). SQLite's tombstone trigger went in v4: the code writes them.
    {
        {R"sql(
CREATE TABLE accounts_v2 (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  domain_id INTEGER NOT NULL REFERENCES domains(id) ON DELETE CASCADE,
  login TEXT NOT NULL UNIQUE COLLATE NOCASE,
  address TEXT NOT NULL UNIQUE COLLATE NOCASE,
  display_name TEXT NOT NULL DEFAULT '',
  password_hash TEXT NOT NULL,
  scram_secret TEXT NOT NULL DEFAULT '',
  quota INTEGER NOT NULL DEFAULT 0,
  enabled INTEGER NOT NULL DEFAULT 1,
  services INTEGER NOT NULL DEFAULT 31,
  created_at INTEGER NOT NULL,
  last_login INTEGER NOT NULL DEFAULT 0
);
INSERT INTO accounts_v2 SELECT id, domain_id, login, address, display_name, password_hash, scram_secret,
  quota, enabled, services, created_at, last_login FROM accounts;
DROP TABLE accounts;
ALTER TABLE accounts_v2 RENAME TO accounts;
CREATE INDEX accounts_domain ON accounts(domain_id);
)sql",
         kSqlite},
        {R"sql(CREATE TABLE removed_accounts (
  id {int} PRIMARY KEY,
  address {key} NOT NULL,
  removed_at {int} NOT NULL
) {table})sql"},
        {R"sql(CREATE TRIGGER accounts_tombstone AFTER DELETE ON accounts BEGIN
  INSERT OR REPLACE INTO removed_accounts (id, address, removed_at) VALUES (old.id, old.address, unixepoch());
END)sql",
         kSqlite},
    },
    // v3: Sieve scripts (ManageSieve, RFC 5804), at most one active per account: a partial unique
    // index where the dialect has one; MariaDB relies on activate_sieve_script's transaction.
    {
        {R"sql(CREATE TABLE sieve_scripts (
  account_id {int} NOT NULL,
  name {key} NOT NULL,
  content {blob} NOT NULL,
  active {int} NOT NULL DEFAULT 0,
  updated_at {int} NOT NULL,
  PRIMARY KEY (account_id, name),
  FOREIGN KEY (account_id) REFERENCES accounts(id) ON DELETE CASCADE
) {table})sql"},
        {"CREATE UNIQUE INDEX sieve_scripts_one_active ON sieve_scripts(account_id) WHERE active", kSqlite},
        {"CREATE UNIQUE INDEX sieve_scripts_one_active ON sieve_scripts(account_id) WHERE active <> 0", kPostgresql},
    },
    // v4: tombstones written by the code in every dialect (MariaDB fires no trigger for a
    // foreign-key cascade), and the directory's change counter behind version().
    {
        {"DROP TRIGGER IF EXISTS accounts_tombstone", kSqlite},
        {"CREATE TABLE directory_version (id {int} PRIMARY KEY, version {int} NOT NULL) {table}"},
        {"INSERT INTO directory_version (id, version) VALUES (1, 0)"},
    },
    // v5: the web admin's credentials (app passwords of mail clients, API keys, TOTP secrets) and
    // the audit log of changes.
    {
        {R"sql(CREATE TABLE app_passwords (
  id {id},
  account_id {int} NOT NULL,
  name {key} NOT NULL,
  hash {key} NOT NULL UNIQUE,
  created_at {int} NOT NULL,
  FOREIGN KEY (account_id) REFERENCES accounts(id) ON DELETE CASCADE
) {table})sql"},
        {"CREATE INDEX app_passwords_account ON app_passwords(account_id)"},
        {R"sql(CREATE TABLE api_keys (
  id {id},
  name {key} NOT NULL,
  hash {key} NOT NULL UNIQUE,
  owner {nocase} NOT NULL,
  is_super {int} NOT NULL DEFAULT 0,
  domains {text} NOT NULL,
  created_at {int} NOT NULL,
  expires_at {int} NOT NULL DEFAULT 0,
  revoked_at {int} NOT NULL DEFAULT 0
) {table})sql"},
        {R"sql(CREATE TABLE totp_secrets (
  principal {nocase} NOT NULL PRIMARY KEY,
  secret {blob} NOT NULL,
  confirmed {int} NOT NULL DEFAULT 0,
  last_step {int} NOT NULL DEFAULT 0
) {table})sql"},
        {R"sql(CREATE TABLE audit_log (
  id {id},
  at {int} NOT NULL,
  actor {key} NOT NULL,
  role {key} NOT NULL,
  ip {key} NOT NULL,
  action {key} NOT NULL,
  object {key} NOT NULL,
  domain {nocase} NOT NULL,
  before_json {text} NOT NULL,
  after_json {text} NOT NULL
) {table})sql"},
        {"CREATE INDEX audit_log_domain ON audit_log(domain, id)"},
    },
    // v6: the web UI's preferences of each login (language, page size, quota warning level).
    {
        {R"sql(CREATE TABLE web_preferences (
  principal {key} NOT NULL PRIMARY KEY,
  data {text} NOT NULL,
  updated_at {int} NOT NULL
) {table})sql"},
    },
};

const std::string kDomainColumns =
    "id, name, default_quota, max_quota_per_account, total_quota, max_accounts, username_scheme, prefix, "
    "next_login_number, transport, created_at";
const std::string kAccountColumns =
    "id, domain_id, login, address, display_name, password_hash, scram_secret, quota, enabled, services, "
    "created_at, last_login";
const std::string kSelectDomains = "SELECT " + kDomainColumns + " FROM domains ";
const std::string kSelectAccounts = "SELECT " + kAccountColumns + " FROM accounts ";

Domain read_domain(const Cursor& st) {
  Domain d;
  d.id = st.int64(0);
  d.name = st.text(1);
  d.default_quota = uint64_t(st.int64(2));
  d.max_quota_per_account = uint64_t(st.int64(3));
  d.total_quota = uint64_t(st.int64(4));
  d.max_accounts = uint32_t(st.int64(5));
  d.username_scheme = st.text(6);
  d.prefix = st.text(7);
  d.next_login_number = uint32_t(st.int64(8));
  d.transport = st.text(9);
  d.created_at = st.int64(10);
  return d;
}

Account read_account(const Cursor& st) {
  Account a;
  a.id = st.int64(0);
  a.domain_id = st.int64(1);
  a.login = st.text(2);
  a.address = st.text(3);
  a.display_name = st.text(4);
  a.password_hash = st.text(5);
  a.scram_secret = st.text(6);
  a.quota = uint64_t(st.int64(7));
  a.enabled = st.int64(8) != 0;
  a.services = uint32_t(st.int64(9));
  a.created_at = st.int64(10);
  a.last_login = st.int64(11);
  return a;
}

std::optional<Domain> one_domain(Cursor c) {
  if (!c.step()) return std::nullopt;
  return read_domain(c);
}

std::optional<Account> one_account(Cursor c) {
  if (!c.step()) return std::nullopt;
  return read_account(c);
}

std::optional<SieveScript> one_sieve_script(Cursor c) {
  if (!c.step()) return std::nullopt;
  SieveScript s{c.text(0), c.blob(1), 0, c.int64(2) != 0, c.int64(3)};
  s.size = s.content.size();
  return s;
}

int64_t now() { return int64_t(std::time(nullptr)); }

// Runs a statement whose constraint violation means the caller asked for a conflicting change.
template <class... Args>
int64_t run_unique(Connection& c, const std::string& conflict_message, const std::string& sql, const Args&... args) {
  try {
    return c.run(sql, args...);
  } catch (const sqldb::Error& e) {
    if (e.is_constraint()) throw Error(Error::Conflict, conflict_message);
    throw;
  }
}

void require_sieve_script(Connection& c, int64_t account_id, std::string_view name) {
  if (!c.scalar("SELECT 1 FROM sieve_scripts WHERE account_id = ? AND name = ?", account_id, name))
    throw Error(Error::NotFound, "no such script: " + std::string(name));
}

void write_admin_domains(Connection& c, int64_t admin_id, const std::vector<std::string>& domains) {
  for (const auto& d : domains) {
    auto domain_id = c.scalar("SELECT id FROM domains WHERE name = ?", d);
    if (!domain_id) throw Error(Error::NotFound, "no such domain: " + d);
    c.run("INSERT INTO admin_domains (admin_id, domain_id) VALUES (?, ?) {ignore_conflict admin_id}", admin_id,
          *domain_id);
  }
}

void tombstone(Connection& c, int64_t id, const std::string& address) {
  c.run("INSERT INTO removed_accounts (id, address, removed_at) VALUES (?, ?, ?) {upsert id|address, removed_at}", id,
        address, now());
}

class SqlDirectory final : public Directory {
 public:
  explicit SqlDirectory(std::unique_ptr<sqldb::Pool> pool) : pool_(std::move(pool)) {
    sqldb::migrate(*pool_, "directory", kMigrations);
  }

  void add_domain(const Domain& d) override {
    write([&](Connection& c) {
      run_unique(c, "domain " + d.name + " already exists",
                 "INSERT INTO domains (name, default_quota, max_quota_per_account, total_quota, max_accounts, "
                 "username_scheme, prefix, next_login_number, transport, created_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
                 d.name, d.default_quota, d.max_quota_per_account, d.total_quota, d.max_accounts, d.username_scheme,
                 d.prefix, d.next_login_number, d.transport, now());
    });
  }

  std::optional<Domain> find_domain(std::string_view name) override {
    return read([&](Connection& c) { return one_domain(c.query(kSelectDomains + "WHERE name = ?", name)); });
  }

  std::optional<Domain> domain_by_id(int64_t id) override {
    return read([&](Connection& c) { return one_domain(c.query(kSelectDomains + "WHERE id = ?", id)); });
  }

  std::vector<Domain> list_domains() override {
    return read([&](Connection& c) {
      std::vector<Domain> out;
      auto st = c.query(kSelectDomains + "ORDER BY name");
      while (st.step()) out.push_back(read_domain(st));
      return out;
    });
  }

  void update_domain(const Domain& d) override {
    write([&](Connection& c) {
      int64_t changed = run_unique(c, "domain " + d.name + " already exists",
                                   "UPDATE domains SET name=?, default_quota=?, max_quota_per_account=?, "
                                   "total_quota=?, max_accounts=?, username_scheme=?, prefix=?, transport=? WHERE id=?",
                                   d.name, d.default_quota, d.max_quota_per_account, d.total_quota, d.max_accounts,
                                   d.username_scheme, d.prefix, d.transport, d.id);
      if (changed == 0) throw Error(Error::NotFound, "no such domain: " + d.name);
    });
  }

  uint32_t take_login_number(int64_t domain_id) override {
    return write([&](Connection& c) {
      auto n = c.scalar("SELECT next_login_number FROM domains WHERE id = ?", domain_id);
      if (!n) throw Error(Error::NotFound, "no such domain");
      c.run("UPDATE domains SET next_login_number = ? WHERE id = ?", *n + 1, domain_id);
      return uint32_t(*n);
    });
  }

  void remove_domain(int64_t id) override {
    write([&](Connection& c) {
      std::vector<std::pair<int64_t, std::string>> accounts;
      {
        auto st = c.query("SELECT id, address FROM accounts WHERE domain_id = ?", id);
        while (st.step()) accounts.emplace_back(st.int64(0), st.text(1));
      }
      for (const auto& [account_id, address] : accounts) tombstone(c, account_id, address);
      // Its accounts, aliases, delegations and scripts go by the foreign keys' cascades.
      if (c.run("DELETE FROM domains WHERE id = ?", id) == 0) throw Error(Error::NotFound, "no such domain");
    });
  }

  int64_t add_account(const Account& a) override {
    return write([&](Connection& c) {
      try {
        return c.insert(
            "INSERT INTO accounts (domain_id, login, address, display_name, password_hash, scram_secret, quota, "
            "enabled, services, created_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
            a.domain_id, a.login, a.address, a.display_name, a.password_hash, a.scram_secret, a.quota, a.enabled,
            a.services, now());
      } catch (const sqldb::Error& e) {
        if (e.is_constraint()) throw Error(Error::Conflict, "account " + a.address + " already exists");
        throw;
      }
    });
  }

  std::optional<Account> find_account_by_login(std::string_view login) override {
    return read([&](Connection& c) { return one_account(c.query(kSelectAccounts + "WHERE login = ?", login)); });
  }

  std::optional<Account> find_account_by_address(std::string_view address) override {
    return read([&](Connection& c) { return one_account(c.query(kSelectAccounts + "WHERE address = ?", address)); });
  }

  std::optional<Account> account_by_id(int64_t id) override {
    return read([&](Connection& c) { return one_account(c.query(kSelectAccounts + "WHERE id = ?", id)); });
  }

  std::vector<Account> list_accounts(std::optional<int64_t> domain_id) override {
    return read([&](Connection& c) {
      std::vector<Account> out;
      auto st = domain_id ? c.query(kSelectAccounts + "WHERE domain_id = ? ORDER BY address", *domain_id)
                          : c.query(kSelectAccounts + "ORDER BY address");
      while (st.step()) out.push_back(read_account(st));
      return out;
    });
  }

  uint32_t count_accounts(int64_t domain_id) override {
    return read([&](Connection& c) {
      return uint32_t(c.scalar("SELECT count(*) FROM accounts WHERE domain_id = ?", domain_id).value_or(0));
    });
  }

  uint64_t sum_account_quota(int64_t domain_id) override {
    return read([&](Connection& c) {
      return uint64_t(c.scalar("SELECT coalesce(sum(quota), 0) FROM accounts WHERE domain_id = ?", domain_id).value_or(0));
    });
  }

  void update_account(const Account& a) override {
    write([&](Connection& c) {
      int64_t changed =
          run_unique(c, "login or address already taken: " + a.address,
                     "UPDATE accounts SET login=?, address=?, display_name=?, quota=?, enabled=?, services=? WHERE id=?",
                     a.login, a.address, a.display_name, a.quota, a.enabled, a.services, a.id);
      if (changed == 0) throw Error(Error::NotFound, "no such account: " + a.address);
    });
  }

  CapCheck add_account_within(const Account& a, const AccountCaps& caps, int64_t& id) override {
    return write([&](Connection& c) {
      if (auto broken = check_caps(c, a.domain_id, caps, 1, a.quota, 0); broken != CapCheck::Ok) return broken;
      try {
        id = c.insert(
            "INSERT INTO accounts (domain_id, login, address, display_name, password_hash, scram_secret, quota, "
            "enabled, services, created_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
            a.domain_id, a.login, a.address, a.display_name, a.password_hash, a.scram_secret, a.quota, a.enabled,
            a.services, now());
      } catch (const sqldb::Error& e) {
        if (e.is_constraint()) throw Error(Error::Conflict, "account " + a.address + " already exists");
        throw;
      }
      return CapCheck::Ok;
    });
  }

  CapCheck update_account_within(const Account& a, const AccountCaps& caps) override {
    return write([&](Connection& c) {
      uint64_t previous = uint64_t(c.scalar("SELECT quota FROM accounts WHERE id = ?", a.id).value_or(0));
      AccountCaps quota_only{0, caps.total_quota};
      if (auto broken = check_caps(c, a.domain_id, quota_only, 0, a.quota, previous); broken != CapCheck::Ok)
        return broken;
      int64_t changed =
          run_unique(c, "login or address already taken: " + a.address,
                     "UPDATE accounts SET login=?, address=?, display_name=?, quota=?, enabled=?, services=? WHERE id=?",
                     a.login, a.address, a.display_name, a.quota, a.enabled, a.services, a.id);
      if (changed == 0) throw Error(Error::NotFound, "no such account: " + a.address);
      return CapCheck::Ok;
    });
  }

  void set_credentials(int64_t account_id, const std::string& hash, const std::string& scram) override {
    write([&](Connection& c) {
      c.run("UPDATE accounts SET password_hash = ?, scram_secret = ? WHERE id = ?", hash, scram, account_id);
    });
  }

  void record_login(int64_t account_id, int64_t when) override {
    // Not a change caches care about: no version bump (every login would empty them).
    write_unversioned([&](Connection& c) {
      c.run("UPDATE accounts SET last_login = ? WHERE id = ?", when, account_id);
    });
  }

  void remove_account(int64_t id) override {
    write([&](Connection& c) {
      std::string address;
      {
        auto st = c.query("SELECT address FROM accounts WHERE id = ?", id);
        if (!st.step()) throw Error(Error::NotFound, "no such account");
        address = st.text(0);
      }
      // Its forwards go with it, and so do alias rows that point at it.
      c.run("DELETE FROM aliases WHERE source = ? OR target = ?", address, address);
      tombstone(c, id, address);
      c.run("DELETE FROM accounts WHERE id = ?", id);
    });
  }

  void add_alias_targets(int64_t domain_id, const std::string& source,
                         const std::vector<std::string>& targets) override {
    write([&](Connection& c) {
      for (const auto& t : targets)
        run_unique(c, "no such domain",
                   "INSERT INTO aliases (domain_id, source, target) VALUES (?,?,?) {ignore_conflict id}",
                   domain_id, source, t);
    });
  }

  std::vector<std::string> alias_targets(std::string_view source) override {
    return read([&](Connection& c) {
      std::vector<std::string> out;
      auto st = c.query("SELECT target FROM aliases WHERE source = ? ORDER BY id", source);
      while (st.step()) out.push_back(st.text(0));
      return out;
    });
  }

  std::vector<Alias> list_aliases(std::optional<int64_t> domain_id) override {
    return read([&](Connection& c) {
      std::vector<Alias> out;
      auto st = domain_id
                    ? c.query("SELECT source, target FROM aliases WHERE domain_id = ? ORDER BY source, id", *domain_id)
                    : c.query("SELECT source, target FROM aliases ORDER BY source, id");
      while (st.step()) {
        std::string source = st.text(0);
        if (out.empty() || !iequals(out.back().source, source)) out.push_back({source, {}});
        out.back().targets.push_back(st.text(1));
      }
      return out;
    });
  }

  size_t remove_alias(std::string_view source, std::optional<std::string> target) override {
    return write([&](Connection& c) {
      return size_t(target ? c.run("DELETE FROM aliases WHERE source = ? AND target = ?", source, *target)
                           : c.run("DELETE FROM aliases WHERE source = ?", source));
    });
  }

  void add_admin(const Admin& a) override {
    write([&](Connection& c) {
      int64_t id;
      try {
        id = c.insert("INSERT INTO admins (name, password_hash, is_super, created_at) VALUES (?,?,?,?)", a.name,
                      a.password_hash, a.is_super, now());
      } catch (const sqldb::Error& e) {
        if (e.is_constraint()) throw Error(Error::Conflict, "admin " + a.name + " already exists");
        throw;
      }
      write_admin_domains(c, id, a.domains);
    });
  }

  std::optional<Admin> find_admin(std::string_view name) override {
    return read([&](Connection& c) -> std::optional<Admin> {
      auto admins = read_admins(c, "SELECT id, name, password_hash, is_super FROM admins WHERE name = ?", name);
      if (admins.empty()) return std::nullopt;
      return std::move(admins.front());
    });
  }

  std::vector<Admin> list_admins() override {
    return read([&](Connection& c) {
      return read_admins(c, "SELECT id, name, password_hash, is_super FROM admins ORDER BY name");
    });
  }

  void update_admin(const Admin& a) override {
    write([&](Connection& c) {
      run_unique(c, "admin " + a.name + " already exists",
                 "UPDATE admins SET name = ?, password_hash = ?, is_super = ? WHERE id = ?", a.name, a.password_hash,
                 a.is_super, a.id);
      c.run("DELETE FROM admin_domains WHERE admin_id = ?", a.id);
      write_admin_domains(c, a.id, a.domains);
    });
  }

  void remove_admin(int64_t id) override {
    write([&](Connection& c) {
      if (c.run("DELETE FROM admins WHERE id = ?", id) == 0) throw Error(Error::NotFound, "no such admin");
    });
  }

  std::vector<RemovedAccount> removed_accounts() override {
    return read([&](Connection& c) {
      std::vector<RemovedAccount> out;
      auto st = c.query("SELECT id, address, removed_at FROM removed_accounts ORDER BY id");
      while (st.step()) out.push_back({st.int64(0), st.text(1), st.int64(2)});
      return out;
    });
  }

  void forget_removed_account(int64_t id) override {
    write([&](Connection& c) { c.run("DELETE FROM removed_accounts WHERE id = ?", id); });
  }

  void reserve_account_ids(int64_t through) override {
    write([&](Connection& c) { sqldb::reserve_ids(c, "accounts", through); });
  }

  std::vector<SieveScript> list_sieve_scripts(int64_t account_id) override {
    return read([&](Connection& c) {
      auto st = c.query(
          "SELECT name, length(content), active, updated_at FROM sieve_scripts WHERE account_id = ? ORDER BY name",
          account_id);
      std::vector<SieveScript> out;
      while (st.step()) out.push_back({st.text(0), "", uint64_t(st.int64(1)), st.int64(2) != 0, st.int64(3)});
      return out;
    });
  }

  std::optional<SieveScript> find_sieve_script(int64_t account_id, std::string_view name) override {
    return read([&](Connection& c) {
      return one_sieve_script(c.query(
          "SELECT name, content, active, updated_at FROM sieve_scripts WHERE account_id = ? AND name = ?", account_id,
          name));
    });
  }

  std::optional<SieveScript> active_sieve_script(int64_t account_id) override {
    return read([&](Connection& c) {
      return one_sieve_script(c.query(
          "SELECT name, content, active, updated_at FROM sieve_scripts WHERE account_id = ? AND active <> 0",
          account_id));
    });
  }

  void put_sieve_script(int64_t account_id, const std::string& name, const std::string& content) override {
    write([&](Connection& c) {
      run_unique(c, "no such account",
                 "INSERT INTO sieve_scripts (account_id, name, content, updated_at) VALUES (?,?,?,?) "
                 "{upsert account_id, name|content, updated_at}",
                 account_id, name, sqldb::Blob{content}, now());
    });
  }

  void activate_sieve_script(int64_t account_id, std::string_view name) override {
    write([&](Connection& c) {
      if (!name.empty()) require_sieve_script(c, account_id, name);
      c.run("UPDATE sieve_scripts SET active = 0 WHERE account_id = ? AND active <> 0", account_id);
      if (name.empty()) return;
      c.run("UPDATE sieve_scripts SET active = 1 WHERE account_id = ? AND name = ?", account_id, name);
    });
  }

  void remove_sieve_script(int64_t account_id, std::string_view name) override {
    write([&](Connection& c) {
      if (c.run("DELETE FROM sieve_scripts WHERE account_id = ? AND name = ? AND active = 0", account_id, name) != 0)
        return;
      require_sieve_script(c, account_id, name);
      throw Error(Error::Conflict, "the active script cannot be removed: " + std::string(name));
    });
  }

  void rename_sieve_script(int64_t account_id, std::string_view from, std::string_view to) override {
    write([&](Connection& c) {
      require_sieve_script(c, account_id, from);
      run_unique(c, "a script named " + std::string(to) + " exists",
                 "UPDATE sieve_scripts SET name = ?, updated_at = ? WHERE account_id = ? AND name = ?", to, now(),
                 account_id, from);
    });
  }

  uint64_t version() override {
    return read([&](Connection& c) {
      return uint64_t(c.scalar("SELECT version FROM directory_version WHERE id = 1").value_or(0));
    });
  }

 private:
  // The pool's read/write, with the SQL layer's failures other than the ones a method turned
  // into Conflict or NotFound reported as Unavailable (the protocols answer 451 4.3.0 to those).
  template <class F>
  auto read(F&& fn) -> std::invoke_result_t<F, Connection&> {
    return unavailable_on_failure([&] { return pool_->read(fn); });
  }

  template <class F>
  auto write(F&& fn) -> std::invoke_result_t<F, Connection&> {
    return unavailable_on_failure([&] {
      return pool_->write([&](Connection& c) {
        if constexpr (std::is_void_v<std::invoke_result_t<F, Connection&>>) {
          fn(c);
          bump_version(c);
        } else {
          auto result = fn(c);
          bump_version(c);
          return result;
        }
      });
    });
  }

  // Inside a write transaction (serializable, or SQLite's one writer): would the domain break a
  // cap with `more_accounts` more accounts and one account's quota going from `previous` to
  // `quota`? Both counts are read in the transaction that then writes.
  static CapCheck check_caps(Connection& c, int64_t domain_id, const AccountCaps& caps, uint32_t more_accounts,
                             uint64_t quota, uint64_t previous) {
    if (caps.max_accounts && more_accounts) {
      auto n = uint64_t(c.scalar("SELECT count(*) FROM accounts WHERE domain_id = ?", domain_id).value_or(0));
      if (n + more_accounts > caps.max_accounts) return CapCheck::MaxAccounts;
    }
    if (caps.total_quota) {
      auto sum = uint64_t(c.scalar("SELECT coalesce(sum(quota), 0) FROM accounts WHERE domain_id = ?", domain_id)
                              .value_or(0));
      if (quota == 0 || sum - std::min(sum, previous) + quota > caps.total_quota) return CapCheck::TotalQuota;
    }
    return CapCheck::Ok;
  }

  template <class F>
  auto write_unversioned(F&& fn) -> std::invoke_result_t<F, Connection&> {
    return unavailable_on_failure([&] { return pool_->write(fn); });
  }

  template <class F>
  static auto unavailable_on_failure(F&& fn) -> decltype(fn()) {
    try {
      return fn();
    } catch (const sqldb::Error& e) {
      throw Error(Error::Unavailable, std::string("directory unavailable: ") + e.what());
    }
  }

  std::vector<Account> page_accounts(std::optional<int64_t> domain_id, std::string_view after, size_t limit) override {
    return read([&](Connection& c) {
      std::vector<Account> out;
      auto st = domain_id ? c.query(kSelectAccounts + "WHERE domain_id = ? AND address > ? ORDER BY address LIMIT ?",
                                    *domain_id, after, int64_t(limit))
                          : c.query(kSelectAccounts + "WHERE address > ? ORDER BY address LIMIT ?", after, int64_t(limit));
      while (st.step()) out.push_back(read_account(st));
      return out;
    });
  }

  // ---- app passwords ----

  int64_t add_app_password(const AppPassword& p) override {
    return write([&](Connection& c) {
      return c.insert("INSERT INTO app_passwords (account_id, name, hash, created_at) VALUES (?,?,?,?)", p.account_id,
                      p.name, p.hash, now());
    });
  }

  static AppPassword read_app_password(const Cursor& st) {
    return {st.int64(0), st.int64(1), st.text(2), st.text(3), st.int64(4)};
  }

  std::vector<AppPassword> list_app_passwords(int64_t account_id) override {
    return read([&](Connection& c) {
      std::vector<AppPassword> out;
      auto st = c.query("SELECT id, account_id, name, hash, created_at FROM app_passwords WHERE account_id = ? ORDER BY id",
                        account_id);
      while (st.step()) out.push_back(read_app_password(st));
      return out;
    });
  }

  std::optional<AppPassword> find_app_password(std::string_view hash) override {
    return read([&](Connection& c) -> std::optional<AppPassword> {
      auto st = c.query("SELECT id, account_id, name, hash, created_at FROM app_passwords WHERE hash = ?", hash);
      if (!st.step()) return std::nullopt;
      return read_app_password(st);
    });
  }

  bool remove_app_password(int64_t account_id, int64_t id) override {
    return write([&](Connection& c) {
      return c.run("DELETE FROM app_passwords WHERE id = ? AND account_id = ?", id, account_id) > 0;
    });
  }

  // ---- API keys ----

  int64_t add_api_key(const ApiKey& k) override {
    return write([&](Connection& c) {
      return c.insert("INSERT INTO api_keys (name, hash, owner, is_super, domains, created_at, expires_at) "
                      "VALUES (?,?,?,?,?,?,?)",
                      k.name, k.hash, k.owner, k.is_super, join_words(k.domains), now(), k.expires_at);
    });
  }

  static std::string join_words(const std::vector<std::string>& words) {
    std::string out;
    for (const auto& w : words) out += (out.empty() ? "" : " ") + w;
    return out;
  }

  static ApiKey read_api_key(const Cursor& st) {
    ApiKey k;
    k.id = st.int64(0);
    k.name = st.text(1);
    k.hash = st.text(2);
    k.owner = st.text(3);
    k.is_super = st.int64(4) != 0;
    const std::string domains = st.text(5);
    for (auto w : split(domains, ' '))
      if (!w.empty()) k.domains.emplace_back(w);
    k.created_at = st.int64(6);
    k.expires_at = st.int64(7);
    k.revoked_at = st.int64(8);
    return k;
  }

  static constexpr const char* kSelectApiKeys =
      "SELECT id, name, hash, owner, is_super, domains, created_at, expires_at, revoked_at FROM api_keys ";

  std::optional<ApiKey> find_api_key(std::string_view hash) override {
    return read([&](Connection& c) -> std::optional<ApiKey> {
      auto st = c.query(std::string(kSelectApiKeys) + "WHERE hash = ?", hash);
      if (!st.step()) return std::nullopt;
      return read_api_key(st);
    });
  }

  std::vector<ApiKey> list_api_keys() override {
    return read([&](Connection& c) {
      std::vector<ApiKey> out;
      auto st = c.query(std::string(kSelectApiKeys) + "ORDER BY id");
      while (st.step()) out.push_back(read_api_key(st));
      return out;
    });
  }

  bool revoke_api_key(int64_t id, int64_t when) override {
    return write([&](Connection& c) {
      return c.run("UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at = 0", when, id) > 0;
    });
  }

  // ---- TOTP ----

  std::optional<TotpSecret> find_totp(std::string_view principal) override {
    return read([&](Connection& c) -> std::optional<TotpSecret> {
      auto st = c.query("SELECT principal, secret, confirmed, last_step FROM totp_secrets WHERE principal = ?", principal);
      if (!st.step()) return std::nullopt;
      return TotpSecret{st.text(0), st.blob(1), st.int64(2) != 0, st.int64(3)};
    });
  }

  void put_totp(const TotpSecret& t) override {
    write([&](Connection& c) {
      c.run("INSERT INTO totp_secrets (principal, secret, confirmed, last_step) VALUES (?,?,?,?) "
            "{upsert principal|secret, confirmed, last_step}",
            t.principal, sqldb::Blob{t.secret}, t.confirmed, t.last_step);
    });
  }

  std::optional<std::string> find_preferences(std::string_view principal) override {
    return read([&](Connection& c) -> std::optional<std::string> {
      auto st = c.query("SELECT data FROM web_preferences WHERE principal = ?", principal);
      if (!st.step()) return std::nullopt;
      return st.text(0);
    });
  }

  void put_preferences(std::string_view principal, const std::string& json) override {
    // Not a change caches care about: no version bump.
    write_unversioned([&](Connection& c) {
      if (json.empty()) {
        c.run("DELETE FROM web_preferences WHERE principal = ?", principal);
        return;
      }
      c.run("INSERT INTO web_preferences (principal, data, updated_at) VALUES (?,?,?) {upsert principal|data, updated_at}",
            principal, json, now());
    });
  }

  void remove_totp(std::string_view principal) override {
    write([&](Connection& c) { c.run("DELETE FROM totp_secrets WHERE principal = ?", principal); });
  }

  bool use_totp_step(std::string_view principal, int64_t step) override {
    return write_unversioned([&](Connection& c) {
      return c.run("UPDATE totp_secrets SET last_step = ? WHERE principal = ? AND last_step < ?", step, principal,
                   step) > 0;
    });
  }

  // ---- audit log ----

  int64_t append_audit(const AuditEntry& e) override {
    return write_unversioned([&](Connection& c) {
      return c.insert("INSERT INTO audit_log (at, actor, role, ip, action, object, domain, before_json, after_json) "
                      "VALUES (?,?,?,?,?,?,?,?,?)",
                      e.at ? e.at : now(), e.actor, e.role, e.ip, e.action, e.object, e.domain, e.before, e.after);
    });
  }

  std::vector<AuditEntry> list_audit(const std::optional<std::vector<std::string>>& domains, int64_t before_id, size_t limit) override {
    return read([&](Connection& c) {
      std::vector<AuditEntry> out;
      const std::string select =
          "SELECT id, at, actor, role, ip, action, object, domain, before_json, after_json FROM audit_log ";
      auto collect = [&](Cursor st) {
        while (st.step())
          out.push_back({st.int64(0), st.int64(1), st.text(2), st.text(3), st.text(4), st.text(5), st.text(6),
                         st.text(7), st.text(8), st.text(9)});
      };
      int64_t below = before_id > 0 ? before_id : INT64_MAX;
      if (!domains) {
        collect(c.query(select + "WHERE id < ? ORDER BY id DESC LIMIT ?", below, int64_t(limit)));
      } else {
        for (const auto& d : *domains)
          collect(c.query(select + "WHERE domain = ? AND id < ? ORDER BY id DESC LIMIT ?", d, below, int64_t(limit)));
        std::sort(out.begin(), out.end(), [](const AuditEntry& a, const AuditEntry& b) { return a.id > b.id; });
        if (out.size() > limit) out.resize(limit);
      }
      return out;
    });
  }

  static void bump_version(Connection& c) {
    c.run("UPDATE directory_version SET version = version + 1 WHERE id = 1");
  }

  template <class... Args>
  static std::vector<Admin> read_admins(Connection& c, const std::string& sql, const Args&... args) {
    std::vector<Admin> out;
    {
      auto st = c.query(sql, args...);
      while (st.step()) {
        Admin a;
        a.id = st.int64(0);
        a.name = st.text(1);
        a.password_hash = st.text(2);
        a.is_super = st.int64(3) != 0;
        out.push_back(std::move(a));
      }
    }
    for (auto& a : out) {
      auto doms = c.query(
          "SELECT d.name FROM admin_domains ad JOIN domains d ON d.id = ad.domain_id WHERE ad.admin_id = ? "
          "ORDER BY d.name",
          a.id);
      while (doms.step()) a.domains.push_back(doms.text(0));
    }
    return out;
  }

  std::unique_ptr<sqldb::Pool> pool_;
};

}  // namespace

std::optional<Service> service_from_name(std::string_view name) {
  if (iequals(name, "imap")) return kImap;
  if (iequals(name, "pop3")) return kPop3;
  if (iequals(name, "sieve")) return kSieve;
  if (iequals(name, "submission") || iequals(name, "smtp")) return kSubmission;
  if (iequals(name, "receive")) return kReceive;
  return std::nullopt;
}

std::string service_names(uint32_t services) {
  std::string out;
  const std::pair<Service, const char*> names[] = {
      {kImap, "imap"}, {kPop3, "pop3"}, {kSieve, "sieve"}, {kSubmission, "submission"}, {kReceive, "receive"}};
  for (auto [bit, name] : names) {
    if (!(services & bit)) continue;
    if (!out.empty()) out += ' ';
    out += name;
  }
  return out;
}

std::unique_ptr<Directory> open_sql(std::unique_ptr<sqldb::Pool> pool) {
  try {
    return std::make_unique<SqlDirectory>(std::move(pool));
  } catch (const sqldb::Error& e) {
    throw Error(Error::Unavailable, std::string("directory unavailable: ") + e.what());
  }
}

std::unique_ptr<Directory> open_sqlite(const std::string& path) {
  // Enough connections for the server's offload threads to read side by side (WAL).
  constexpr size_t kConnections = 8;
  auto factory = [path] { return sqldb::open_sqlite(path); };
  return open_sql(std::make_unique<sqldb::Pool>(sqldb::Dialect::sqlite, factory, kConnections));
}

}  // namespace kurier::directory
