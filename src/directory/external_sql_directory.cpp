// The "sql" backend over another application's database (see external_sql_directory.h).
#include "directory/external_sql_directory.h"

#include <algorithm>
#include <cctype>
#include <stdexcept>

#include "common/log.h"
#include "common/strings.h"

namespace kurier::directory {
namespace {

bool is_hex(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isxdigit(c); });
}

bool is_des_crypt(std::string_view s) {
  return s.size() == 13 &&
         std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isalnum(c) || c == '.' || c == '/'; });
}

// Values of a query's rows; each value may be a comma- or space-separated list (Postfix's dest).
std::vector<std::string> split_values(const std::vector<std::string>& rows) {
  std::vector<std::string> out;
  for (const auto& row : rows) {
    std::string item;
    for (char c : row + ",") {
      if (c == ',' || c == ' ' || c == '\t' || c == '\n' || c == '\r') {
        if (!item.empty()) out.push_back(std::move(item));
        item.clear();
      } else {
        item += c;
      }
    }
  }
  return out;
}

[[noreturn]] void read_only() {
  throw Error(Error::Invalid, "the \"sql\" directory is read-only: its own application manages it");
}

class ExternalSqlDirectory final : public Directory {
 public:
  ExternalSqlDirectory(std::unique_ptr<sqldb::Pool> external, std::unique_ptr<Directory> local, ExternalQueries q)
      : external_(std::move(external)), local_(std::move(local)), q_(std::move(q)) {}

  // ---- domains: the other database says which are local; the shadow gives id and settings ----
  std::optional<Domain> find_domain(std::string_view name) override {
    if (values(q_.domain_query, to_lower(name)).empty()) return std::nullopt;
    return shadow_domain(to_lower(name));
  }
  std::optional<Domain> domain_by_id(int64_t id) override { return local_->domain_by_id(id); }
  std::vector<Domain> list_domains() override { return local_->list_domains(); }
  void add_domain(const Domain&) override { read_only(); }
  void update_domain(const Domain&) override { read_only(); }
  uint32_t take_login_number(int64_t) override { read_only(); }
  void remove_domain(int64_t) override { read_only(); }

  // ---- accounts ----
  std::optional<Account> find_account_by_login(std::string_view login) override {
    auto stored = values(q_.password_query, login);
    if (stored.empty()) return std::nullopt;
    std::string address = primary_address(login);
    if (address.empty()) return std::nullopt;  // no address: cannot receive, cannot be keyed
    Account a = shadow_account(std::string(login), address);
    bool plaintext = false;
    a.password_hash = external_password_hash(stored.front(), q_.password_scheme, plaintext);
    a.scram_secret.clear();  // never stored there: SCRAM is not offered for these accounts
    a.services = services(login);
    if (plaintext) log::warn("directory.plaintext_password", {{"login", std::string(login)}});
    return a;
  }

  std::optional<Account> find_account_by_address(std::string_view address) override {
    // One login: the account's address (the login may be the address itself, address scheme).
    // Several values make it an alias (info@ -> test0001, bob@...), resolved by alias_targets.
    auto logins = split_values(values(q_.address_query, to_lower(address)));
    if (logins.size() != 1 || logins.front().front() == '@') return std::nullopt;
    return find_account_by_login(logins.front());
  }

  std::optional<Account> account_by_id(int64_t id) override {
    auto shadow = local_->account_by_id(id);
    if (!shadow) return std::nullopt;
    return find_account_by_login(shadow->login);
  }
  std::vector<Account> list_accounts(std::optional<int64_t> domain_id) override { return local_->list_accounts(domain_id); }
  uint32_t count_accounts(int64_t domain_id) override { return local_->count_accounts(domain_id); }
  uint64_t sum_account_quota(int64_t domain_id) override { return local_->sum_account_quota(domain_id); }
  int64_t add_account(const Account&) override { read_only(); }
  void update_account(const Account&) override { read_only(); }
  CapCheck add_account_within(const Account&, const AccountCaps&, int64_t&) override { read_only(); }
  CapCheck update_account_within(const Account&, const AccountCaps&) override { read_only(); }
  // A successful login with an old hash would store a new one: not in someone else's database.
  void set_credentials(int64_t, const std::string&, const std::string&) override {}
  void record_login(int64_t account_id, int64_t when) override { local_->record_login(account_id, when); }
  void remove_account(int64_t) override { read_only(); }
  std::vector<RemovedAccount> removed_accounts() override { return local_->removed_accounts(); }
  void forget_removed_account(int64_t id) override { local_->forget_removed_account(id); }
  void reserve_account_ids(int64_t through) override { local_->reserve_account_ids(through); }

