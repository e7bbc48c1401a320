// Mail logins (IMAP, POP3, SMTP AUTH, ManageSieve): checks a login name and password — or hands
// out the SCRAM secret — against the directory, with per-IP throttling and per-account failure
// counting, and upgrades imported hashes ({PLAIN}, $1$, $6$ …) to yescrypt on the next good login.
// Admin accounts of the web admin are a separate table and never valid here.
// Blocking (password hashing costs milliseconds): call from Runtime::offload on the login pool
// (net::Pool::login), so a storm of logins never holds the threads deliveries need.
#pragma once
#include <chrono>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "auth/scram.h"
#include "directory/directory.h"

namespace kurier::auth {
class LoginThrottle;
}

namespace kurier::accounts {

struct LoginResult {
  enum Status { Ok, BadCredentials, Disabled, ServiceDisabled, Unavailable };
  Status status = BadCredentials;
  directory::Account account;  // valid when Ok
  std::string reason;          // for the log
};

// App passwords are this many random base64url characters (24 bytes, auth::random_token).
constexpr size_t kAppPasswordLength = 32;

struct ThrottleSettings {
  int free_failures = 3;
  int max_delay_ms = 15000;
  int window_seconds = 900;
};

class Authenticator {
 public:
  Authenticator(directory::Directory& dir, ThrottleSettings settings);
  ~Authenticator();

  // service 0: no particular service (a web self-service login); the account must be enabled.
  LoginResult check_password(const std::string& login, const std::string& password, directory::Service service,
                             const std::string& client_ip);
  // The web self-service login's first factor: the account's own password only (app passwords
  // are for mail clients), and a success is NOT recorded: the caller calls note_success once the
  // second factor (if any) has passed too, so a right password never resets a TOTP guessing run.
  LoginResult check_web_password(const std::string& login, const std::string& password, const std::string& client_ip);
  // An admin acting for a user (the SASL authorization identity, RFC 4422 3.4.1), as the seed let
  // admins manage users' Sieve scripts: the admin's password is checked, and the user must be
  // in one of the admin's domains (any, for a super-admin). The result's account is the user's.
  LoginResult check_admin_for_user(const std::string& admin, const std::string& password, const std::string& user,
                                   directory::Service service, const std::string& client_ip);
  // A web admin login: the admin if the password matches and it may log in (a domain admin
  // needs a domain). One password hash is computed whether or not the admin exists, and nothing
  // is recorded: the caller tries a non-admin as a mail user with check_web_password, which
  // counts the failure (once per attempt, whatever the name); a success is noted after the
  // second factor (note_success).
  std::optional<directory::Admin> check_admin_login(const std::string& name, const std::string& password,
                                                    const std::string& client_ip);
  // SCRAM: the secret for login, if the account exists and may use the service.
  std::optional<auth::ScramSecret> scram_secret(const std::string& login, directory::Service service);
  // After a SCRAM exchange ends: records the outcome like check_password does.
  LoginResult finish_scram(const std::string& login, bool ok, directory::Service service, const std::string& client_ip);
  // Before a password is checked (or a SCRAM secret handed out): how long this attempt waits for
  // its turn, so parallel connections cannot outrun the throttle (auth::LoginThrottle).
  std::chrono::milliseconds attempt_wait(const std::string& client_ip, const std::string& login);
  // A failure found after the password (a wrong TOTP code) counts like a wrong password.
  void note_failure(const std::string& login, const std::string& client_ip);
  // The whole web login passed (password and second factor): forgets the login's failures.
  void note_success(const std::string& login, const std::string& client_ip);
  // Second-factor codes (TOTP) are counted per principal ("user:ADDR", "admin:NAME") in a
  // throttle of their own that no right password resets: the login waits totp_attempt_wait()
  // before checking a code; paths that cannot wait (switching TOTP off) refuse while
  // totp_blocked(). totp_failure() returns how long to hold the failure's answer.
  std::chrono::milliseconds totp_attempt_wait(const std::string& principal);
  bool totp_blocked(const std::string& principal);
  std::chrono::milliseconds totp_failure(const std::string& principal, const std::string& client_ip);
  void totp_success(const std::string& principal);
  // How long to hold a failure's answer (grows with the IP's and the login's recent failures).
  std::chrono::milliseconds failure_delay(const std::string& client_ip, const std::string& login);

 private:
  std::optional<directory::Account> lookup(const std::string& login);
  bool verify(const directory::Account& a, const std::string& password);
  LoginResult check(const std::string& login, const std::string& password, directory::Service service,
                    const std::string& client_ip, bool web);
  LoginResult admit(const directory::Account& a, directory::Service service);
  void record(bool ok, const std::string& login, const std::string& client_ip);
  void note_login(const directory::Account& a);

  directory::Directory& dir_;
  std::unique_ptr<auth::LoginThrottle> throttle_;
  std::unique_ptr<auth::LoginThrottle> totp_throttle_;  // keyed by principal on both sides

  // Verified-password cache (as Dovecot's auth_cache): yescrypt costs tens of milliseconds by
  // design, and mail clients log in again and again with the same password. An entry is an HMAC
  // of (account id, stored hash, password) under a key made at start, so the cache never holds a
  // password, and changing the password (a new stored hash) invalidates it at once.
  struct CacheEntry {
    std::chrono::steady_clock::time_point expires;
    std::list<std::string>::iterator lru;
  };
  std::string cache_key_;
  std::mutex cache_mutex_;
  std::unordered_map<std::string, CacheEntry> cache_;
  std::list<std::string> cache_lru_;
};

}  // namespace kurier::accounts
