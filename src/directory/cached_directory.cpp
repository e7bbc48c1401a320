// The directory read cache (see cached_directory.h for the consistency rule).
#include "directory/cached_directory.h"

#include <atomic>
#include <climits>
#include <iterator>
#include <list>
#include <mutex>
#include <unordered_map>
#include <variant>

#include "common/strings.h"

namespace kurier::directory {
namespace {

int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// Keys: a kind prefix and the lookup's argument, names lower-cased (ASCII, as every backend's
// case-insensitive columns compare at least that loosely: the cache never joins two names the
// database tells apart).
std::string key(char kind, std::string_view name) { return std::string{kind, ':'} + to_lower(name); }
std::string key(char kind, int64_t id) { return std::string{kind, '#'} + std::to_string(id); }
std::string key(char kind, int64_t id, std::string_view name) {
  return std::string{kind, '#'} + std::to_string(id) + ':' + std::string(name);
}

constexpr char kDomainByName = 'd', kDomainById = 'D', kAccountByLogin = 'l', kAccountByAddress = 'a',
               kAccountById = 'A', kAliasTargets = 'x', kAllAliases = 'X', kActiveScript = 's', kScript = 'S',
               kAdmin = 'm', kAppPassword = 'p';

using Value = std::variant<std::optional<Domain>, std::optional<Account>, std::vector<std::string>, std::vector<Alias>,
                           std::optional<SieveScript>, std::optional<Admin>, std::optional<AppPassword>>;

size_t weight_of(const Value& v) {
  if (auto* list = std::get_if<std::vector<std::string>>(&v)) return 1 + list->size();
  if (auto* aliases = std::get_if<std::vector<Alias>>(&v)) {
    size_t w = 1;
    for (const auto& a : *aliases) w += a.targets.size();
    return w;
  }
  if (auto* script = std::get_if<std::optional<SieveScript>>(&v); script && *script)
    return 1 + (*script)->content.size() / 1024;
  return 1;
}

class CachedDirectory final : public Directory {
 public:
  CachedDirectory(std::unique_ptr<Directory> inner, CacheOptions o) : inner_(std::move(inner)), options_(o) {}

  // ---- cached reads ----
  std::optional<Domain> find_domain(std::string_view name) override {
    return lookup<std::optional<Domain>>(key(kDomainByName, name), [&] { return inner_->find_domain(name); });
  }
  std::optional<Domain> domain_by_id(int64_t id) override {
    return lookup<std::optional<Domain>>(key(kDomainById, id), [&] { return inner_->domain_by_id(id); });
  }
  std::optional<Account> find_account_by_login(std::string_view login) override {
    return lookup<std::optional<Account>>(key(kAccountByLogin, login), [&] { return inner_->find_account_by_login(login); });
  }
  std::optional<Account> find_account_by_address(std::string_view address) override {
    return lookup<std::optional<Account>>(key(kAccountByAddress, address),
                                          [&] { return inner_->find_account_by_address(address); });
  }
  std::optional<Account> account_by_id(int64_t id) override {
    return lookup<std::optional<Account>>(key(kAccountById, id), [&] { return inner_->account_by_id(id); });
  }
  std::vector<std::string> alias_targets(std::string_view source) override {
    return lookup<std::vector<std::string>>(key(kAliasTargets, source), [&] { return inner_->alias_targets(source); });
  }
  std::vector<Alias> list_aliases(std::optional<int64_t> domain_id) override {
    if (domain_id) return inner_->list_aliases(domain_id);  // the admin's listing: not hot
    return lookup<std::vector<Alias>>(key(kAllAliases, 0), [&] { return inner_->list_aliases(std::nullopt); });
  }
  std::optional<SieveScript> active_sieve_script(int64_t account_id) override {
    return lookup<std::optional<SieveScript>>(key(kActiveScript, account_id),
                                              [&] { return inner_->active_sieve_script(account_id); });
  }
  std::optional<SieveScript> find_sieve_script(int64_t account_id, std::string_view name) override {
    // Script names are case-sensitive (RFC 5804 1.6): the name goes into the key as it is.
    return lookup<std::optional<SieveScript>>(key(kScript, account_id, name),
                                              [&] { return inner_->find_sieve_script(account_id, name); });
  }
  std::optional<Admin> find_admin(std::string_view name) override {
    return lookup<std::optional<Admin>>(key(kAdmin, name), [&] { return inner_->find_admin(name); });
  }
  // Only found ones are kept: a guessed secret must not push real entries out.
  std::optional<AppPassword> find_app_password(std::string_view hash) override {
    std::string k = std::string{kAppPassword, ':'} + std::string(hash);
    if (auto hit = cached<std::optional<AppPassword>>(k)) return *hit;
    uint64_t generation = current_generation();
    auto p = inner_->find_app_password(hash);
    if (p) store(k, Value(p), generation);
    return p;
  }

