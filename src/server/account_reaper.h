// Purges the mail of removed accounts.
//
// Removing an account is a directory write that any process may make (the CLI, the web API, a
// domain removal's cascade), while the mail store belongs to `kurier serve`. So the directory
// leaves a tombstone for every removed account (directory::Directory::removed_accounts) and never
// hands its id out again; this reaper, in the server, deletes the tombstoned account's mailboxes,
// messages (their blobs once unreferenced), subscriptions and delivery records, then forgets the
// tombstone. A server that is down when an account is removed purges it at its next start.
//
// Even before the purge, the removed account's mail is unreachable: no login resolves to the id,
// and no new account gets it (ids are AUTOINCREMENT, and at start every id the store has seen is
// reserved, which covers databases made before ids were AUTOINCREMENT).
#pragma once
#include <cstddef>

#include "net/asio_fwd.h"

namespace kurier::directory {
class Directory;
}
namespace kurier::store {
class MailStore;
}
namespace kurier::delivery {
class DeliveryService;
}
namespace kurier::net {
class Runtime;
}

namespace kurier::server {

class AccountReaper {
 public:
  AccountReaper(directory::Directory& dir, store::MailStore& store, delivery::DeliveryService& delivery)
      : dir_(dir), store_(store), delivery_(delivery) {}

  // Blocking, before the listeners open: reserves the ids the store has seen, logs store accounts
  // the directory neither knows nor has a tombstone for (kept: they may be another directory's),
  // and purges the tombstones.
  void start_up();
  // Purges every tombstoned account; returns how many. Blocking (store and directory writes).
  size_t purge();
  // Runs purge() on the blocking pool every interval_seconds until the runtime stops.
  net::awaitable<void> run(net::Runtime& runtime, int interval_seconds);

 private:
  directory::Directory& dir_;
  store::MailStore& store_;
  delivery::DeliveryService& delivery_;
};

}  // namespace kurier::server
