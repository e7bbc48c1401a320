// The rules for changing the directory, shared by the CLI and the web/JSON API: input
// validation, limits (max accounts, quota ceilings), alias loop checks, and role checks
// (super-admin, domain admin of delegated domains, the system itself for the CLI).
// The directory below stores; this layer decides what may be stored.
#pragma once
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "directory/directory.h"

namespace kurier::accounts {

class Error : public std::runtime_error {
 public:
  enum Kind { Invalid, NotFound, Conflict, Forbidden, Limit, Unavailable };
  Error(Kind kind, const std::string& what) : std::runtime_error(what), kind_(kind) {}
  Kind kind() const { return kind_; }

 private:
  Kind kind_;
};

// Who is asking. The CLI acts as System (it has the config file, so it has the keys). A User is
// a mail account doing self-service (web): it manages no domain, only its own settings.
struct Actor {
  enum Role { System, SuperAdmin, DomainAdmin, User };
  Role role = System;
  std::string name;                  // admin name; for User the account's address
  std::vector<std::string> domains;  // for DomainAdmin
  static Actor system() { return {}; }
  bool may_manage(std::string_view domain) const;
  bool is_super() const { return role == System || role == SuperAdmin; }
};

struct DomainSettings {
  std::optional<uint64_t> default_quota, max_quota_per_account, total_quota;
  std::optional<uint32_t> max_accounts;
  std::optional<std::string> username_scheme, prefix, transport;
};

struct UserSettings {
  std::optional<std::string> password;
  std::optional<uint64_t> quota;
  std::optional<std::string> display_name;
  std::optional<bool> enabled;
  uint32_t disable_services = 0, enable_services = 0;
};

// Forwarding of an account's mail elsewhere (an alias whose source is the account's address;
// keep_copy adds the address itself, which delivery reads as "also keep a copy").
struct Forwarding {
  std::vector<std::string> targets;
  bool keep_copy = false;
};

// One page of a list sorted by its key: `after` is the key of the previous page's last item,
// `query` a case-insensitive substring the key (or display name) must contain.
struct PageQuery {
  std::string after;
  std::string query;
  size_t limit = 50;
};
template <class T>
struct Page {
  std::vector<T> items;
  std::string next;  // key to pass as `after` for the next page; "" when this was the last
};

// Things other parts must do when accounts come and go (create default folders, remove mail).
struct Hooks {
  std::function<void(const directory::Account&)> account_created;
  std::function<void(const directory::Account&)> account_removed;
};

// Syntax checks, exposed for the protocols and tests. Both return the normalised form.
std::optional<std::string> normalize_domain(std::string_view name);
std::optional<std::string> normalize_address(std::string_view address);

class AdminService {
 public:
  AdminService(directory::Directory& dir, Hooks hooks = {}) : dir_(dir), hooks_(std::move(hooks)) {}

  directory::Domain add_domain(const Actor& who, std::string_view name, const DomainSettings& s);
  directory::Domain set_domain(const Actor& who, std::string_view name, const DomainSettings& s);
  directory::Domain show_domain(const Actor& who, std::string_view name);
  std::vector<directory::Domain> list_domains(const Actor& who);
  void remove_domain(const Actor& who, std::string_view name);

  directory::Account add_user(const Actor& who, std::string_view address, const std::string& password,
                              std::optional<uint64_t> quota, std::string_view display_name);
  directory::Account set_user(const Actor& who, std::string_view address, const UserSettings& s);
  directory::Account show_user(const Actor& who, std::string_view address);
  std::vector<directory::Account> list_users(const Actor& who, std::optional<std::string> domain);
  // Accounts by address, across the actor's domains (or one domain), one page at a time.
  Page<directory::Account> page_users(const Actor& who, std::optional<std::string> domain, const PageQuery& page);
  void remove_user(const Actor& who, std::string_view address);

  directory::Alias add_alias(const Actor& who, std::string_view source, const std::vector<std::string>& targets);
  std::vector<directory::Alias> list_aliases(const Actor& who, std::optional<std::string> domain);
  void remove_alias(const Actor& who, std::string_view source, std::optional<std::string> target);

  directory::Admin add_admin(const Actor& who, std::string_view name, const std::string& password, bool is_super,
                             const std::vector<std::string>& domains);
  std::vector<directory::Admin> list_admins(const Actor& who);
  directory::Admin show_admin(const Actor& who, std::string_view name);
  // Changes an admin's password and/or delegated domains (a domain admin keeps at least one).
  directory::Admin set_admin(const Actor& who, std::string_view name, const std::optional<std::string>& password,
                             const std::optional<std::vector<std::string>>& domains);

  // App passwords of mail clients: the secret is returned once, only its hash is stored.
  static constexpr size_t kMaxAppPasswords = 20;
  std::vector<directory::AppPassword> list_app_passwords(const Actor& who, std::string_view address);
  std::pair<directory::AppPassword, std::string> add_app_password(const Actor& who, std::string_view address,
                                                                  std::string_view name);
  void remove_app_password(const Actor& who, std::string_view address, int64_t id);

  // API keys, scoped no wider than the admin making them; the secret is returned once.
  std::pair<directory::ApiKey, std::string> add_api_key(const Actor& who, std::string_view name, bool is_super,
                                                        const std::vector<std::string>& domains, int64_t expires_at);
  std::vector<directory::ApiKey> list_api_keys(const Actor& who);  // all for a super-admin, else its own
  void revoke_api_key(const Actor& who, int64_t id, int64_t now);

  // Self-service (a User for its own account, or an admin of its domain).
  Forwarding forwarding(const Actor& who, std::string_view address);
  Forwarding set_forwarding(const Actor& who, std::string_view address, const Forwarding& f);
  // A user changing its own password. The caller has proved the old one through the
  // Authenticator (throttled like a login, on the login pool: Api::change_password_checked).
  void set_own_password(const Actor& who, std::string_view address, const std::string& new_password);
  void remove_admin(const Actor& who, std::string_view name);

  // Web admin login: the admin if the password matches and the admin may log in at all.
  std::optional<directory::Admin> verify_admin(std::string_view name, std::string_view password);

 private:
  directory::Domain domain_for(const Actor& who, std::string_view name);
  directory::Account account_for(const Actor& who, std::string_view address);
  // nullopt in scopes: every domain.
  std::vector<directory::Account> page_accounts(const std::vector<std::optional<int64_t>>& scopes,
                                                const std::string& after, const std::string& q, size_t limit);
  // The account itself for its User, else account_for (an admin of its domain).
  directory::Account self_or_managed(const Actor& who, std::string_view address);
  void check_quota(const Actor& who, const directory::Domain& d, uint64_t quota, uint64_t previous);
  void check_alias_loop(const Actor& who, const std::string& source, const std::vector<std::string>& targets);
  void set_password(const directory::Account& a, const std::string& password);
  void forget_admin_credentials(const directory::Admin& a);
  void forget_account_credentials(const directory::Account& a);

  directory::Directory& dir_;
  Hooks hooks_;
};

void check_password_policy(std::string_view password);

}  // namespace kurier::accounts
