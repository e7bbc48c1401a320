#include "accounts/admin_service.h"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <set>
#include <utility>

#include "accounts/credentials.h"
#include "auth/password.h"
#include "auth/token.h"
#include "common/strings.h"

namespace kurier::accounts {
namespace {

using directory::Account;
using directory::Admin;
using directory::Alias;
using directory::Domain;

bool is_atext(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-/=?^_`{|}~").find(c) != std::string_view::npos;
}

// RFC 5322 dot-atom local part: atext runs separated by single dots (RFC 5321 4.5.3.1.1: 64 octets).
bool valid_local_part(std::string_view s) {
  if (s.empty() || s.size() > 64 || s.front() == '.' || s.back() == '.') return false;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '.') {
      if (s[i + 1] == '.') return false;
    } else if (!is_atext(s[i])) {
      return false;
    }
  }
  return true;
}

std::string split_domain(std::string_view address) {
  auto at = address.rfind('@');
  return at == std::string_view::npos ? std::string() : std::string(address.substr(at + 1));
}

std::string local_part(std::string_view address) {
  auto at = address.rfind('@');
  return std::string(address.substr(0, at));
}

// The items of every domain in `domains`, one domain after the other (the listings an admin gets
// without naming a domain).
template <class ItemsOf>
auto concat_per_domain(const std::vector<Domain>& domains, ItemsOf items_of) {
  decltype(items_of(std::declval<const Domain&>())) out;
  for (const auto& d : domains) {
    auto part = items_of(d);
    out.insert(out.end(), part.begin(), part.end());
  }
  return out;
}

// Runs fn, translating directory errors into this layer's.
template <class F>
auto translate(F&& fn) -> std::invoke_result_t<F> {
  try {
    return fn();
  } catch (const directory::Error& e) {
    switch (e.kind()) {
      case directory::Error::NotFound: throw Error(Error::NotFound, e.what());
      case directory::Error::Conflict: throw Error(Error::Conflict, e.what());
      case directory::Error::Invalid: throw Error(Error::Invalid, e.what());
      case directory::Error::Unavailable: throw Error(Error::Unavailable, e.what());
    }
    throw;
  }
}

void require_super(const Actor& who, std::string_view what) {
  if (!who.is_super()) throw Error(Error::Forbidden, "only a super-admin may " + std::string(what));
}

// Reserved local parts that must stay deliverable to the postmaster (RFC 5321 4.5.1), never a user's.
bool is_reserved_local_part(std::string_view local) {
  return iequals(local, "postmaster") || iequals(local, "root") || iequals(local, "abuse") ||
         iequals(local, "mailer-daemon");
}

}  // namespace

bool Actor::may_manage(std::string_view domain) const {
  if (is_super()) return true;
  return std::any_of(domains.begin(), domains.end(), [&](const std::string& d) { return iequals(d, domain); });
}

std::optional<std::string> normalize_domain(std::string_view name) {
  std::string d = to_lower(trim(name));
  if (!d.empty() && d.back() == '.') d.pop_back();
  if (d.empty() || d.size() > 253 || d.find('.') == std::string::npos) return std::nullopt;
  for (auto label : split(d, '.')) {
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') return std::nullopt;
    for (char c : label)
      if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return std::nullopt;
  }
  return d;
}

std::optional<std::string> normalize_address(std::string_view address) {
  address = trim(address);
  auto at = address.rfind('@');
  if (at == std::string_view::npos || at == 0) return std::nullopt;
  auto local = address.substr(0, at);
  if (!valid_local_part(local)) return std::nullopt;
  auto domain = normalize_domain(address.substr(at + 1));
  if (!domain) return std::nullopt;
  return to_lower(local) + "@" + *domain;
}

void check_password_policy(std::string_view password) {
  if (password.size() < 8) throw Error(Error::Invalid, "password too short: at least 8 characters");
  if (password.size() > auth::kMaxPasswordLength) throw Error(Error::Invalid, "password too long");
  for (unsigned char c : password)
    if (c < 0x20 || c == 0x7f) throw Error(Error::Invalid, "password contains control characters");
}

// ---- domains ----

Domain AdminService::domain_for(const Actor& who, std::string_view name) {
  auto norm = normalize_domain(name);
  if (!norm) throw Error(Error::Invalid, "invalid domain name: " + std::string(name));
  // Authorised before the lookup: a domain not delegated answers the same whether or not it
  // exists, so a domain admin learns nothing about other tenants.
  if (!who.may_manage(*norm)) throw Error(Error::Forbidden, "not allowed to manage domain " + *norm);
  auto d = translate([&] { return dir_.find_domain(*norm); });
  if (!d) throw Error(Error::NotFound, "no such domain: " + *norm);
  return *d;
}

static void apply_domain_settings(Domain& d, const DomainSettings& s) {
  if (s.default_quota) d.default_quota = *s.default_quota;
  if (s.max_quota_per_account) d.max_quota_per_account = *s.max_quota_per_account;
  if (s.total_quota) d.total_quota = *s.total_quota;
  if (s.max_accounts) d.max_accounts = *s.max_accounts;
  if (s.username_scheme) d.username_scheme = *s.username_scheme;
  if (s.prefix) d.prefix = *s.prefix;
  if (s.transport) d.transport = *s.transport;
}

static void validate_domain_settings(const Domain& d) {
  if (d.username_scheme != "address" && d.username_scheme != "prefix")
    throw Error(Error::Invalid, "username scheme must be 'address' or 'prefix', not '" + d.username_scheme + "'");
  if (d.username_scheme == "prefix") {
    if (d.prefix.empty() || d.prefix.size() > 32) throw Error(Error::Invalid, "the prefix scheme needs a prefix of 1-32 characters");
    for (char c : d.prefix)
      if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_'))
        throw Error(Error::Invalid, "prefix may contain only a-z, 0-9, '-' and '_'");
  }
  if (d.max_quota_per_account && d.default_quota > d.max_quota_per_account)
    throw Error(Error::Invalid, "default quota exceeds the per-account maximum");
  if (!d.transport.empty() && !istarts_with(d.transport, "relay:"))
    throw Error(Error::Invalid, "transport must be empty (local) or relay:HOST:PORT");
}

Domain AdminService::add_domain(const Actor& who, std::string_view name, const DomainSettings& s) {
  require_super(who, "add domains");
  auto norm = normalize_domain(name);
  if (!norm) throw Error(Error::Invalid, "invalid domain name: " + std::string(name));
  Domain d;
  d.name = *norm;
  d.default_quota = 20000ull * 1024;  // the seed's default: 20000 KiB
  apply_domain_settings(d, s);
  validate_domain_settings(d);
  translate([&] { dir_.add_domain(d); });
  return *translate([&] { return dir_.find_domain(d.name); });
}

Domain AdminService::set_domain(const Actor& who, std::string_view name, const DomainSettings& s) {
  Domain d = domain_for(who, name);
  // A domain admin may not raise the limits a super-admin set for the domain.
  if (!who.is_super() && (s.max_quota_per_account || s.total_quota || s.max_accounts || s.transport ||
                          s.username_scheme || s.prefix))
    throw Error(Error::Forbidden, "only a super-admin may change the limits, scheme or transport of " + d.name);
  apply_domain_settings(d, s);
  validate_domain_settings(d);
  translate([&] { dir_.update_domain(d); });
  return d;
}

Domain AdminService::show_domain(const Actor& who, std::string_view name) { return domain_for(who, name); }

std::vector<Domain> AdminService::list_domains(const Actor& who) {
  auto all = translate([&] { return dir_.list_domains(); });
  std::erase_if(all, [&](const Domain& d) { return !who.may_manage(d.name); });
  return all;
}

void AdminService::remove_domain(const Actor& who, std::string_view name) {
  require_super(who, "remove domains");
  Domain d = domain_for(who, name);
  auto accounts = translate([&] { return dir_.list_accounts(d.id); });
  translate([&] { dir_.remove_domain(d.id); });
  for (const auto& a : accounts) forget_account_credentials(a);
  if (hooks_.account_removed)
    for (const auto& a : accounts) hooks_.account_removed(a);
}

// ---- accounts ----

Account AdminService::account_for(const Actor& who, std::string_view address) {
  auto norm = normalize_address(address);
  // An address outside the caller's domains is refused before any lookup (no existence oracle),
  // with the caller's own input in the message.
  if (norm && !who.may_manage(norm->substr(norm->rfind('@') + 1)))
    throw Error(Error::Forbidden, "not allowed to manage " + *norm);
  std::optional<Account> a;
  if (norm) a = translate([&] { return dir_.find_account_by_address(*norm); });
  if (!a) a = translate([&] { return dir_.find_account_by_login(trim(address)); });
  if (a) {
    auto d = translate([&] { return dir_.domain_by_id(a->domain_id); });
    // A login (prefix scheme) of another tenant's account is, to this caller, no account: the
    // answer never shows the address behind it.
    if (!d || !who.may_manage(d->name)) a.reset();
  }
  if (!a) {
    if (!norm) throw Error(Error::Invalid, "invalid address: " + std::string(address));
    throw Error(Error::NotFound, "no such user: " + *norm);
  }
  return *a;
}

void AdminService::check_quota(const Actor& who, const Domain& d, uint64_t quota, uint64_t previous) {
  if (who.is_super()) return;  // the super-admin sets the ceilings, so may exceed them
  if (d.max_quota_per_account && (quota == 0 || quota > d.max_quota_per_account))
    throw Error(Error::Limit, "quota exceeds the maximum of " + format_size(d.max_quota_per_account) +
                                  " per account in " + d.name);
  if (d.total_quota) {
    uint64_t sum = translate([&] { return dir_.sum_account_quota(d.id); }) - previous + quota;
    if (quota == 0 || sum > d.total_quota)
      throw Error(Error::Limit, "quota would exceed the total quota of " + format_size(d.total_quota) + " for " + d.name);
  }
}

// The caps that bind `who` in domain d: max accounts binds everybody, the total quota everybody
// but a super-admin (who sets the ceilings, so may exceed them).
static directory::AccountCaps caps_for(const Actor& who, const Domain& d) {
  return {d.max_accounts, who.is_super() ? 0 : d.total_quota};
}

static void throw_cap(directory::CapCheck broken, const Domain& d) {
  if (broken == directory::CapCheck::MaxAccounts)
    throw Error(Error::Limit, "domain " + d.name + " has reached its limit of " + std::to_string(d.max_accounts) + " accounts");
  if (broken == directory::CapCheck::TotalQuota)
    throw Error(Error::Limit, "quota would exceed the total quota of " + format_size(d.total_quota) + " for " + d.name);
}

void AdminService::set_password(const Account& a, const std::string& password) {
  check_password_policy(password);
  auto c = make_credentials(password);
  translate([&] { dir_.set_credentials(a.id, c.hash, c.scram); });
}

Account AdminService::add_user(const Actor& who, std::string_view address, const std::string& password,
                               std::optional<uint64_t> quota, std::string_view display_name) {
  auto norm = normalize_address(address);
  if (!norm) throw Error(Error::Invalid, "invalid address: " + std::string(address));
  if (is_reserved_local_part(local_part(*norm)))
    throw Error(Error::Invalid, local_part(*norm) + "@ is reserved and cannot be a user; use an alias");
  Domain d = domain_for(who, split_domain(*norm));
  if (!d.transport.empty()) throw Error(Error::Invalid, d.name + " is a relay domain and holds no mailboxes");
  check_password_policy(password);
  uint32_t count = translate([&] { return dir_.count_accounts(d.id); });
  if (d.max_accounts && count >= d.max_accounts)
    throw Error(Error::Limit, "domain " + d.name + " has reached its limit of " + std::to_string(d.max_accounts) + " accounts");
  if (!translate([&] { return dir_.alias_targets(*norm); }).empty())
    throw Error(Error::Conflict, *norm + " is already an alias");
  Account a;
  a.domain_id = d.id;
  a.address = *norm;
  a.display_name = std::string(display_name);
  a.quota = quota.value_or(d.default_quota);
  check_quota(who, d, a.quota, 0);
  if (translate([&] { return dir_.find_account_by_address(*norm); }))
    throw Error(Error::Conflict, "user " + *norm + " already exists");
  if (d.username_scheme == "prefix") {
    char buf[48];
    std::snprintf(buf, sizeof buf, "%s%04u", d.prefix.c_str(), translate([&] { return dir_.take_login_number(d.id); }));
    a.login = buf;
  } else {
    a.login = *norm;
  }
  auto c = make_credentials(password);
  a.password_hash = c.hash;
  a.scram_secret = c.scram;
  // The checks above answer early; this one, in the insert's own transaction, holds against
  // racing requests (review M3).
  directory::CapCheck broken = translate([&] { return dir_.add_account_within(a, caps_for(who, d), a.id); });
  throw_cap(broken, d);
  auto stored = *translate([&] { return dir_.account_by_id(a.id); });
  if (hooks_.account_created) hooks_.account_created(stored);
  return stored;
}

Account AdminService::set_user(const Actor& who, std::string_view address, const UserSettings& s) {
  Account a = account_for(who, address);
  std::optional<Domain> d;
  if (s.quota) {
    d = translate([&] { return dir_.domain_by_id(a.domain_id); });
    if (!d) throw Error(Error::NotFound, "no such domain of " + a.address);
    check_quota(who, *d, *s.quota, a.quota);
    a.quota = *s.quota;
  }
  if (s.display_name) a.display_name = *s.display_name;
  if (s.enabled) a.enabled = *s.enabled;
  a.services = (a.services & ~s.disable_services) | s.enable_services;
  if (s.password) check_password_policy(*s.password);
  if (d && caps_for(who, *d).total_quota) {
    // The sum checked again in the update's own transaction (review M3).
    directory::CapCheck broken = translate([&] { return dir_.update_account_within(a, caps_for(who, *d)); });
    throw_cap(broken, *d);
  } else {
    translate([&] { dir_.update_account(a); });
  }
  if (s.password) set_password(a, *s.password);
  return *translate([&] { return dir_.account_by_id(a.id); });
}

Account AdminService::show_user(const Actor& who, std::string_view address) { return account_for(who, address); }

std::vector<Account> AdminService::list_users(const Actor& who, std::optional<std::string> domain) {
  auto accounts_of = [&](const Domain& d) { return translate([&] { return dir_.list_accounts(d.id); }); };
  if (domain) return accounts_of(domain_for(who, *domain));
  return concat_per_domain(list_domains(who), accounts_of);
}

void AdminService::remove_user(const Actor& who, std::string_view address) {
  Account a = account_for(who, address);
  translate([&] { dir_.remove_account(a.id); });
  forget_account_credentials(a);
  if (hooks_.account_removed) hooks_.account_removed(a);
}

// ---- aliases ----

// Follows alias edges from each target; reaching the source again means mail would circle
// forever — unless the source is an account, where "source -> source" means "keep a copy".
// Only the domains `who` manages are walked: another tenant's aliases are neither read nor
// reported (review M5), and a loop through them is stopped at delivery (resolver depth limit,
// 5.4.6), so a domain admin learns nothing of them.
void AdminService::check_alias_loop(const Actor& who, const std::string& source, const std::vector<std::string>& targets) {
  bool source_is_account = translate([&] { return dir_.find_account_by_address(source).has_value(); });
  std::set<std::string> seen;
  std::vector<std::pair<std::string, int>> todo;
  for (const auto& t : targets) todo.push_back({to_lower(t), 0});
  while (!todo.empty()) {
    auto [addr, depth] = todo.back();
    todo.pop_back();
    if (addr == source) {
      if (depth == 0 && source_is_account) continue;
      throw Error(Error::Invalid, "alias loop: " + source + " would deliver to itself");
    }
    if (depth > 20 || !seen.insert(addr).second) continue;
    // A user walks its own domain's aliases, an admin those of its domains.
    std::string domain = split_domain(addr);
    if (who.role == Actor::User ? !iequals(domain, split_domain(who.name)) : !who.may_manage(domain)) continue;
    if (translate([&] { return dir_.find_account_by_address(addr).has_value(); })) continue;
    for (auto& next : translate([&] { return dir_.alias_targets(addr); })) todo.push_back({to_lower(next), depth + 1});
  }
}

Alias AdminService::add_alias(const Actor& who, std::string_view source_in, const std::vector<std::string>& targets_in) {
  if (targets_in.empty()) throw Error(Error::Invalid, "an alias needs at least one target");
  if (targets_in.size() > 1000) throw Error(Error::Invalid, "too many targets (at most 1000)");
  std::string source;
  bool domain_wide = !source_in.empty() && source_in.front() == '@';
  if (domain_wide) {
    auto d = normalize_domain(source_in.substr(1));
    if (!d) throw Error(Error::Invalid, "invalid alias source: " + std::string(source_in));
    source = "@" + *d;
  } else {
    auto a = normalize_address(source_in);
    if (!a) throw Error(Error::Invalid, "invalid alias source: " + std::string(source_in));
    source = *a;
  }
  Domain d = domain_for(who, split_domain(source));
  std::vector<std::string> targets;
  for (const auto& t : targets_in) {
    if (!t.empty() && t.front() == '@') {
      auto td = normalize_domain(std::string_view(t).substr(1));
      if (!domain_wide || !td) throw Error(Error::Invalid, "invalid alias target: " + t + " (a domain target needs a @domain source)");
      if (*td == d.name) throw Error(Error::Invalid, "alias loop: " + source + " would deliver to itself");
      targets.push_back("@" + *td);
      continue;
    }
    auto a = normalize_address(t);
    if (!a) throw Error(Error::Invalid, "invalid alias target: " + t);
    targets.push_back(*a);
  }
  bool domain_alias = domain_wide && targets.front().front() == '@';
  if (domain_alias && targets.size() != 1) throw Error(Error::Invalid, "a domain alias has exactly one @domain target");
  if (domain_wide && !domain_alias && std::any_of(targets.begin(), targets.end(), [](auto& t) { return t.front() == '@'; }))
    throw Error(Error::Invalid, "a catch-all cannot mix @domain and address targets");
  if (!domain_wide) check_alias_loop(who, source, targets);
  if (domain_alias && d.max_accounts) {
    // The seed's max accounts also capped the domain aliases pointing at a domain.
    auto aliases = translate([&] { return dir_.list_aliases(d.id); });
    uint32_t n = uint32_t(std::count_if(aliases.begin(), aliases.end(), [](const Alias& a) { return a.source.front() == '@'; }));
    if (n >= d.max_accounts) throw Error(Error::Limit, "domain " + d.name + " has reached its limit of " + std::to_string(d.max_accounts));
  }
  translate([&] { dir_.add_alias_targets(d.id, source, targets); });
  return {source, translate([&] { return dir_.alias_targets(source); })};
}

std::vector<Alias> AdminService::list_aliases(const Actor& who, std::optional<std::string> domain) {
  auto aliases_of = [&](const Domain& d) { return translate([&] { return dir_.list_aliases(d.id); }); };
  if (domain) return aliases_of(domain_for(who, *domain));
  return concat_per_domain(list_domains(who), aliases_of);
}

void AdminService::remove_alias(const Actor& who, std::string_view source_in, std::optional<std::string> target) {
  std::string source = to_lower(trim(source_in));
  auto at = source.rfind('@');
  if (at == std::string::npos) throw Error(Error::Invalid, "invalid alias source: " + source);
  domain_for(who, source.substr(at + 1));
  if (target) *target = to_lower(trim(*target));
  size_t n = translate([&] { return dir_.remove_alias(source, target); });
  if (n == 0) throw Error(Error::NotFound, target ? "no alias " + source + " -> " + *target : "no such alias: " + source);
}

// ---- admins ----

Admin AdminService::add_admin(const Actor& who, std::string_view name_in, const std::string& password, bool is_super,
                              const std::vector<std::string>& domains) {
  require_super(who, "add admins");
  std::string name = to_lower(trim(name_in));
  if (name.empty() || name.size() > 64) throw Error(Error::Invalid, "admin name must be 1-64 characters");
  for (char c : name)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || std::string_view("._-@").find(c) != std::string_view::npos))
      throw Error(Error::Invalid, "admin name may contain only a-z, 0-9 and . _ - @");
  if (!is_super && domains.empty()) throw Error(Error::Invalid, "a domain admin needs at least one --domain");
  if (is_super && !domains.empty()) throw Error(Error::Invalid, "a super-admin manages every domain: drop --domain");
  check_password_policy(password);
  Admin a;
  a.name = name;
  a.is_super = is_super;
  for (const auto& d : domains) a.domains.push_back(domain_for(who, d).name);
  a.password_hash = auth::hash_password(password);
  translate([&] { dir_.add_admin(a); });
  return *translate([&] { return dir_.find_admin(name); });
}

std::vector<Admin> AdminService::list_admins(const Actor& who) {
  require_super(who, "list admins");
  auto all = translate([&] { return dir_.list_admins(); });
  for (auto& a : all) a.password_hash.clear();
  return all;
}

void AdminService::remove_admin(const Actor& who, std::string_view name) {
  require_super(who, "remove admins");
  auto a = translate([&] { return dir_.find_admin(to_lower(trim(name))); });
  if (!a) throw Error(Error::NotFound, "no such admin: " + std::string(name));
  if (a->is_super) {
    auto all = translate([&] { return dir_.list_admins(); });
    if (std::count_if(all.begin(), all.end(), [](const Admin& x) { return x.is_super; }) <= 1)
      throw Error(Error::Invalid, "cannot remove the last super-admin");
  }
  translate([&] { dir_.remove_admin(a->id); });
  forget_admin_credentials(*a);
}

// API keys and the second factor point to their owner by name: they go with the admin, so an
// admin made later under the same name inherits neither (review L2).
void AdminService::forget_admin_credentials(const Admin& a) {
  auto now = int64_t(std::time(nullptr));
  for (const auto& k : translate([&] { return dir_.list_api_keys(); }))
    if (iequals(k.owner, a.name) && !k.revoked_at) translate([&] { return dir_.revoke_api_key(k.id, now); });
  translate([&] { dir_.remove_totp("admin:" + to_lower(a.name)); });
  translate([&] { dir_.put_preferences("admin:" + std::to_string(a.id), ""); });
}

// The account's second factor (keyed "user:ADDRESS") and web preferences go with it (review L2).
void AdminService::forget_account_credentials(const Account& a) {
  translate([&] { dir_.remove_totp("user:" + to_lower(a.address)); });
  translate([&] { dir_.put_preferences("user:" + std::to_string(a.id), ""); });
}

std::optional<Admin> AdminService::verify_admin(std::string_view name, std::string_view password) {
  auto a = translate([&] { return dir_.find_admin(to_lower(trim(name))); });
  if (!a) {
    auth::verify_password(password, "$y$j9T$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");  // same cost either way
    return std::nullopt;
  }
  if (!auth::verify_password(password, a->password_hash)) return std::nullopt;
  if (!a->is_super && a->domains.empty()) return std::nullopt;  // an admin with no domains cannot log in
  return a;
}

}  // namespace kurier::accounts

namespace kurier::accounts {

// ---- paging ----

// Accounts of the domains by address after `after` whose address or display name contains q:
// keyset pages from the directory (one range scan each), merged over the domains; a search
// reads on in batches until the page is full.
std::vector<Account> AdminService::page_accounts(const std::vector<std::optional<int64_t>>& scopes, const std::string& after,
                                                 const std::string& q, size_t limit) {
  auto matches = [&](const Account& a) {
    return q.empty() || a.address.find(q) != std::string::npos || to_lower(a.display_name).find(q) != std::string::npos;
  };
  const size_t batch = q.empty() ? limit : std::max<size_t>(limit, 500);
  std::vector<Account> out;
  for (const auto& scope : scopes) {
    std::string cursor = after;
    size_t found = 0;
    for (;;) {
      auto rows = translate([&] { return dir_.page_accounts(scope, cursor, batch); });
      for (auto& a : rows)
        if (matches(a) && found < limit) {
          out.push_back(std::move(a));
          ++found;
        }
      if (rows.size() < batch || found >= limit) break;
      cursor = rows.back().address;
    }
  }
  std::sort(out.begin(), out.end(), [](const Account& x, const Account& y) { return x.address < y.address; });
  if (out.size() > limit) out.resize(limit);
  return out;
}

Page<Account> AdminService::page_users(const Actor& who, std::optional<std::string> domain, const PageQuery& page) {
  // A super-admin's list is one range scan over every account; others merge their domains'.
  std::vector<std::optional<int64_t>> ids;
  if (domain) ids.push_back(domain_for(who, *domain).id);
  else if (who.is_super()) ids.push_back(std::nullopt);
  else
    for (const auto& d : list_domains(who)) ids.push_back(d.id);
  Page<Account> out;
  if (ids.empty()) return out;
  std::string q = to_lower(page.query);
  // One more than asked for tells whether another page follows.
  out.items = page_accounts(ids, page.after, q, page.limit + 1);
  if (out.items.size() > page.limit) {
    out.items.resize(page.limit);
    out.next = out.items.back().address;
  }
  return out;
}

// ---- admins ----

Admin AdminService::show_admin(const Actor& who, std::string_view name) {
  require_super(who, "see admins");
  auto a = translate([&] { return dir_.find_admin(to_lower(trim(name))); });
  if (!a) throw Error(Error::NotFound, "no such admin: " + std::string(name));
  a->password_hash.clear();
  return *a;
}

Admin AdminService::set_admin(const Actor& who, std::string_view name, const std::optional<std::string>& password,
                              const std::optional<std::vector<std::string>>& domains) {
  require_super(who, "change admins");
  auto a = translate([&] { return dir_.find_admin(to_lower(trim(name))); });
  if (!a) throw Error(Error::NotFound, "no such admin: " + std::string(name));
  if (domains) {
    if (a->is_super && !domains->empty()) throw Error(Error::Invalid, "a super-admin manages every domain: no domains");
    if (!a->is_super && domains->empty()) throw Error(Error::Invalid, "a domain admin needs at least one domain");
    std::vector<std::string> names;
    for (const auto& d : *domains) names.push_back(domain_for(who, d).name);
    a->domains = names;
  }
  if (password) {
    check_password_policy(*password);
    a->password_hash = auth::hash_password(*password);
  }
  translate([&] { dir_.update_admin(*a); });
  return show_admin(who, a->name);
}

// ---- self-service ----

Account AdminService::self_or_managed(const Actor& who, std::string_view address) {
  if (who.role != Actor::User) return account_for(who, address);
  auto a = translate([&] { return dir_.find_account_by_address(to_lower(trim(address))); });
  if (!a || !iequals(a->address, who.name)) throw Error(Error::Forbidden, "a user may only manage its own account");
  return *a;
}

Forwarding AdminService::forwarding(const Actor& who, std::string_view address) {
  Account a = self_or_managed(who, address);
  Forwarding f;
  for (auto& t : translate([&] { return dir_.alias_targets(a.address); })) {
    if (iequals(t, a.address)) f.keep_copy = true;
    else f.targets.push_back(t);
  }
  return f;
}

Forwarding AdminService::set_forwarding(const Actor& who, std::string_view address, const Forwarding& f) {
  Account a = self_or_managed(who, address);
  if (f.targets.size() > 100) throw Error(Error::Invalid, "too many forwarding targets (at most 100)");
  std::vector<std::string> targets;
  for (const auto& t : f.targets) {
    auto norm = normalize_address(t);
    if (!norm) throw Error(Error::Invalid, "invalid forwarding address: " + t);
    if (*norm == a.address) continue;
    targets.push_back(*norm);
  }
  if (!targets.empty()) {
    if (f.keep_copy) targets.push_back(a.address);
    check_alias_loop(who, a.address, targets);
  }
  translate([&] {
    dir_.remove_alias(a.address, std::nullopt);
    if (!targets.empty()) dir_.add_alias_targets(a.domain_id, a.address, targets);
  });
  return forwarding(who, address);
}

void AdminService::set_own_password(const Actor& who, std::string_view address, const std::string& new_password) {
  Account a = self_or_managed(who, address);
  set_password(a, new_password);
}

}  // namespace kurier::accounts

namespace kurier::accounts {

// ---- app passwords (a user's own, or an admin's for accounts of its domains) ----

std::vector<directory::AppPassword> AdminService::list_app_passwords(const Actor& who, std::string_view address) {
  Account a = self_or_managed(who, address);
  auto all = translate([&] { return dir_.list_app_passwords(a.id); });
  for (auto& p : all) p.hash.clear();
  return all;
}

std::pair<directory::AppPassword, std::string> AdminService::add_app_password(const Actor& who, std::string_view address,
                                                                              std::string_view name) {
  Account a = self_or_managed(who, address);
  std::string label(trim(name));
  if (label.empty() || label.size() > 64) throw Error(Error::Invalid, "an app password needs a name of 1-64 characters");
  for (unsigned char c : label)
    if (c < 0x20 || c == 0x7f) throw Error(Error::Invalid, "the name contains control characters");
  if (translate([&] { return dir_.list_app_passwords(a.id); }).size() >= kMaxAppPasswords)
    throw Error(Error::Limit, "at most " + std::to_string(kMaxAppPasswords) + " app passwords per account");
  directory::AppPassword p;
  p.account_id = a.id;
  p.name = label;
  std::string secret = auth::random_token(24);
  p.hash = auth::token_hash(secret);
  p.id = translate([&] { return dir_.add_app_password(p); });
  for (const auto& stored : list_app_passwords(who, address))
    if (stored.id == p.id) return {stored, secret};
  throw Error(Error::Unavailable, "the app password vanished");
}

void AdminService::remove_app_password(const Actor& who, std::string_view address, int64_t id) {
  Account a = self_or_managed(who, address);
  if (!translate([&] { return dir_.remove_app_password(a.id, id); }))
    throw Error(Error::NotFound, "no such app password: " + std::to_string(id));
}

// ---- API keys ----

std::pair<directory::ApiKey, std::string> AdminService::add_api_key(const Actor& who, std::string_view name, bool is_super,
                                                                    const std::vector<std::string>& domains,
                                                                    int64_t expires_at) {
  if (who.role == Actor::User) throw Error(Error::Forbidden, "only admins may make API keys");
  std::string label(trim(name));
  if (label.empty() || label.size() > 64) throw Error(Error::Invalid, "an API key needs a name of 1-64 characters");
  // A key never acts wider than the admin who makes it.
  if (is_super) require_super(who, "make super-admin API keys");
  if (is_super && !domains.empty()) throw Error(Error::Invalid, "a super-admin key covers every domain: no domains");
  if (!is_super && domains.empty()) throw Error(Error::Invalid, "a domain-admin key needs at least one domain");
  if (expires_at < 0) throw Error(Error::Invalid, "expires_at must be a Unix time or 0 (never)");
  directory::ApiKey k;
  k.name = label;
  k.owner = who.role == Actor::System ? "cli" : who.name;
  k.is_super = is_super;
  for (const auto& d : domains) k.domains.push_back(domain_for(who, d).name);
  k.expires_at = expires_at;
  std::string secret = "kur_" + auth::random_token(32);
  k.hash = auth::token_hash(secret);
  translate([&] { return dir_.add_api_key(k); });
  auto stored = *translate([&] { return dir_.find_api_key(k.hash); });
  stored.hash.clear();
  return {stored, secret};
}

std::vector<directory::ApiKey> AdminService::list_api_keys(const Actor& who) {
  if (who.role == Actor::User) throw Error(Error::Forbidden, "only admins have API keys");
  auto all = translate([&] { return dir_.list_api_keys(); });
  std::erase_if(all, [&](const directory::ApiKey& k) { return !who.is_super() && !iequals(k.owner, who.name); });
  for (auto& k : all) k.hash.clear();
  return all;
}

void AdminService::revoke_api_key(const Actor& who, int64_t id, int64_t now) {
  auto keys = list_api_keys(who);
  auto it = std::find_if(keys.begin(), keys.end(), [&](const directory::ApiKey& k) { return k.id == id; });
  if (it == keys.end()) throw Error(Error::NotFound, "no such API key: " + std::to_string(id));
  if (it->revoked_at) throw Error(Error::Conflict, "API key " + std::to_string(id) + " is already revoked");
  translate([&] { return dir_.revoke_api_key(id, now); });
}

}  // namespace kurier::accounts
