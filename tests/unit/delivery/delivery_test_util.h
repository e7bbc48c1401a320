// Fixtures for the delivery tests: a temporary SQLite directory (behind a switch that makes it
// "unavailable"), a file blob store and a SQLite mail store, with helpers to add domains,
// accounts and aliases the way the admin service stores them (lower-case).
#pragma once
#include <gtest/gtest.h>
#include <stdlib.h>

#include <atomic>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "delivery/delivery_service.h"
#include "directory/directory.h"
#include "store/blob_store.h"
#include "store/sqlite_mail_store.h"

#include "../temp_dir.h"

namespace kurier::delivery::testing {

// A TempDir named after this module, so leftovers are easy to attribute.
class TempDir : public kurier::testing::TempDir {
 public:
  TempDir() : kurier::testing::TempDir("kurier-delivery") {}
};

// Forwards to a real directory, or throws Unavailable for every call while `down` is set (the
// "MySQL server went away" case).
class SwitchableDirectory final : public directory::Directory {
 public:
  explicit SwitchableDirectory(std::unique_ptr<directory::Directory> inner) : d_(std::move(inner)) {}
  std::atomic<bool> down{false};

#define KURIER_FWD(ret, name, params, args) \
  ret name params override {                 \
    check();                                 \
    return d_->name args;                    \
  }
  KURIER_FWD(void, add_domain, (const directory::Domain& d), (d))
  KURIER_FWD(std::optional<directory::Domain>, find_domain, (std::string_view n), (n))
  KURIER_FWD(std::optional<directory::Domain>, domain_by_id, (int64_t id), (id))
  KURIER_FWD(std::vector<directory::Domain>, list_domains, (), ())
  KURIER_FWD(void, update_domain, (const directory::Domain& d), (d))
  KURIER_FWD(uint32_t, take_login_number, (int64_t id), (id))
  KURIER_FWD(void, remove_domain, (int64_t id), (id))
  KURIER_FWD(int64_t, add_account, (const directory::Account& a), (a))
  KURIER_FWD(std::optional<directory::Account>, find_account_by_login, (std::string_view l), (l))
  KURIER_FWD(std::optional<directory::Account>, find_account_by_address, (std::string_view a), (a))
  KURIER_FWD(std::optional<directory::Account>, account_by_id, (int64_t id), (id))
  KURIER_FWD(std::vector<directory::Account>, list_accounts, (std::optional<int64_t> d), (d))
  KURIER_FWD(uint32_t, count_accounts, (int64_t d), (d))
  KURIER_FWD(uint64_t, sum_account_quota, (int64_t d), (d))
  KURIER_FWD(void, update_account, (const directory::Account& a), (a))
  KURIER_FWD(directory::CapCheck, add_account_within, (const directory::Account& a, const directory::AccountCaps& c, int64_t& id), (a, c, id))
  KURIER_FWD(directory::CapCheck, update_account_within, (const directory::Account& a, const directory::AccountCaps& c), (a, c))
  KURIER_FWD(void, set_credentials, (int64_t id, const std::string& h, const std::string& s), (id, h, s))
  KURIER_FWD(void, record_login, (int64_t id, int64_t when), (id, when))
  KURIER_FWD(void, remove_account, (int64_t id), (id))
  KURIER_FWD(std::vector<directory::RemovedAccount>, removed_accounts, (), ())
  KURIER_FWD(void, forget_removed_account, (int64_t id), (id))
  KURIER_FWD(void, reserve_account_ids, (int64_t through), (through))
  KURIER_FWD(void, add_alias_targets, (int64_t d, const std::string& s, const std::vector<std::string>& t), (d, s, t))
  KURIER_FWD(std::vector<std::string>, alias_targets, (std::string_view s), (s))
  KURIER_FWD(std::vector<directory::Alias>, list_aliases, (std::optional<int64_t> d), (d))
  KURIER_FWD(size_t, remove_alias, (std::string_view s, std::optional<std::string> t), (s, t))
  KURIER_FWD(void, add_admin, (const directory::Admin& a), (a))
  KURIER_FWD(std::optional<directory::Admin>, find_admin, (std::string_view n), (n))
  KURIER_FWD(std::vector<directory::Admin>, list_admins, (), ())
  KURIER_FWD(void, update_admin, (const directory::Admin& a), (a))
  KURIER_FWD(void, remove_admin, (int64_t id), (id))
  KURIER_FWD(std::vector<directory::SieveScript>, list_sieve_scripts, (int64_t a), (a))
  KURIER_FWD(std::optional<directory::SieveScript>, find_sieve_script, (int64_t a, std::string_view n), (a, n))
  KURIER_FWD(std::optional<directory::SieveScript>, active_sieve_script, (int64_t a), (a))
  KURIER_FWD(void, put_sieve_script, (int64_t a, const std::string& n, const std::string& c), (a, n, c))
  KURIER_FWD(void, activate_sieve_script, (int64_t a, std::string_view n), (a, n))
  KURIER_FWD(void, remove_sieve_script, (int64_t a, std::string_view n), (a, n))
  KURIER_FWD(void, rename_sieve_script, (int64_t a, std::string_view f, std::string_view t), (a, f, t))
  KURIER_FWD(std::vector<directory::Account>, page_accounts, (std::optional<int64_t> d, std::string_view a, size_t n), (d, a, n))
  KURIER_FWD(int64_t, add_app_password, (const directory::AppPassword& p), (p))
  KURIER_FWD(std::vector<directory::AppPassword>, list_app_passwords, (int64_t a), (a))
  KURIER_FWD(std::optional<directory::AppPassword>, find_app_password, (std::string_view h), (h))
  KURIER_FWD(bool, remove_app_password, (int64_t a, int64_t id), (a, id))
  KURIER_FWD(int64_t, add_api_key, (const directory::ApiKey& k), (k))
  KURIER_FWD(std::optional<directory::ApiKey>, find_api_key, (std::string_view h), (h))
  KURIER_FWD(std::vector<directory::ApiKey>, list_api_keys, (), ())
  KURIER_FWD(bool, revoke_api_key, (int64_t id, int64_t when), (id, when))
  KURIER_FWD(std::optional<directory::TotpSecret>, find_totp, (std::string_view p), (p))
  KURIER_FWD(void, put_totp, (const directory::TotpSecret& t), (t))
  KURIER_FWD(void, remove_totp, (std::string_view p), (p))
  KURIER_FWD(bool, use_totp_step, (std::string_view p, int64_t s), (p, s))
  KURIER_FWD(std::optional<std::string>, find_preferences, (std::string_view p), (p))
  KURIER_FWD(void, put_preferences, (std::string_view p, const std::string& j), (p, j))
  KURIER_FWD(int64_t, append_audit, (const directory::AuditEntry& e), (e))
  KURIER_FWD(std::vector<directory::AuditEntry>, list_audit, (const std::optional<std::vector<std::string>>& d, int64_t b, size_t n), (d, b, n))
  KURIER_FWD(uint64_t, version, (), ())
#undef KURIER_FWD