  // ---- aliases: targets that are logins become those accounts' addresses ----
  std::vector<std::string> alias_targets(std::string_view source) override {
    std::vector<std::string> out;
    for (const auto& target : split_values(values(q_.alias_query, to_lower(source)))) {
      if (target.find('@') != std::string::npos) {
        out.push_back(target);
        continue;
      }
      std::string address = primary_address(target);
      if (!address.empty()) out.push_back(address);
    }
    // The address of an account that maps only to that account is no alias (rule 3, not 2).
    if (out.size() == 1 && iequals(out.front(), source)) return {};
    if (std::all_of(out.begin(), out.end(), [&](const std::string& t) { return iequals(t, source); })) return {};
    return out;
  }
  std::vector<Alias> list_aliases(std::optional<int64_t>) override { return {}; }
  void add_alias_targets(int64_t, const std::string&, const std::vector<std::string>&) override { read_only(); }
  size_t remove_alias(std::string_view, std::optional<std::string>) override { read_only(); }

  // ---- kurier's own: web admins and Sieve scripts ----
  void add_admin(const Admin& a) override { local_->add_admin(a); }
  std::optional<Admin> find_admin(std::string_view name) override { return local_->find_admin(name); }
  std::vector<Admin> list_admins() override { return local_->list_admins(); }
  void update_admin(const Admin& a) override { local_->update_admin(a); }
  void remove_admin(int64_t id) override { local_->remove_admin(id); }
  std::vector<SieveScript> list_sieve_scripts(int64_t id) override { return local_->list_sieve_scripts(id); }
  std::optional<SieveScript> find_sieve_script(int64_t id, std::string_view name) override {
    return local_->find_sieve_script(id, name);
  }
  std::optional<SieveScript> active_sieve_script(int64_t id) override { return local_->active_sieve_script(id); }
  void put_sieve_script(int64_t id, const std::string& name, const std::string& content) override {
    local_->put_sieve_script(id, name, content);
  }
  void activate_sieve_script(int64_t id, std::string_view name) override { local_->activate_sieve_script(id, name); }
  void remove_sieve_script(int64_t id, std::string_view name) override { local_->remove_sieve_script(id, name); }
  void rename_sieve_script(int64_t id, std::string_view from, std::string_view to) override {
    local_->rename_sieve_script(id, from, to);
  }
  // Paging lists the shadow accounts, like list_accounts.
  std::vector<Account> page_accounts(std::optional<int64_t> domain_id, std::string_view after, size_t limit) override {
    return local_->page_accounts(domain_id, after, limit);
  }

  // kurier's own credentials and records (app passwords, API keys, TOTP, audit) have no place in
  // the other application's tables: they live in the local shadow directory.
  int64_t add_app_password(const AppPassword& p) override { return local_->add_app_password(p); }
  std::vector<AppPassword> list_app_passwords(int64_t id) override { return local_->list_app_passwords(id); }
  std::optional<AppPassword> find_app_password(std::string_view hash) override { return local_->find_app_password(hash); }
  bool remove_app_password(int64_t account_id, int64_t id) override { return local_->remove_app_password(account_id, id); }
  int64_t add_api_key(const ApiKey& k) override { return local_->add_api_key(k); }
  std::optional<ApiKey> find_api_key(std::string_view hash) override { return local_->find_api_key(hash); }
  std::vector<ApiKey> list_api_keys() override { return local_->list_api_keys(); }
  bool revoke_api_key(int64_t id, int64_t when) override { return local_->revoke_api_key(id, when); }
  std::optional<TotpSecret> find_totp(std::string_view principal) override { return local_->find_totp(principal); }
  void put_totp(const TotpSecret& t) override { local_->put_totp(t); }
  void remove_totp(std::string_view principal) override { local_->remove_totp(principal); }
  bool use_totp_step(std::string_view principal, int64_t step) override { return local_->use_totp_step(principal, step); }
  std::optional<std::string> find_preferences(std::string_view p) override { return local_->find_preferences(p); }
  void put_preferences(std::string_view p, const std::string& json) override { local_->put_preferences(p, json); }
  int64_t append_audit(const AuditEntry& e) override { return local_->append_audit(e); }
  std::vector<AuditEntry> list_audit(const std::optional<std::vector<std::string>>& domains, int64_t before_id, size_t limit) override {
    return local_->list_audit(domains, before_id, limit);
  }

  // Changes in the other database cannot be seen: only kurier's own.
  uint64_t version() override { return local_->version(); }

