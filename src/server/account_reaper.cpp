// AccountReaper: see account_reaper.h.
#include "server/account_reaper.h"

#include <algorithm>
#include <chrono>
#include <set>

#include "common/log.h"
#include "delivery/delivery_service.h"
#include "directory/directory.h"
#include "net/runtime.h"
#include "store/mail_store.h"

namespace kurier::server {

void AccountReaper::start_up() {
  auto store_accounts = store_.accounts();
  if (!store_accounts.empty()) dir_.reserve_account_ids(int64_t(store_accounts.back()));
  purge();
  std::set<int64_t> known;
  for (const auto& a : dir_.list_accounts(std::nullopt)) known.insert(a.id);
  for (auto id : store_.accounts())
    if (!known.count(int64_t(id)))
      log::warn("store.unknown_account", {{"account_id", int64_t(id)},
                                          {"reason", "the store holds mail of an account the directory does not know; kept"}});
}

size_t AccountReaper::purge() {
  size_t purged = 0;
  for (const auto& removed : dir_.removed_accounts()) {
    // An account with this id still existing would mean the id was reused: never purge then.
    if (dir_.account_by_id(removed.id)) {
      log::error("store.purge_skipped", {{"account_id", removed.id}, {"reason", "id in use"}});
      continue;
    }
    store_.delete_account(store::AccountId(removed.id));
    delivery_.forget_account(removed.id);
    dir_.forget_removed_account(removed.id);
    log::info("store.account_purged", {{"account_id", removed.id}, {"address", removed.address}});
    ++purged;
  }
  return purged;
}

net::awaitable<void> AccountReaper::run(net::Runtime& runtime, int interval_seconds) {
  // A failed purge is retried at the next interval.
  return runtime.repeat_offloaded(std::chrono::seconds(interval_seconds), [this] { purge(); }, "store.purge_failed");
}

}  // namespace kurier::server