 private:
  void check() const {
    if (down) throw directory::Error(directory::Error::Unavailable, "directory unavailable (test)");
  }
  std::unique_ptr<directory::Directory> d_;
};

class DirectoryTest : public ::testing::Test {
 protected:
  DirectoryTest() : dir_(directory::open_sqlite((tmp_.path() / "directory.db").string())) {}

  int64_t domain(const std::string& name, const std::string& transport = "") {
    directory::Domain d;
    d.name = name;
    d.transport = transport;
    dir_.add_domain(d);
    return dir_.find_domain(name)->id;
  }

  int64_t account(const std::string& address, uint64_t quota = 0, bool enabled = true,
                  uint32_t services = directory::kAllServices) {
    auto d = dir_.find_domain(address.substr(address.find('@') + 1));
    directory::Account a;
    a.domain_id = d->id;
    a.login = a.address = address;
    a.quota = quota;
    a.enabled = enabled;
    a.services = services;
    return dir_.add_account(a);
  }

  void alias(const std::string& source, std::vector<std::string> targets) {
    auto at = source.find('@');
    auto d = dir_.find_domain(source.substr(at + 1));
    dir_.add_alias_targets(d->id, source, targets);
  }

  TempDir tmp_;
  SwitchableDirectory dir_;
};

}  // namespace kurier::delivery::testing