 private:
  // The first column of every row of a query whose `?` are all `key`.
  std::vector<std::string> values(const std::string& query, std::string_view key) {
    size_t params = size_t(std::count(query.begin(), query.end(), '?'));
    try {
      return external_->read([&](sqldb::Connection& c) {
        auto& st = c.statement(query);
        sqldb::Cursor cursor(st);
        for (size_t i = 1; i <= params; ++i) st.bind_text(int(i), key);
        std::vector<std::string> out;
        while (cursor.step())
          if (!cursor.is_null(0)) out.push_back(trim_copy(cursor.text(0)));
        return out;
      });
    } catch (const sqldb::Error& e) {
      throw Error(Error::Unavailable, std::string("directory unavailable: ") + e.what());
    }
  }

  static std::string trim_copy(const std::string& s) { return std::string(trim(s)); }

  // The login's per-service switches (services_query): a column switches its service on unless
  // it is 0, false or no; a NULL or missing column, or no row at all, switches it off (a query
  // that does not fit refuses logins rather than allowing them). Receiving is not switched here:
  // the alias and address queries decide where mail goes.
  uint32_t services(std::string_view login) {
    if (q_.services_query.empty()) return kAllServices;
    static constexpr Service kColumns[] = {kImap, kPop3, kSieve, kSubmission};
    size_t params = size_t(std::count(q_.services_query.begin(), q_.services_query.end(), '?'));
    try {
      return external_->read([&](sqldb::Connection& c) {
        auto& st = c.statement(q_.services_query);
        sqldb::Cursor cursor(st);
        for (size_t i = 1; i <= params; ++i) st.bind_text(int(i), login);
        uint32_t on = kReceive;
        if (!cursor.step()) return on;
        for (int col = 0; col < 4; ++col)
          if (switched_on(cursor, col)) on |= kColumns[col];
        return on;
      });
    } catch (const sqldb::Error& e) {
      throw Error(Error::Unavailable, std::string("directory unavailable: ") + e.what());
    }
  }

  static bool switched_on(const sqldb::Cursor& row, int col) {
    try {
      if (row.is_null(col)) return false;  // also a column past the last on PostgreSQL and SQLite
      std::string v = to_lower(trim(row.text(col)));
      return !(v.empty() || v == "0" || v == "f" || v == "false" || v == "n" || v == "no");
    } catch (const std::out_of_range&) {  // a column past the last on MariaDB
      return false;
    }
  }

  // The login's primary address: the sender query's first row, or the login when it is one.
  std::string primary_address(std::string_view login) {
    auto rows = values(q_.sender_query, login);
    for (const auto& r : rows)
      if (r.find('@') != std::string::npos && r.front() != '@') return to_lower(r);
    if (login.find('@') != std::string::npos) return to_lower(login);
    return "";
  }

  Domain shadow_domain(const std::string& name) {
    if (auto d = local_->find_domain(name)) return *d;
    Domain d;
    d.name = name;
    try {
      local_->add_domain(d);
    } catch (const Error& e) {
      if (e.kind() != Error::Conflict) throw;  // another thread made it first
    }
    return *local_->find_domain(name);
  }

  Account shadow_account(const std::string& login, const std::string& address) {
    if (auto a = local_->find_account_by_login(login)) {
      if (!iequals(a->address, address)) {  // the other database moved it: follow
        a->address = address;
        try {
          local_->update_account(*a);
        } catch (const Error&) {
        }
      }
      return *a;
    }
    Account a;
    a.login = login;
    a.address = address;
    a.domain_id = shadow_domain(address.substr(address.rfind('@') + 1)).id;
    a.password_hash = "!";  // never used: the other database has the password
    try {
      a.id = local_->add_account(a);
      return a;
    } catch (const Error& e) {
      if (e.kind() != Error::Conflict) throw;
    }
    return *local_->find_account_by_login(login);
  }

  std::unique_ptr<sqldb::Pool> external_;
  std::unique_ptr<Directory> local_;
  ExternalQueries q_;
};

}  // namespace

std::string external_password_hash(const std::string& stored, const std::string& scheme, bool& plaintext) {
  plaintext = false;
  if (stored.starts_with("$") || stored.starts_with("{")) return stored;  // crypt(3), or already named
  if (stored.size() == 41 && stored.front() == '*' && is_hex(std::string_view(stored).substr(1)))
    return "{MYSQL41}" + stored;
  if (scheme == "des" && is_des_crypt(stored)) return "{DES-CRYPT}" + stored;
  plaintext = true;
  return "{PLAIN}" + stored;
}

std::unique_ptr<Directory> open_external(std::unique_ptr<sqldb::Pool> external, std::unique_ptr<Directory> local,
                                         ExternalQueries queries) {
  return std::make_unique<ExternalSqlDirectory>(std::move(external), std::move(local), std::move(queries));
}

}  // namespace kurier::directory
