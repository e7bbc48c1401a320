// Sieve at delivery (RFC 5228): the delivery service's FilingHook that runs each account's active
// script on every local delivery (LMTP, SMTP, queue notices to local users) and turns its actions
// into the delivery's decision:
//   keep / fileinto (:flags, :create) -> mailboxes and flags; discard -> nothing stored;
//   redirect -> the outbound queue (the delivery service relays it, SRS and loop checks included);
//   reject / ereject -> 550 5.7.1 for this account (LMTP per recipient, SMTP by DSN);
//   vacation (RFC 5230) and notify mailto (RFC 5436) -> messages queued from the user once the
//   delivery stands, vacation remembered per sender and handle in delivery.db;
//   duplicate (RFC 7352) -> ids tracked in delivery.db.
// A script that does not compile any more, or fails at run time, keeps the message in INBOX
// (RFC 5228 2.10.6) and logs why. Compiled scripts are cached by their text.
#pragma once
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "config/config.h"
#include "delivery/hooks.h"

namespace kurier::directory {
class Directory;
}
namespace kurier::store {
class MailStore;
}
namespace kurier::delivery {
class DeliveryState;
}
namespace kurier::sieve {
class Program;
}

namespace kurier::server {

class SieveFilingHook final : public delivery::FilingHook {
 public:
  SieveFilingHook(const config::Config& config, directory::Directory& dir, store::MailStore& store,
                  delivery::DeliveryState& state, delivery::RelayHook& relay);
  delivery::FilingDecision decide(const delivery::FilingRequest& request) override;

  // The compiled form of a script's text (from the cache), or null with the error in `error`.
  std::shared_ptr<const sieve::Program> compiled(const std::string& script, std::string& error);

 private:
  struct CacheEntry {
    std::shared_ptr<const sieve::Program> program;
    std::list<std::string>::iterator lru;
  };

  const config::Config& config_;
  directory::Directory& dir_;
  store::MailStore& store_;
  delivery::DeliveryState& state_;
  delivery::RelayHook& relay_;
  std::mutex cache_mutex_;
  std::unordered_map<std::string, CacheEntry> cache_;  // script text -> program
  std::list<std::string> cache_lru_;                   // front: most recently used
};

}  // namespace kurier::server