  // last_login changes no cached decision; the cached copies are brought up to date so the
  // authenticator (which writes it at most once a minute) sees that it did.
  void record_login(int64_t account_id, int64_t when) override {
    inner_->record_login(account_id, when);
    patch_last_login(account_id, when);
  }

  // ---- uncached reads: listings and security records read where they are changed ----
  std::vector<Domain> list_domains() override { return inner_->list_domains(); }
  std::vector<Account> list_accounts(std::optional<int64_t> d) override { return inner_->list_accounts(d); }
  uint32_t count_accounts(int64_t d) override { return inner_->count_accounts(d); }
  uint64_t sum_account_quota(int64_t d) override { return inner_->sum_account_quota(d); }
  std::vector<RemovedAccount> removed_accounts() override { return inner_->removed_accounts(); }
  std::vector<Admin> list_admins() override { return inner_->list_admins(); }
  std::vector<SieveScript> list_sieve_scripts(int64_t id) override { return inner_->list_sieve_scripts(id); }
  std::vector<Account> page_accounts(std::optional<int64_t> d, std::string_view after, size_t limit) override {
    return inner_->page_accounts(d, after, limit);
  }
  std::vector<AppPassword> list_app_passwords(int64_t id) override { return inner_->list_app_passwords(id); }
  std::optional<ApiKey> find_api_key(std::string_view hash) override { return inner_->find_api_key(hash); }
  std::vector<ApiKey> list_api_keys() override { return inner_->list_api_keys(); }
  std::optional<TotpSecret> find_totp(std::string_view principal) override { return inner_->find_totp(principal); }
  std::vector<AuditEntry> list_audit(const std::optional<std::vector<std::string>>& domains, int64_t before_id,
                                     size_t limit) override {
    return inner_->list_audit(domains, before_id, limit);
  }
  uint64_t version() override { return inner_->version(); }
  // Neither changes anything the cache holds (TOTP secrets and the audit log are not cached).
  bool use_totp_step(std::string_view principal, int64_t step) override { return inner_->use_totp_step(principal, step); }
  int64_t append_audit(const AuditEntry& e) override { return inner_->append_audit(e); }

