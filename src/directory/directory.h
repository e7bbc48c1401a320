// The directory: domains, accounts, aliases and admins — what the seed kept in MySQL.
// An interface, so SQLite (embedded default), MariaDB and PostgreSQL backends are
// interchangeable; business rules (validation, roles, limits) live in src/accounts, not here.
// Every method is blocking and thread-safe; callers on the event loop use Runtime::offload.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace kurier::directory {

// Per-account switches the seed had (imap, pop3, sieve, smtp auth, receiving mail).
enum Service : uint32_t {
  kImap = 1u << 0,
  kPop3 = 1u << 1,
  kSieve = 1u << 2,
  kSubmission = 1u << 3,
  kReceive = 1u << 4,
};
constexpr uint32_t kAllServices = kImap | kPop3 | kSieve | kSubmission | kReceive;
std::optional<Service> service_from_name(std::string_view name);
std::string service_names(uint32_t services);  // "imap pop3 ..." in a fixed order

struct Domain {
  int64_t id = 0;
  std::string name;                    // lowercase ASCII (IDNs in A-label form)
  uint64_t default_quota = 0;          // bytes for new accounts; 0 = unlimited
  uint64_t max_quota_per_account = 0;  // ceiling a domain admin may set; 0 = none
  uint64_t total_quota = 0;            // sum over accounts; 0 = none
  uint32_t max_accounts = 0;           // 0 = unlimited; also caps domain aliases
  std::string username_scheme = "address";  // "address" or "prefix"
  std::string prefix;                  // for the prefix scheme: logins prefix0001, prefix0002, ...
  uint32_t next_login_number = 1;
  std::string transport;               // "" = local; "relay:HOST:PORT" = backup MX / relay domain
  int64_t created_at = 0;
};

struct Account {
  int64_t id = 0;
  int64_t domain_id = 0;
  std::string login;          // what the user types: the address, or a prefix-scheme name
  std::string address;        // primary address: sender rewriting uses this
  std::string display_name;
  std::string password_hash;  // crypt(3) string or {PLAIN}… from an import (re-hashed at next login)
  std::string scram_secret;   // SCRAM-SHA-256$iter:salt$stored:server, written with every password
  uint64_t quota = 0;         // bytes; 0 = unlimited
  bool enabled = true;
  uint32_t services = kAllServices;
  int64_t created_at = 0;
  int64_t last_login = 0;
};

// One alias source and its targets. source is "local@domain" or "@domain" (catch-all);
// a target is an address, or "@domain" for a domain alias (@a.example -> @b.example).
struct Alias {
  std::string source;
  std::vector<std::string> targets;
};

// The tombstone an account leaves when it is removed, until its mail is purged.
struct RemovedAccount {
  int64_t id = 0;
  std::string address;
  int64_t removed_at = 0;
};

struct Admin {
  int64_t id = 0;
  std::string name;
  std::string password_hash;
  bool is_super = false;
  std::vector<std::string> domains;  // delegated domains of a domain admin
};

// A user's Sieve script (RFC 5228), as ManageSieve (RFC 5804) names it. At most one script of an
// account is active: the one delivery runs.
struct SieveScript {
  std::string name;
  std::string content;   // empty in list_sieve_scripts()
  uint64_t size = 0;     // octets of content
  bool active = false;
  int64_t updated_at = 0;
};

// A password for one mail client of an account (IMAP/POP3/SMTP logins), so the account's own
// password (perhaps with TOTP on the web) never goes into a mail client. Only the SHA-256 of the
// random secret is stored; it is shown once, when made.
struct AppPassword {
  int64_t id = 0;
  int64_t account_id = 0;
  std::string name;  // what the user calls it: "phone"
  std::string hash;  // auth::token_hash of the secret
  int64_t created_at = 0;
};

// A Bearer key for the JSON API, acting with a role (super-admin, or domain admin of `domains`)
// no wider than its owner's. Stored as a hash, shown once.
struct ApiKey {
  int64_t id = 0;
  std::string name;
  std::string hash;
  std::string owner;  // the admin who made it; the key dies with that admin
  bool is_super = false;
  std::vector<std::string> domains;  // for a domain-admin key
  int64_t created_at = 0;
  int64_t expires_at = 0;  // 0 = never
  int64_t revoked_at = 0;  // 0 = live
};

