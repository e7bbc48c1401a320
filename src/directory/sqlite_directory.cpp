// The embedded SQLite directory. All SQL of this backend lives in this file.
// One connection guarded by a mutex: directory calls are short (a login, a RCPT lookup), and the
// CLI writes from another process through WAL; PRAGMA data_version tells us when it did.
#include <ctime>
#include <mutex>
#include <type_traits>

#include "common/sqlite.h"
#include "common/strings.h"
#include "directory/directory.h"

namespace kurier::directory {
namespace {

// Schema versions: append a new string to migrate; never edit a shipped one.
const std::vector<std::string> kMigrations = {
    R"sql(
CREATE TABLE domains (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE COLLATE NOCASE,
  default_quota INTEGER NOT NULL DEFAULT 0,
  max_quota_per_account INTEGER NOT NULL DEFAULT 0,
  total_quota INTEGER NOT NULL DEFAULT 0,
  max_accounts INTEGER NOT NULL DEFAULT 0,
  username_scheme TEXT NOT NULL DEFAULT 'address' CHECK (username_scheme IN ('address', 'prefix')),
  prefix TEXT NOT NULL DEFAULT '',
  next_login_number INTEGER NOT NULL DEFAULT 1,
  transport TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL
);
CREATE TABLE accounts (
  id INTEGER PRIMARY KEY,
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
CREATE INDEX accounts_domain ON accounts(domain_id);
CREATE TABLE aliases (
  id INTEGER PRIMARY KEY,
  domain_id INTEGER NOT NULL REFERENCES domains(id) ON DELETE CASCADE,
  source TEXT NOT NULL COLLATE NOCASE,
  target TEXT NOT NULL COLLATE NOCASE,
  UNIQUE (source, target)
);
CREATE INDEX aliases_domain ON aliases(domain_id);
CREATE TABLE admins (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE COLLATE NOCASE,
  password_hash TEXT NOT NULL,
  is_super INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL
);
CREATE TABLE admin_domains (
  admin_id INTEGER NOT NULL REFERENCES admins(id) ON DELETE CASCADE,
  domain_id INTEGER NOT NULL REFERENCES domains(id) ON DELETE CASCADE,
  PRIMARY KEY (admin_id, domain_id)
);
)sql",
    // v2: account ids are never reused (AUTOINCREMENT), so a new account can never address a
    // removed one's mailboxes; and every removal, by whichever process and path (a user removal,
    // a domain removal's cascade), leaves a tombstone in removed_accounts. `kurier serve` purges
    // the tombstoned account's mail and forgets the tombstone (server/account_reaper.h).
    R"sql(
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
CREATE TABLE removed_accounts (
  id INTEGER PRIMARY KEY,
  address TEXT NOT NULL,
  removed_at INTEGER NOT NULL
);
-- A trigger, not code: foreign-key cascades (DELETE FROM domains) fire it too.
CREATE TRIGGER accounts_tombstone AFTER DELETE ON accounts BEGIN
  INSERT OR REPLACE INTO removed_accounts (id, address, removed_at) VALUES (old.id, old.address, unixepoch());
END;
)sql",
    // v3: Sieve scripts (ManageSieve, RFC 5804), at most one active per account.
    R"sql(
CREATE TABLE sieve_scripts (
  account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  content BLOB NOT NULL,
  active INTEGER NOT NULL DEFAULT 0,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (account_id, name)
);
CREATE UNIQUE INDEX sieve_scripts_one_active ON sieve_scripts(account_id) WHERE active;
)sql",
};

constexpr const char* kDomainColumns =
    "id, name, default_quota, max_quota_per_account, total_quota, max_accounts, username_scheme, prefix, "
    "next_login_number, transport, created_at";
constexpr const char* kAccountColumns =
    "id, domain_id, login, address, display_name, password_hash, scram_secret, quota, enabled, services, "
    "created_at, last_login";

