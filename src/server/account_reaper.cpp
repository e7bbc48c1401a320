// AccountReaper: see account_reaper.h.
#include "server/account_reaper.h"

#include "net/asio.h"  // first: it sets Boost.Asio's compile options

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
  auto executor = co_await boost::asio::this_coro::executor;
  boost::asio::steady_timer timer(executor);
  while (!runtime.stopped()) {
    timer.expires_after(std::chrono::seconds(interval_seconds));
    boost::system::error_code ec;
    co_await timer.async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ec));
    if (ec || runtime.stopped()) break;
    try {
      co_await runtime.offload([this] { return purge(); });
    } catch (const std::exception& e) {
      log::warn("store.purge_failed", {{"error", e.what()}});  // retried at the next interval
    }
  }
}

}  // namespace kurier::server
