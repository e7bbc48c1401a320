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
#include <unordered_map>

namespace kurier::web {

// Who a session or key acts as: an admin (by admin name) or a mail user (by account address).
struct Principal {
  enum Kind { Admin, User };
  Kind kind = Admin;
  std::string name;
  bool operator==(const Principal&) const = default;
};

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
  // Ends every session of the principal (password changed, admin removed).
  void remove_all(const Principal& principal);
  size_t size() const;
  const SessionSettings& settings() const { return settings_; }

 private:
  void evict_expired_locked(std::time_t now);

  SessionSettings settings_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Session> sessions_;  // by token_hash(id)
};

}  // namespace kurier::web