Domain read_domain(sql::Statement& st) {
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

Account read_account(sql::Statement& st) {
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

std::string select_domains(std::string_view where) {
  return std::string("SELECT ") + kDomainColumns + " FROM domains " + std::string(where);
}

std::string select_accounts(std::string_view where) {
  return std::string("SELECT ") + kAccountColumns + " FROM accounts " + std::string(where);
}

class SqliteDirectory final : public Directory {
 public:
  explicit SqliteDirectory(const std::string& path) : db_(path) { db_.migrate(kMigrations); }

  void add_domain(const Domain& d) override {
    guarded([&] {
      auto st = db_.prepare(
          "INSERT INTO domains (name, default_quota, max_quota_per_account, total_quota, max_accounts, "
          "username_scheme, prefix, next_login_number, transport, created_at) VALUES (?,?,?,?,?,?,?,?,?,?)");
      st.bind_all(d.name, d.default_quota, d.max_quota_per_account, d.total_quota, d.max_accounts,
                  d.username_scheme, d.prefix, d.next_login_number, d.transport, now());
      run_unique(st, "domain " + d.name + " already exists");
    });
  }

  std::optional<Domain> find_domain(std::string_view name) override {
    return guarded([&] { return one_domain(select_domains("WHERE name = ?"), name); });
  }

  std::optional<Domain> domain_by_id(int64_t id) override {
    return guarded([&]() -> std::optional<Domain> {
      auto st = db_.prepare(select_domains("WHERE id = ?"));
      st.bind(1, id);
      if (!st.step()) return std::nullopt;
      return read_domain(st);
    });
  }

  std::vector<Domain> list_domains() override {
    return guarded([&] {
      std::vector<Domain> out;
      auto st = db_.prepare(select_domains("ORDER BY name"));
      while (st.step()) out.push_back(read_domain(st));
      return out;
    });
  }

  void update_domain(const Domain& d) override {
    guarded([&] {
      auto st = db_.prepare(
          "UPDATE domains SET name=?, default_quota=?, max_quota_per_account=?, total_quota=?, max_accounts=?, "
          "username_scheme=?, prefix=?, transport=? WHERE id=?");
      st.bind_all(d.name, d.default_quota, d.max_quota_per_account, d.total_quota, d.max_accounts,
                  d.username_scheme, d.prefix, d.transport, d.id);
      run_unique(st, "domain " + d.name + " already exists");
      if (db_.changes() == 0) throw Error(Error::NotFound, "no such domain: " + d.name);
    });
  }

  uint32_t take_login_number(int64_t domain_id) override {
    return guarded([&] {
      uint32_t n = 0;
      db_.transaction([&] {
        auto st = db_.prepare("SELECT next_login_number FROM domains WHERE id = ?");
        st.bind(1, domain_id);
        if (!st.step()) throw Error(Error::NotFound, "no such domain");
        n = uint32_t(st.int64(0));
        auto up = db_.prepare("UPDATE domains SET next_login_number = ? WHERE id = ?");
        up.bind_all(n + 1, domain_id);
        up.run();
      });
      return n;
    });
  }

  void remove_domain(int64_t id) override {
    guarded([&] {
      auto st = db_.prepare("DELETE FROM domains WHERE id = ?");
      st.bind(1, id);
      st.run();
      if (db_.changes() == 0) throw Error(Error::NotFound, "no such domain");
    });
  }

  int64_t add_account(const Account& a) override {
    return guarded([&] {
      auto st = db_.prepare(
          "INSERT INTO accounts (domain_id, login, address, display_name, password_hash, scram_secret, quota, "
          "enabled, services, created_at) VALUES (?,?,?,?,?,?,?,?,?,?)");
      st.bind_all(a.domain_id, a.login, a.address, a.display_name, a.password_hash, a.scram_secret, a.quota,
                  a.enabled, a.services, now());
      run_unique(st, "account " + a.address + " already exists");
      return db_.last_insert_id();
    });
  }

  std::optional<Account> find_account_by_login(std::string_view login) override {
    return guarded([&] { return one_account(select_accounts("WHERE login = ?"), login); });
  }

  std::optional<Account> find_account_by_address(std::string_view address) override {
    return guarded([&] { return one_account(select_accounts("WHERE address = ?"), address); });
  }

  std::optional<Account> account_by_id(int64_t id) override {
    return guarded([&]() -> std::optional<Account> {
      auto st = db_.prepare(select_accounts("WHERE id = ?"));
      st.bind(1, id);
      if (!st.step()) return std::nullopt;
      return read_account(st);
    });
  }

  std::vector<Account> list_accounts(std::optional<int64_t> domain_id) override {
    return guarded([&] {
      std::vector<Account> out;
      auto st = db_.prepare(domain_id ? select_accounts("WHERE domain_id = ? ORDER BY address")
                                      : select_accounts("ORDER BY address"));
      if (domain_id) st.bind(1, *domain_id);
      while (st.step()) out.push_back(read_account(st));
      return out;
    });
  }

  uint32_t count_accounts(int64_t domain_id) override {
    return guarded([&] { return uint32_t(scalar("SELECT count(*) FROM accounts WHERE domain_id = ?", domain_id)); });
  }

  uint64_t sum_account_quota(int64_t domain_id) override {
    return guarded(
        [&] { return uint64_t(scalar("SELECT coalesce(sum(quota), 0) FROM accounts WHERE domain_id = ?", domain_id)); });
  }

  void update_account(const Account& a) override {
    guarded([&] {
      auto st = db_.prepare(
          "UPDATE accounts SET login=?, address=?, display_name=?, quota=?, enabled=?, services=? WHERE id=?");
      st.bind_all(a.login, a.address, a.display_name, a.quota, a.enabled, a.services, a.id);
      run_unique(st, "login or address already taken: " + a.address);
      if (db_.changes() == 0) throw Error(Error::NotFound, "no such account: " + a.address);
    });
  }

  void set_credentials(int64_t account_id, const std::string& hash, const std::string& scram) override {
    guarded([&] {
      auto st = db_.prepare("UPDATE accounts SET password_hash = ?, scram_secret = ? WHERE id = ?");
      st.bind_all(hash, scram, account_id);
      st.run();
    });
  }

  void record_login(int64_t account_id, int64_t when) override {
    guarded([&] {
      auto st = db_.prepare("UPDATE accounts SET last_login = ? WHERE id = ?");
      st.bind_all(when, account_id);
      st.run();
    });
  }

  void remove_account(int64_t id) override {
    guarded([&] {
      db_.transaction([&] {
        auto sel = db_.prepare("SELECT address FROM accounts WHERE id = ?");
        sel.bind(1, id);
        if (!sel.step()) throw Error(Error::NotFound, "no such account");
        std::string address = sel.text(0);
        // Its forwards go with it, and so do alias rows that point at it.
        auto del_alias = db_.prepare("DELETE FROM aliases WHERE source = ? OR target = ?");
        del_alias.bind_all(address, address);
        del_alias.run();
        auto del = db_.prepare("DELETE FROM accounts WHERE id = ?");
        del.bind(1, id);
        del.run();
      });
    });
  }

  void add_alias_targets(int64_t domain_id, const std::string& source,
                         const std::vector<std::string>& targets) override {
    guarded([&] {
      db_.transaction([&] {
        auto st = db_.prepare("INSERT OR IGNORE INTO aliases (domain_id, source, target) VALUES (?,?,?)");
        for (const auto& t : targets) {
          st.bind_all(domain_id, source, t);
          st.run();
          st.reset();
        }
      });
    });
  }

  std::vector<std::string> alias_targets(std::string_view source) override {
    return guarded([&] {
      std::vector<std::string> out;
      auto st = db_.prepare("SELECT target FROM aliases WHERE source = ? ORDER BY id");
      st.bind(1, source);
      while (st.step()) out.push_back(st.text(0));
      return out;
    });
  }

  std::vector<Alias> list_aliases(std::optional<int64_t> domain_id) override {
    return guarded([&] {
      std::vector<Alias> out;
      auto st = db_.prepare(domain_id
                                ? "SELECT source, target FROM aliases WHERE domain_id = ? ORDER BY source, id"
                                : "SELECT source, target FROM aliases ORDER BY source, id");
      if (domain_id) st.bind(1, *domain_id);
      while (st.step()) {
        std::string source = st.text(0);
        if (out.empty() || !iequals(out.back().source, source)) out.push_back({source, {}});
        out.back().targets.push_back(st.text(1));
      }
      return out;
    });
  }

  size_t remove_alias(std::string_view source, std::optional<std::string> target) override {
    return guarded([&] {
      auto st = db_.prepare(target ? "DELETE FROM aliases WHERE source = ? AND target = ?"
                                   : "DELETE FROM aliases WHERE source = ?");
      st.bind(1, source);
      if (target) st.bind(2, *target);
      st.run();
      return size_t(db_.changes());
    });
  }

  void add_admin(const Admin& a) override {
    guarded([&] {
      db_.transaction([&] {
        auto st = db_.prepare("INSERT INTO admins (name, password_hash, is_super, created_at) VALUES (?,?,?,?)");
        st.bind_all(a.name, a.password_hash, a.is_super, now());
        run_unique(st, "admin " + a.name + " already exists");
        write_admin_domains(db_.last_insert_id(), a.domains);
      });
    });
  }

  std::optional<Admin> find_admin(std::string_view name) override {
    return guarded([&]() -> std::optional<Admin> {
      auto st = db_.prepare("SELECT id, name, password_hash, is_super FROM admins WHERE name = ?");
      st.bind(1, name);
      if (!st.step()) return std::nullopt;
      return read_admin(st);
    });
  }

  std::vector<Admin> list_admins() override {
    return guarded([&] {
      std::vector<Admin> out;
      auto st = db_.prepare("SELECT id, name, password_hash, is_super FROM admins ORDER BY name");
      while (st.step()) out.push_back(read_admin(st));
      return out;
    });
  }

  void update_admin(const Admin& a) override {
    guarded([&] {
      db_.transaction([&] {
        auto st = db_.prepare("UPDATE admins SET name = ?, password_hash = ?, is_super = ? WHERE id = ?");
        st.bind_all(a.name, a.password_hash, a.is_super, a.id);
        run_unique(st, "admin " + a.name + " already exists");
        auto del = db_.prepare("DELETE FROM admin_domains WHERE admin_id = ?");
        del.bind(1, a.id);
        del.run();
        write_admin_domains(a.id, a.domains);
      });
    });
  }

  void remove_admin(int64_t id) override {
    guarded([&] {
      auto st = db_.prepare("DELETE FROM admins WHERE id = ?");
      st.bind(1, id);
      st.run();
      if (db_.changes() == 0) throw Error(Error::NotFound, "no such admin");
    });
  }

  std::vector<RemovedAccount> removed_accounts() override {
    return guarded([&] {
      std::vector<RemovedAccount> out;
      auto st = db_.prepare("SELECT id, address, removed_at FROM removed_accounts ORDER BY id");
      while (st.step()) out.push_back({st.int64(0), st.text(1), st.int64(2)});
      return out;
    });
  }

  void forget_removed_account(int64_t id) override {
    guarded([&] {
      auto st = db_.prepare("DELETE FROM removed_accounts WHERE id = ?");
      st.bind(1, id);
      st.run();
    });
  }

  void reserve_account_ids(int64_t through) override {
    guarded([&] {
      db_.transaction([&] {
        // sqlite_sequence holds the largest id AUTOINCREMENT ever gave; it has no row for the
        // table until its first insert.
        auto up = db_.prepare("UPDATE sqlite_sequence SET seq = max(seq, ?) WHERE name = 'accounts'");
        up.bind(1, through);
        up.run();
        if (db_.changes() != 0) return;
        auto ins = db_.prepare("INSERT INTO sqlite_sequence (name, seq) VALUES ('accounts', ?)");
        ins.bind(1, through);
        ins.run();
      });
    });
  }

  std::vector<SieveScript> list_sieve_scripts(int64_t account_id) override {
    return guarded([&] {
      auto st = db_.prepare(
          "SELECT name, length(content), active, updated_at FROM sieve_scripts WHERE account_id = ? ORDER BY name");
      st.bind(1, account_id);
      std::vector<SieveScript> out;
      while (st.step()) out.push_back({st.text(0), "", uint64_t(st.int64(1)), st.int64(2) != 0, st.int64(3)});
      return out;
    });
  }

  std::optional<SieveScript> find_sieve_script(int64_t account_id, std::string_view name) override {
    return guarded([&] {
      auto st = db_.prepare(
          "SELECT name, content, active, updated_at FROM sieve_scripts WHERE account_id = ? AND name = ?");
      st.bind_all(account_id, name);
      return one_sieve_script(st);
    });
  }

  std::optional<SieveScript> active_sieve_script(int64_t account_id) override {
    return guarded([&] {
      auto st = db_.prepare(
          "SELECT name, content, active, updated_at FROM sieve_scripts WHERE account_id = ? AND active");
      st.bind(1, account_id);
      return one_sieve_script(st);
    });
  }

  void put_sieve_script(int64_t account_id, const std::string& name, const std::string& content) override {
    guarded([&] {
      auto st = db_.prepare(
          "INSERT INTO sieve_scripts (account_id, name, content, updated_at) VALUES (?,?,?,?) "
          "ON CONFLICT (account_id, name) DO UPDATE SET content = excluded.content, updated_at = excluded.updated_at");
      st.bind(1, account_id);
      st.bind(2, name);
      st.bind_blob(3, content);
      st.bind(4, now());
      run_unique(st, "no such account");
    });
  }

  void activate_sieve_script(int64_t account_id, std::string_view name) override {
    guarded([&] {
      db_.transaction([&] {
        if (!name.empty()) require_sieve_script(account_id, name);
        auto off = db_.prepare("UPDATE sieve_scripts SET active = 0 WHERE account_id = ? AND active");
        off.bind(1, account_id);
        off.run();
        if (name.empty()) return;
        auto on = db_.prepare("UPDATE sieve_scripts SET active = 1 WHERE account_id = ? AND name = ?");
        on.bind_all(account_id, name);
        on.run();
      });
    });
  }

  void remove_sieve_script(int64_t account_id, std::string_view name) override {
    guarded([&] {
      auto st = db_.prepare("DELETE FROM sieve_scripts WHERE account_id = ? AND name = ? AND NOT active");
      st.bind_all(account_id, name);
      st.run();
      if (db_.changes() != 0) return;
      require_sieve_script(account_id, name);
      throw Error(Error::Conflict, "the active script cannot be removed: " + std::string(name));
    });
  }

  void rename_sieve_script(int64_t account_id, std::string_view from, std::string_view to) override {
    guarded([&] {
      db_.transaction([&] {
        require_sieve_script(account_id, from);
        auto st = db_.prepare("UPDATE sieve_scripts SET name = ?, updated_at = ? WHERE account_id = ? AND name = ?");
        st.bind_all(to, now(), account_id, from);
        run_unique(st, "a script named " + std::string(to) + " exists");
      });
    });
  }

  uint64_t version() override { return guarded([&] { return uint64_t(db_.data_version()); }); }

 private:
  // Runs fn under the connection mutex, turning SQLite failures other than constraint
  // violations into Unavailable (the protocols answer 451 4.3.0 to those).
  template <class F>
  auto guarded(F&& fn) -> std::invoke_result_t<F> {
    std::lock_guard lock(mutex_);
    try {
      return fn();
    } catch (const Error&) {
      throw;
    } catch (const sql::Error& e) {
      throw Error(Error::Unavailable, std::string("directory unavailable: ") + e.what());
    }
  }

  static int64_t now() { return int64_t(std::time(nullptr)); }

  void run_unique(sql::Statement& st, const std::string& conflict_message) {
    try {
      st.run();
    } catch (const sql::Error& e) {
      if (e.is_constraint()) throw Error(Error::Conflict, conflict_message);
      throw;
    }
  }

  int64_t scalar(const char* query, int64_t arg) {
    auto st = db_.prepare(query);
    st.bind(1, arg);
    st.step();
    return st.int64(0);
  }

  std::optional<SieveScript> one_sieve_script(sql::Statement& st) {
    if (!st.step()) return std::nullopt;
    SieveScript s{st.text(0), st.blob(1), 0, st.int64(2) != 0, st.int64(3)};
    s.size = s.content.size();
    return s;
  }

  void require_sieve_script(int64_t account_id, std::string_view name) {
    auto st = db_.prepare("SELECT 1 FROM sieve_scripts WHERE account_id = ? AND name = ?");
    st.bind_all(account_id, name);
    if (!st.step()) throw Error(Error::NotFound, "no such script: " + std::string(name));
  }

  std::optional<Domain> one_domain(const std::string& query, std::string_view key) {
    auto st = db_.prepare(query);
    st.bind(1, key);
    if (!st.step()) return std::nullopt;
    return read_domain(st);
  }

  std::optional<Account> one_account(const std::string& query, std::string_view key) {
    auto st = db_.prepare(query);
    st.bind(1, key);
    if (!st.step()) return std::nullopt;
    return read_account(st);
  }

  Admin read_admin(sql::Statement& st) {
    Admin a;
    a.id = st.int64(0);
    a.name = st.text(1);
    a.password_hash = st.text(2);
    a.is_super = st.int64(3) != 0;
    auto doms = db_.prepare(
        "SELECT d.name FROM admin_domains ad JOIN domains d ON d.id = ad.domain_id WHERE ad.admin_id = ? "
        "ORDER BY d.name");
    doms.bind(1, a.id);
    while (doms.step()) a.domains.push_back(doms.text(0));
    return a;
  }

  void write_admin_domains(int64_t admin_id, const std::vector<std::string>& domains) {
    auto st = db_.prepare("INSERT OR IGNORE INTO admin_domains (admin_id, domain_id) SELECT ?, id FROM domains WHERE name = ?");
    for (const auto& d : domains) {
      st.bind_all(admin_id, d);
      st.run();
      if (db_.changes() == 0) throw Error(Error::NotFound, "no such domain: " + d);
      st.reset();
    }
  }

  std::mutex mutex_;
  sql::Database db_;
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

std::unique_ptr<Directory> open_sqlite(const std::string& path) {
  try {
    return std::make_unique<SqliteDirectory>(path);
  } catch (const sql::Error& e) {
    throw Error(Error::Unavailable, e.what());
  }
}

}  // namespace kurier::directory