// A TOTP second factor (RFC 6238) of a web login: "admin:NAME" or "user:ADDRESS".
struct TotpSecret {
  std::string principal;
  std::string secret;      // raw bytes
  bool confirmed = false;  // a code was shown to match before it is required at login
  int64_t last_step = 0;   // the last time step used: a code is accepted once
};

// One change made through the API (or the CLI): who, what, before -> after (secrets redacted),
// when, from where.
struct AuditEntry {
  int64_t id = 0;
  int64_t at = 0;
  std::string actor;   // "admin", "user@example.org", "key:3 (admin)", "cli"
  std::string role;    // "super-admin", "domain-admin", "user", "system"
  std::string ip;
  std::string action;  // "account.update"
  std::string object;  // "user@example.org"
  std::string domain;  // the domain the object belongs to ("" for global objects)
  std::string before;  // JSON text, "" when created
  std::string after;   // JSON text, "" when removed
};

// The caps of a domain a write must keep (0 = none), and which one it would break.
struct AccountCaps {
  uint32_t max_accounts = 0;
  uint64_t total_quota = 0;  // the sum of the domain's account quotas
};
enum class CapCheck { Ok, MaxAccounts, TotalQuota };

class Error : public std::runtime_error {
 public:
  enum Kind { NotFound, Conflict, Invalid, Unavailable };
  Error(Kind kind, const std::string& what) : std::runtime_error(what), kind_(kind) {}
  Kind kind() const { return kind_; }

 private:
  Kind kind_;
};

class Directory {
 public:
  virtual ~Directory() = default;

  // Domains
  virtual void add_domain(const Domain& d) = 0;  // throws Conflict when it exists
  virtual std::optional<Domain> find_domain(std::string_view name) = 0;  // case-insensitive
  virtual std::optional<Domain> domain_by_id(int64_t id) = 0;
  virtual std::vector<Domain> list_domains() = 0;
  virtual void update_domain(const Domain& d) = 0;
  virtual uint32_t take_login_number(int64_t domain_id) = 0;  // prefix scheme: next number, atomically
  virtual void remove_domain(int64_t id) = 0;  // with its accounts, aliases and delegations

  // Accounts
  virtual int64_t add_account(const Account& a) = 0;  // Conflict on a duplicate login or address
  virtual std::optional<Account> find_account_by_login(std::string_view login) = 0;
  virtual std::optional<Account> find_account_by_address(std::string_view address) = 0;
  virtual std::optional<Account> account_by_id(int64_t id) = 0;
  virtual std::vector<Account> list_accounts(std::optional<int64_t> domain_id) = 0;
  virtual uint32_t count_accounts(int64_t domain_id) = 0;
  virtual uint64_t sum_account_quota(int64_t domain_id) = 0;
  virtual void update_account(const Account& a) = 0;
  // add_account / update_account with the domain's caps checked in the same write transaction,
  // so racing writers cannot both take the last account or the last bytes of quota. Nothing is
  // written unless the answer is Ok (then `id` is the new account's).
  virtual CapCheck add_account_within(const Account& a, const AccountCaps& caps, int64_t& id) = 0;
  virtual CapCheck update_account_within(const Account& a, const AccountCaps& caps) = 0;
  virtual void set_credentials(int64_t account_id, const std::string& hash, const std::string& scram) = 0;
  virtual void record_login(int64_t account_id, int64_t when) = 0;
  // Also aliases whose source is its address. Leaves a tombstone (removed_accounts()) whoever
  // removes it, and its id is never given to another account.
  virtual void remove_account(int64_t id) = 0;
  // Tombstones of removed accounts whose mail the server has not purged yet.
  virtual std::vector<RemovedAccount> removed_accounts() = 0;
  virtual void forget_removed_account(int64_t id) = 0;  // once its mail is gone
  // New accounts get ids above `through` (ids the mail store has seen stay unused).
  virtual void reserve_account_ids(int64_t through) = 0;

