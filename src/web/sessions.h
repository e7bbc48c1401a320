// Web login sessions: a random id in a cookie (Secure on https, HttpOnly, SameSite=Strict), an
// absolute lifetime and an idle timeout, and a CSRF token the client echoes in X-CSRF-Token on
// every cookie-authenticated write (the synchronizer-token pattern). Only the SHA-256 of a
// session id is held, so a memory dump of the table grants nothing. Sessions live in the
// server's memory: a restart logs everybody out, which a web admin can bear. Thread-safe.
#pragma once
#include <chrono>
#include <cstdint>
#include <ctime>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace kurier::web {

// Who a session acts as: an admin or a mail user, by the directory's id (an account's id is never
// reused; a name can be given to somebody else after a delete). `stamp` fingerprints the
// principal's password hash when the session began: a reset by anyone (API, CLI, another
// process) changes the hash, and a session whose stamp no longer matches is over (M2).
struct Principal {
  enum Kind { Admin, User };
  Kind kind = Admin;
  int64_t id = 0;
  std::string name;   // admin name or account address, for display and logs only
  std::string stamp;  // credential_stamp() of the password hash at login
  bool same_principal(const Principal& o) const { return kind == o.kind && id == o.id; }
};

// The fingerprint of a stored password hash that a session keeps (never the hash itself).
std::string credential_stamp(std::string_view password_hash);

struct Session {
  Principal principal;
  std::string csrf_token;
  std::time_t created = 0;
  std::time_t last_seen = 0;
  std::time_t expires = 0;  // absolute
};

struct SessionSettings {
  std::chrono::seconds lifetime{12 * 3600};
  std::chrono::seconds idle{30 * 60};
  size_t max_sessions = 100000;
};

class SessionStore {
 public:
  explicit SessionStore(SessionSettings settings = {}) : settings_(settings) {}

  struct Created {
    std::string id;  // for the cookie; never stored
    Session session;
  };
  Created create(Principal principal, std::time_t now);
  // The live session for a cookie value, its idle clock restarted; nullopt when unknown,
  // expired or idle too long (and then forgotten).
  std::optional<Session> find(std::string_view id, std::time_t now);
  void remove(std::string_view id);
  // Ends every session of the principal (deleted, disabled, password reset by somebody else);
  // `keep`: the cookie value of one session that stays (the user's own password change).
  void remove_all(Principal::Kind kind, int64_t id, std::string_view keep = {});
  // The session's principal now has a new password hash: its stamp follows (false when gone).
  bool restamp(std::string_view id, std::string stamp);
  size_t size() const;
  const SessionSettings& settings() const { return settings_; }

 private:
  void evict_expired_locked(std::time_t now);

  SessionSettings settings_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Session> sessions_;  // by token_hash(id)
};

}  // namespace kurier::web
