#include "web/sessions.h"

#include "auth/token.h"

namespace kurier::web {

SessionStore::Created SessionStore::create(Principal principal, std::time_t now) {
  Created c;
  c.id = auth::random_token();
  c.session.principal = std::move(principal);
  c.session.csrf_token = auth::random_token();
  c.session.created = now;
  c.session.last_seen = now;
  c.session.expires = now + settings_.lifetime.count();
  std::lock_guard lock(mutex_);
  if (sessions_.size() >= settings_.max_sessions) evict_expired_locked(now);
  if (sessions_.size() >= settings_.max_sessions) {
    // Full of live sessions: drop the one idle longest, never refuse a login.
    auto oldest = sessions_.begin();
    for (auto it = sessions_.begin(); it != sessions_.end(); ++it)
      if (it->second.last_seen < oldest->second.last_seen) oldest = it;
    sessions_.erase(oldest);
  }
  sessions_[auth::token_hash(c.id)] = c.session;
  return c;
}

std::optional<Session> SessionStore::find(std::string_view id, std::time_t now) {
  if (id.empty() || id.size() > 128) return std::nullopt;
  std::string key = auth::token_hash(id);
  std::lock_guard lock(mutex_);
  auto it = sessions_.find(key);
  if (it == sessions_.end()) return std::nullopt;
  auto& s = it->second;
  if (now >= s.expires || now - s.last_seen >= settings_.idle.count()) {
    sessions_.erase(it);
    return std::nullopt;
  }
  s.last_seen = now;
  return s;
}

void SessionStore::remove(std::string_view id) {
  std::string key = auth::token_hash(id);
  std::lock_guard lock(mutex_);
  sessions_.erase(key);
}

void SessionStore::remove_all(Principal::Kind kind, int64_t id, std::string_view keep) {
  std::string kept = keep.empty() ? std::string() : auth::token_hash(keep);
  std::lock_guard lock(mutex_);
  std::erase_if(sessions_, [&](const auto& kv) {
    return kv.first != kept && kv.second.principal.kind == kind && kv.second.principal.id == id;
  });
}

bool SessionStore::restamp(std::string_view id, std::string stamp) {
  std::string key = auth::token_hash(id);
  std::lock_guard lock(mutex_);
  auto it = sessions_.find(key);
  if (it == sessions_.end()) return false;
  it->second.principal.stamp = std::move(stamp);
  return true;
}

std::string credential_stamp(std::string_view password_hash) {
  // A domain-separated digest: equal hashes give equal stamps, and the stamp reveals nothing
  // a password cracker could use.
  return auth::token_hash("kurier-session-stamp:" + std::string(password_hash));
}

size_t SessionStore::size() const {
  std::lock_guard lock(mutex_);
  return sessions_.size();
}

void SessionStore::evict_expired_locked(std::time_t now) {
  std::erase_if(sessions_, [&](const auto& kv) {
    return now >= kv.second.expires || now - kv.second.last_seen >= settings_.idle.count();
  });
}

}  // namespace kurier::web