  // Aliases
  virtual void add_alias_targets(int64_t domain_id, const std::string& source, const std::vector<std::string>& targets) = 0;
  virtual std::vector<std::string> alias_targets(std::string_view source) = 0;  // empty when none
  virtual std::vector<Alias> list_aliases(std::optional<int64_t> domain_id) = 0;
  virtual size_t remove_alias(std::string_view source, std::optional<std::string> target) = 0;  // rows removed

  // Admins (web admin logins; never valid for mail logins)
  virtual void add_admin(const Admin& a) = 0;
  virtual std::optional<Admin> find_admin(std::string_view name) = 0;
  virtual std::vector<Admin> list_admins() = 0;
  virtual void update_admin(const Admin& a) = 0;
  virtual void remove_admin(int64_t id) = 0;

  // Sieve scripts (rules such as size and count limits: accounts/sieve_scripts.h). Removing an
  // account removes its scripts.
  virtual std::vector<SieveScript> list_sieve_scripts(int64_t account_id) = 0;  // by name
  virtual std::optional<SieveScript> find_sieve_script(int64_t account_id, std::string_view name) = 0;
  virtual std::optional<SieveScript> active_sieve_script(int64_t account_id) = 0;
  // Creates or replaces the script `name` (an active script stays active).
  virtual void put_sieve_script(int64_t account_id, const std::string& name, const std::string& content) = 0;
  // Makes `name` the active script and every other inactive; "" deactivates all. NotFound.
  virtual void activate_sieve_script(int64_t account_id, std::string_view name) = 0;
  // NotFound; Conflict for the active script (deactivate it first, RFC 5804 2.10).
  virtual void remove_sieve_script(int64_t account_id, std::string_view name) = 0;
  // NotFound when `from` does not exist, Conflict when `to` does.
  virtual void rename_sieve_script(int64_t account_id, std::string_view from, std::string_view to) = 0;

  // Accounts ordered by address after `after` (keyset paging: one indexed range scan per page),
  // of one domain or of all.
  virtual std::vector<Account> page_accounts(std::optional<int64_t> domain_id, std::string_view after,
                                             size_t limit) = 0;

  // App passwords of mail clients (removing the account removes them).
  virtual int64_t add_app_password(const AppPassword& p) = 0;
  virtual std::vector<AppPassword> list_app_passwords(int64_t account_id) = 0;
  virtual std::optional<AppPassword> find_app_password(std::string_view hash) = 0;
  virtual bool remove_app_password(int64_t account_id, int64_t id) = 0;

  // API keys.
  virtual int64_t add_api_key(const ApiKey& k) = 0;
  virtual std::optional<ApiKey> find_api_key(std::string_view hash) = 0;
  virtual std::vector<ApiKey> list_api_keys() = 0;
  virtual bool revoke_api_key(int64_t id, int64_t when) = 0;  // false when unknown or revoked

  // TOTP secrets of web logins.
  virtual std::optional<TotpSecret> find_totp(std::string_view principal) = 0;
  virtual void put_totp(const TotpSecret& t) = 0;
  virtual void remove_totp(std::string_view principal) = 0;
  // Records `step` as used if it is newer than the last one; false for a replayed code.
  virtual bool use_totp_step(std::string_view principal, int64_t step) = 0;

  // The audit log, durable like every directory write. Newest first: entries with id below
  // `before_id` (0 = from the newest), of the given domains: std::nullopt = every entry, and an
  // empty list = no entry (a domain admin with no domains left sees nothing, never everything).
  virtual int64_t append_audit(const AuditEntry& e) = 0;
  virtual std::vector<AuditEntry> list_audit(const std::optional<std::vector<std::string>>& domains, int64_t before_id,
                                             size_t limit) = 0;

  // A web login's preferences (the UI's language, page size, ...) as a JSON object's text, by
  // "admin:ID" or "user:ID"; put with "" removes them.
  virtual std::optional<std::string> find_preferences(std::string_view principal) = 0;
  virtual void put_preferences(std::string_view principal, const std::string& json) = 0;

  // A number that changes whenever any process changes the directory (caches compare it).
  virtual uint64_t version() = 0;
};

// Opens (creating and migrating as needed) the embedded SQLite directory at path.
std::unique_ptr<Directory> open_sqlite(const std::string& path);

}  // namespace kurier::directory