  // ---- writes: through, then the cache is dropped (also when the write threw: a COMMIT whose
  // answer was lost may have happened) ----
  void add_domain(const Domain& d) override { changing([&] { inner_->add_domain(d); }); }
  void update_domain(const Domain& d) override { changing([&] { inner_->update_domain(d); }); }
  uint32_t take_login_number(int64_t id) override { return changing([&] { return inner_->take_login_number(id); }); }
  void remove_domain(int64_t id) override { changing([&] { inner_->remove_domain(id); }); }
  int64_t add_account(const Account& a) override { return changing([&] { return inner_->add_account(a); }); }
  void update_account(const Account& a) override { changing([&] { inner_->update_account(a); }); }
  void set_credentials(int64_t id, const std::string& hash, const std::string& scram) override {
    changing([&] { inner_->set_credentials(id, hash, scram); });
  }
  void remove_account(int64_t id) override { changing([&] { inner_->remove_account(id); }); }
  void forget_removed_account(int64_t id) override { changing([&] { inner_->forget_removed_account(id); }); }
  void reserve_account_ids(int64_t through) override { changing([&] { inner_->reserve_account_ids(through); }); }
  void add_alias_targets(int64_t d, const std::string& source, const std::vector<std::string>& targets) override {
    changing([&] { inner_->add_alias_targets(d, source, targets); });
  }
  size_t remove_alias(std::string_view source, std::optional<std::string> target) override {
    return changing([&] { return inner_->remove_alias(source, target); });
  }
  void add_admin(const Admin& a) override { changing([&] { inner_->add_admin(a); }); }
  void update_admin(const Admin& a) override { changing([&] { inner_->update_admin(a); }); }
  void remove_admin(int64_t id) override { changing([&] { inner_->remove_admin(id); }); }
  void put_sieve_script(int64_t id, const std::string& name, const std::string& content) override {
    changing([&] { inner_->put_sieve_script(id, name, content); });
  }
  void activate_sieve_script(int64_t id, std::string_view name) override {
    changing([&] { inner_->activate_sieve_script(id, name); });
  }
  void remove_sieve_script(int64_t id, std::string_view name) override {
    changing([&] { inner_->remove_sieve_script(id, name); });
  }
  void rename_sieve_script(int64_t id, std::string_view from, std::string_view to) override {
    changing([&] { inner_->rename_sieve_script(id, from, to); });
  }
  int64_t add_app_password(const AppPassword& p) override { return changing([&] { return inner_->add_app_password(p); }); }
  bool remove_app_password(int64_t account_id, int64_t id) override {
    return changing([&] { return inner_->remove_app_password(account_id, id); });
  }
  int64_t add_api_key(const ApiKey& k) override { return changing([&] { return inner_->add_api_key(k); }); }
  bool revoke_api_key(int64_t id, int64_t when) override { return changing([&] { return inner_->revoke_api_key(id, when); }); }
  void put_totp(const TotpSecret& t) override { changing([&] { inner_->put_totp(t); }); }
  void remove_totp(std::string_view principal) override { changing([&] { inner_->remove_totp(principal); }); }
  CapCheck add_account_within(const Account& a, const AccountCaps& caps, int64_t& id) override {
    return changing([&] { return inner_->add_account_within(a, caps, id); });
  }
  CapCheck update_account_within(const Account& a, const AccountCaps& caps) override {
    return changing([&] { return inner_->update_account_within(a, caps); });
  }
  // Preferences are read once per page load, never on a mail path: not worth caching.
  std::optional<std::string> find_preferences(std::string_view principal) override {
    return inner_->find_preferences(principal);
  }
  void put_preferences(std::string_view principal, const std::string& json) override {
    changing([&] { inner_->put_preferences(principal, json); });
  }

 private:
  struct Entry {
    std::string key;
    Value value;
    size_t weight;
  };

  template <class T, class Load>
  T lookup(const std::string& k, Load&& load) {
    if (auto hit = cached<T>(k)) return std::move(*hit);
    uint64_t generation = current_generation();
    T value = load();
    store(k, Value(value), generation);
    return value;
  }

  // The entry, once the counter is known to be checked recently enough; nullopt on a miss.
  template <class T>
  std::optional<T> cached(const std::string& k) {
    if (options_.max_weight == 0) return std::nullopt;
    check_version();
    std::lock_guard lock(mutex_);
    auto it = index_.find(k);
    if (it == index_.end()) return std::nullopt;
    lru_.splice(lru_.begin(), lru_, it->second);
    return std::get<T>(it->second->value);
  }

  uint64_t current_generation() {
    std::lock_guard lock(mutex_);
    return generation_;
  }

  // Keeps a loaded value unless the cache was dropped since the load began (it may predate the
  // change that dropped it). A found account or domain answers its other lookups too, so it is
  // kept under each of its keys, and those go together (record_login finds them all by id).
  void store(const std::string& k, Value value, uint64_t generation) {
    if (options_.max_weight == 0) return;
    std::lock_guard lock(mutex_);
    if (generation != generation_) return;
    auto keys = sibling_keys(value);
    if (keys.empty()) keys.push_back(k);
    for (const auto& each : keys) insert_locked(each, value);
    while (weight_ > options_.max_weight && !lru_.empty()) erase_locked(std::prev(lru_.end()));
  }

