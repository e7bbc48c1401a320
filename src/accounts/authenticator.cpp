#include "accounts/authenticator.h"

#include <algorithm>
#include <ctime>

#include "accounts/credentials.h"
#include <openssl/rand.h>

#include "auth/password.h"
#include "auth/token.h"
#include "auth/throttle.h"
#include "common/log.h"
#include "common/metrics.h"
#include "common/strings.h"

namespace kurier::accounts {
namespace {
constexpr size_t kCacheEntries = 100000;
constexpr auto kCacheLifetime = std::chrono::minutes(60);
constexpr std::chrono::seconds kLastLoginResolution(60);


// The protocol a login counts under in /metrics.
std::string service_label(directory::Service service) {
  return service == 0 ? std::string("web") : directory::service_names(service);
}
}  // namespace

Authenticator::Authenticator(directory::Directory& dir, ThrottleSettings s) : dir_(dir) {
  auth::LoginThrottle::Options o;
  o.free_failures = unsigned(s.free_failures);
  o.max_delay = std::chrono::milliseconds(s.max_delay_ms);
  o.window = std::chrono::seconds(s.window_seconds);
  throttle_ = std::make_unique<auth::LoginThrottle>(o);
  totp_throttle_ = std::make_unique<auth::LoginThrottle>(o);
  cache_key_.resize(32);
  RAND_bytes(reinterpret_cast<unsigned char*>(cache_key_.data()), int(cache_key_.size()));
}

bool Authenticator::verify(const directory::Account& a, const std::string& password) {
  std::string message = std::to_string(a.id) + '\0' + a.password_hash + '\0' + password;
  auto mac = auth::scram_hmac(cache_key_, message);
  std::string entry(auth::as_bytes(mac));
  auto now = std::chrono::steady_clock::now();
  {
    std::lock_guard lock(cache_mutex_);
    auto it = cache_.find(entry);
    if (it != cache_.end() && it->second.expires > now) return true;
  }
  if (!auth::verify_password(password, a.password_hash)) return false;
  std::lock_guard lock(cache_mutex_);
  if (cache_.count(entry)) return true;
  if (cache_.size() >= kCacheEntries) {
    cache_.erase(cache_lru_.back());
    cache_lru_.pop_back();
  }
  cache_lru_.push_front(entry);
  cache_[entry] = {now + kCacheLifetime, cache_lru_.begin()};
  return true;
}

Authenticator::~Authenticator() = default;

// The last login is shown to admins to the minute; writing it at every login would cost a
// synced directory commit per IMAP/POP3/SMTP session, so it is refreshed at most every
// kLastLoginResolution.
void Authenticator::note_login(const directory::Account& a) {
  int64_t now = int64_t(std::time(nullptr));
  if (now - a.last_login < kLastLoginResolution.count()) return;
  dir_.record_login(a.id, now);
}

// A login is the account's login name, or its primary address (both work for every scheme,
// so a prefix-scheme user may also type the address).
std::optional<directory::Account> Authenticator::lookup(const std::string& login) {
  if (login.empty() || login.size() > 320) return std::nullopt;
  auto a = dir_.find_account_by_login(login);
  if (!a && login.find('@') != std::string::npos) a = dir_.find_account_by_address(to_lower(login));
  return a;
}

LoginResult Authenticator::admit(const directory::Account& a, directory::Service service) {
  LoginResult r;
  r.account = a;
  if (!a.enabled) {
    r.status = LoginResult::Disabled;
    r.reason = "account disabled";
  } else if (service != 0 && !(a.services & service)) {
    r.status = LoginResult::ServiceDisabled;
    r.reason = "service disabled for this account";
  } else {
    r.status = LoginResult::Ok;
  }
  return r;
}

void Authenticator::record(bool ok, const std::string& login, const std::string& client_ip) {
  if (ok) {
    throttle_->record_success(client_ip, to_lower(login));
  } else {
    throttle_->record_failure(client_ip, to_lower(login));
    log::warn("auth.failed", {{"user", login}, {"ip", client_ip}});
  }
}

LoginResult Authenticator::check_password(const std::string& login, const std::string& password,
                                          directory::Service service, const std::string& client_ip) {
  return check(login, password, service, client_ip, false);
}

LoginResult Authenticator::check_web_password(const std::string& login, const std::string& password,
                                              const std::string& client_ip) {
  return check(login, password, directory::Service(0), client_ip, true);
}

// web: the self-service login — no app passwords, and a success is left to note_success.
LoginResult Authenticator::check(const std::string& login, const std::string& password, directory::Service service,
                                 const std::string& client_ip, bool web) {
  try {
    auto a = lookup(login);
    bool ok = false;
    bool app_password = false;
    if (a) {
      // A mail client's app password (directory::AppPassword) is a random secret, so a hash
      // lookup is as safe as a slow hash; it is tried first when the length fits.
      if (!web && password.size() == kAppPasswordLength) {
        auto p = dir_.find_app_password(auth::token_hash(password));
        ok = app_password = p && p->account_id == a->id;
      }
      if (!ok) ok = verify(*a, password);
    } else {
      // Spend the same time on unknown users, so timing does not tell which logins exist.
      auth::verify_password(password, "$y$j9T$F5Jx5fExrKuPp53xLKQ..1$X3DX6M94c7o.9agCG9G317fhZg9SqC.5i5rd.RhAtQ7");
    }
    if (!ok || !web) record(ok, login, client_ip);
    metrics::login(service_label(service), ok);
    if (!ok) return {LoginResult::BadCredentials, {}, a ? "wrong password" : "unknown user"};
    auto r = admit(*a, service);
    if (r.status == LoginResult::Ok) {
      if (!app_password && auth::needs_rehash(a->password_hash)) {
        // An imported hash ({PLAIN}, $1$, $6$ ...) is upgraded now that we know the password.
        auto c = make_credentials(password);
        dir_.set_credentials(a->id, c.hash, c.scram);
        log::info("auth.rehashed", {{"user", a->login}});
      }
      note_login(*a);
    }
    return r;
  } catch (const directory::Error& e) {
    return {LoginResult::Unavailable, {}, e.what()};
  }
}

LoginResult Authenticator::check_admin_for_user(const std::string& admin_name, const std::string& password,
                                                const std::string& user, directory::Service service,
                                                const std::string& client_ip) {
  try {
    auto admin = dir_.find_admin(admin_name);
    bool ok = admin && auth::verify_password(password, admin->password_hash);
    record(ok, admin_name, client_ip);
    if (!ok) return {LoginResult::BadCredentials, {}, admin ? "wrong admin password" : "unknown admin"};
    auto a = lookup(user);
    if (!a) return {LoginResult::BadCredentials, {}, "no such user to act for"};
    auto domain = a->address.substr(a->address.rfind('@') + 1);
    bool delegated = admin->is_super || std::any_of(admin->domains.begin(), admin->domains.end(),
                                                    [&](const std::string& d) { return iequals(d, domain); });
    if (!delegated) {
      log::warn("auth.admin_not_delegated", {{"admin", admin_name}, {"user", a->address}, {"ip", client_ip}});
      return {LoginResult::BadCredentials, {}, "admin may not act for this user"};
    }
    auto r = admit(*a, service);
    if (r.status == LoginResult::Ok) log::info("auth.admin_for_user", {{"admin", admin_name}, {"user", a->address}});
    return r;
  } catch (const directory::Error& e) {
    return {LoginResult::Unavailable, {}, e.what()};
  }
}

std::optional<directory::Admin> Authenticator::check_admin_login(const std::string& name, const std::string& password,
                                                                const std::string& client_ip) {
  auto admin = dir_.find_admin(to_lower(name));
  bool ok = false;
  if (admin) {
    ok = auth::verify_password(password, admin->password_hash) && (admin->is_super || !admin->domains.empty());
  } else {
    // The same time for a name that is no admin, so timing does not tell admin names (review L1).
    auth::verify_password(password, "$y$j9T$F5Jx5fExrKuPp53xLKQ..1$X3DX6M94c7o.9agCG9G317fhZg9SqC.5i5rd.RhAtQ7");
  }
  // A failure is not counted here: the caller goes on to try the name as a mail user
  // (check_web_password), which counts one failure for every name, admin or not (review L1).
  if (ok) metrics::login("web", true);
  if (!ok) return std::nullopt;
  return admin;
}

std::optional<auth::ScramSecret> Authenticator::scram_secret(const std::string& login, directory::Service service) {
  auto a = lookup(login);
  if (!a || a->scram_secret.empty()) return std::nullopt;
  return auth::parse_scram_secret(a->scram_secret);
}

LoginResult Authenticator::finish_scram(const std::string& login, bool ok, directory::Service service,
                                        const std::string& client_ip) {
  try {
    record(ok, login, client_ip);
    metrics::login(service_label(service), ok);
    auto a = ok ? lookup(login) : std::nullopt;
    if (!a) return {LoginResult::BadCredentials, {}, ok ? "account vanished" : "wrong password"};
    auto r = admit(*a, service);
    if (r.status == LoginResult::Ok) note_login(*a);
    return r;
  } catch (const directory::Error& e) {
    return {LoginResult::Unavailable, {}, e.what()};
  }
}

void Authenticator::note_failure(const std::string& login, const std::string& client_ip) {
  record(false, login, client_ip);
}

void Authenticator::note_success(const std::string& login, const std::string& client_ip) {
  record(true, login, client_ip);
}

std::chrono::milliseconds Authenticator::totp_attempt_wait(const std::string& principal) {
  return totp_throttle_->reserve_attempt(principal, principal);
}

bool Authenticator::totp_blocked(const std::string& principal) {
  return totp_throttle_->delay_for(principal, principal).count() > 0;
}

std::chrono::milliseconds Authenticator::totp_failure(const std::string& principal, const std::string& client_ip) {
  log::warn("auth.totp_failed", {{"principal", principal}, {"ip", client_ip}});
  return totp_throttle_->record_failure(principal, principal);
}

void Authenticator::totp_success(const std::string& principal) {
  totp_throttle_->record_success(principal, principal);
}

std::chrono::milliseconds Authenticator::attempt_wait(const std::string& client_ip, const std::string& login) {
  return throttle_->reserve_attempt(client_ip, to_lower(login));
}

std::chrono::milliseconds Authenticator::failure_delay(const std::string& client_ip, const std::string& login) {
  return throttle_->delay_for(client_ip, to_lower(login));
}

}  // namespace kurier::accounts
