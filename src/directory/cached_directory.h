// A read cache in front of kurier's SQL directory, for the lookups every RCPT, login and delivery
// makes (domain, account by login/address/id, alias targets, the submission sender's aliases,
// Sieve scripts, admins, app passwords), so MariaDB and PostgreSQL answer them at memory speed.
//
// Consistency, the one rule: an entry is served only while the last check of the database's
// change counter (Directory::version(), bumped by every write transaction of every process and
// node, in that transaction) *started* less than `check_interval` ago; when the counter moved,
// the whole cache is dropped. So a change committed by another process or node is seen at most
// `check_interval` after its COMMIT (docs/ARCHITECTURE.md "The directory cache"). A change made
// through this object drops the cache before the call returns: it is visible at once. A load
// that raced with a drop is not stored (a generation number). Unknown names are cached too
// (negative entries: random RCPTs of spam), under the same rule. Size is bounded (LRU over a
// weight: one per entry, plus one per list element or KiB of script).
//
// record_login (last_login, not versioned: every login would empty the cache) patches the
// cached account instead, so the authenticator does not write it again at the next login.
#pragma once
#include <chrono>
#include <cstddef>
#include <memory>

#include "directory/directory.h"

namespace kurier::directory {

struct CacheOptions {
  size_t max_weight = 100000;                         // 0 = no cache
  std::chrono::milliseconds check_interval{250};      // 0 = check the counter before every lookup
};

// The cache over inner, which must implement version() as a database-side change counter.
std::unique_ptr<Directory> open_cached(std::unique_ptr<Directory> inner, CacheOptions options);

}  // namespace kurier::directory