  static std::vector<std::string> sibling_keys(const Value& v) {
    if (auto* a = std::get_if<std::optional<Account>>(&v); a && *a)
      return {key(kAccountById, (*a)->id), key(kAccountByLogin, (*a)->login), key(kAccountByAddress, (*a)->address)};
    if (auto* d = std::get_if<std::optional<Domain>>(&v); d && *d)
      return {key(kDomainById, (*d)->id), key(kDomainByName, (*d)->name)};
    return {};
  }

  void insert_locked(const std::string& k, const Value& value) {
    if (auto it = index_.find(k); it != index_.end()) erase_one_locked(it->second);
    size_t w = weight_of(value);
    if (w > options_.max_weight) return;
    lru_.push_front({k, value, w});
    index_[k] = lru_.begin();
    weight_ += w;
  }

  void erase_one_locked(std::list<Entry>::iterator it) {
    weight_ -= it->weight;
    index_.erase(it->key);
    lru_.erase(it);
  }

  // An entry and the other keys of the same account or domain.
  void erase_locked(std::list<Entry>::iterator it) {
    auto keys = sibling_keys(it->value);
    erase_one_locked(it);
    for (const auto& k : keys)
      if (auto found = index_.find(k); found != index_.end()) erase_one_locked(found->second);
  }

  // Brings last_login of the account's cached copies (all under its keys, see store) up to date.
  void patch_last_login(int64_t account_id, int64_t when) {
    std::lock_guard lock(mutex_);
    auto by_id = index_.find(key(kAccountById, account_id));
    if (by_id == index_.end()) return;
    auto& account = std::get<std::optional<Account>>(by_id->second->value);
    if (!account) return;
    for (const auto& k : sibling_keys(by_id->second->value))
      if (auto it = index_.find(k); it != index_.end())
        if (auto* a = std::get_if<std::optional<Account>>(&it->second->value); a && *a && (*a)->id == account_id)
          (*a)->last_login = when;
  }

  void drop_locked() {
    lru_.clear();
    index_.clear();
    weight_ = 0;
    ++generation_;
  }

  // Reads the change counter when the last reading started check_interval ago or more; drops
  // everything when it moved. Concurrent callers wait for the one reading in flight.
  void check_version() {
    const int64_t interval = std::chrono::nanoseconds(options_.check_interval).count();
    auto fresh = [&] { return interval > 0 && now_ns() - checked_at_.load() < interval; };
    if (fresh()) return;
    std::lock_guard check(check_mutex_);
    if (fresh()) return;  // another thread read it meanwhile
    int64_t started = now_ns();
    uint64_t v = inner_->version();  // throws Unavailable: nothing is served unchecked
    std::lock_guard lock(mutex_);
    if (!version_ || *version_ != v) {
      drop_locked();
      version_ = v;
    }
    checked_at_ = started;
  }

  template <class F>
  auto changing(F&& fn) -> decltype(fn()) {
    struct Drop {
      CachedDirectory& self;
      ~Drop() {
        std::lock_guard lock(self.mutex_);
        self.drop_locked();
        self.version_.reset();  // the counter moved: read it again before serving
        self.checked_at_ = kNever;
      }
    } drop{*this};
    return fn();
  }

  static constexpr int64_t kNever = INT64_MIN / 2;
  std::unique_ptr<Directory> inner_;
  CacheOptions options_;
  std::mutex check_mutex_;  // one reading of the counter at a time
  std::atomic<int64_t> checked_at_{kNever};  // steady clock (ns) when the last reading started
  std::mutex mutex_;        // the entries, generation_ and version_
  std::list<Entry> lru_;    // most recently used first
  std::unordered_map<std::string, std::list<Entry>::iterator> index_;
  size_t weight_ = 0;
  uint64_t generation_ = 0;
  std::optional<uint64_t> version_;
};

}  // namespace

std::unique_ptr<Directory> open_cached(std::unique_ptr<Directory> inner, CacheOptions options) {
  return std::make_unique<CachedDirectory>(std::move(inner), options);
}

}  // namespace kurier::directory
