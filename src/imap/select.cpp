// SELECT / EXAMINE / CLOSE / UNSELECT and the selected mailbox's change notifications.
//   RFC 9051 6.3.2 (SELECT responses), 6.3.3 (EXAMINE), 6.4.1 (CLOSE), RFC 3691 (UNSELECT),
//   RFC 7162 3.1.2.1 (HIGHESTMODSEQ), 3.2.5 (SELECT QRESYNC, VANISHED (EARLIER)),
//   3.2.11 ([CLOSED]), RFC 9051 7.5.1 (when EXPUNGE may be sent), RFC 2177 (IDLE updates).
#include "imap/session_internal.h"

#include <algorithm>
#include <set>

#include "common/strings.h"
#include "imap_protocol/quote.h"
#include "imap_protocol/seqset.h"
#include "net/runtime.h"
#include "store/flags.h"
#include "store/mailbox_name.h"

namespace kurier::imap {
namespace {

constexpr const char* kSystemFlags = "\\Answered \\Flagged \\Deleted \\Seen \\Draft";

std::string system_flag_names(uint32_t bits) {
  std::string out;
  auto add = [&](uint32_t bit, const char* name) {
    if (!(bits & bit)) return;
    if (!out.empty()) out += ' ';
    out += name;
  };
  add(store::kSeen, "\\Seen");
  add(store::kAnswered, "\\Answered");
  add(store::kFlagged, "\\Flagged");
  add(store::kDeleted, "\\Deleted");
  add(store::kDraft, "\\Draft");
  return out;
}


// Subscribes before the snapshot is read, so no change between the two can be missed.
store::ChangeHub::Subscription subscribe_changes(store::ChangeHub& hub, store::MailboxId id,
                                                 const std::shared_ptr<ChangeSignal>& signal) {
  std::weak_ptr<ChangeSignal> weak = signal;
  return hub.subscribe(id, [weak](const store::MailboxChange& change) {
    // On the store's writer thread: post and return (change_hub.h).
    auto sig = weak.lock();
    if (!sig) return;
    store::MailboxId gone = change.mailbox_deleted ? change.mailbox : 0;
    boost::asio::post(sig->executor, [sig, gone] {
      sig->dirty = true;
      if (gone) sig->gone_mailbox = gone;
      sig->timer.cancel();
    });
  });
}

}  // namespace

std::string Session::flags_item(const store::MessageMeta& m) const {
  std::string flags = system_flag_names(m.flags.system);
  if (shows_recent() && selected_ && selected_->view.is_recent(m.uid)) flags += flags.empty() ? "\\Recent" : " \\Recent";
  for (const auto& k : m.flags.keywords) {
    if (!flags.empty()) flags += ' ';
    flags += k;
  }
  return "FLAGS (" + flags + ")";
}

void Session::announce_keywords(const store::Flags& flags) {
  bool added = false;
  for (const auto& k : flags.keywords)
    added = selected_->announced_keywords.emplace(to_lower(k), k).second || added;
  if (added) send_flag_lists();
}

void Session::send_flag_lists() {
  std::string keywords;
  for (const auto& [lower, spelling] : selected_->announced_keywords) keywords += " " + spelling;
  untagged(std::string("FLAGS (") + kSystemFlags + keywords + ")");
  if (selected_->read_only)
    untagged("OK [PERMANENTFLAGS ()] Read-only mailbox");
  else
    untagged(std::string("OK [PERMANENTFLAGS (") + kSystemFlags + keywords + " \\*)] Flags permitted");
}

net::awaitable<void> Session::claim_recent(store::Uid recent_uid) {
  if (!selected_ || selected_->view.max_uid() < recent_uid) co_return;
  store::MailboxId id = selected_->info.id;
  store::Uid through = selected_->view.max_uid();
  store::Uid first = co_await offload([&] { return store().claim_recent(id, through); });
  if (selected_ && selected_->info.id == id && first <= through) selected_->view.mark_recent_from(first);
}

void Session::unselect() {
  selected_.reset();  // the Subscription's destructor stops the callbacks
  signal_->dirty = false;
  signal_->gone_mailbox = 0;
  saved_result_.clear();
  state_ = State::authenticated;
}

void Session::report_expunged(const std::vector<store::Uid>& uids) {
  MailboxView& view = selected_->view;
  if (qresync_) {
    // RFC 7162 3.2.10: VANISHED instead of EXPUNGE once QRESYNC is enabled.
    std::vector<uint32_t> known;
    for (store::Uid u : uids)
      if (view.remove(u)) known.push_back(u);
    if (!known.empty()) untagged("VANISHED " + format_number_set(known));
    return;
  }
  std::vector<store::Uid> sorted = uids;
  std::sort(sorted.begin(), sorted.end());
  // Highest first, so each number is still valid when the client applies it.
  for (auto it = sorted.rbegin(); it != sorted.rend(); ++it) {
    if (uint32_t seq = view.remove(*it)) untagged(std::to_string(seq) + " EXPUNGE");
  }
}

// A reset notice can be older than this session's SELECT: another process (an import, which
// gives an unused mailbox its source's UIDVALIDITY) commits, the session selects the result,
// and only then the store's watcher publishes the journal row. The notice is stale when the
// mailbox still exists with the UIDVALIDITY that the session selected. (A rename keeps id and
// UIDVALIDITY, so the session's state stays exact and it goes on, as with an in-process RENAME.)
net::awaitable<bool> Session::selected_mailbox_still_valid() {
  store::MailboxId id = selected_->info.id;
  auto now = read_in_place([&] { return store().mailbox(id); });
  if (!selected_ || selected_->info.id != id) co_return false;
  bool same = now && !now->noselect && now->uidvalidity == selected_->info.uidvalidity;
  if (same) signal_->gone_mailbox = 0;
  co_return same;
}

net::awaitable<void> Session::sync(bool allow_expunge, bool force) {
  if (!selected_) co_return;
  if (signal_->gone_mailbox == selected_->info.id && !(co_await selected_mailbox_still_valid())) {
    // The mailbox was deleted by another session: there is no consistent state to continue in.
    untagged("BYE The selected mailbox was deleted");
    logout_ = true;
    close_now_ = true;
    co_await flush();
    co_return;
  }
  if (!signal_->dirty && !force) co_return;
  signal_->dirty = false;
  store::MailboxId id = selected_->info.id;
  store::ModSeq since = selected_->synced_modseq;
  store::Changes ch = read_in_place([&] { return store().changes_since(id, since); });
  if (!selected_ || selected_->info.id != id) co_return;
  MailboxView& view = selected_->view;

  std::vector<store::Uid> gone;
  for (store::Uid u : ch.vanished)
    if (view.contains(u)) gone.push_back(u);
  bool expunge_pending = !gone.empty() && !allow_expunge;
  if (!gone.empty() && allow_expunge) report_expunged(gone);

  for (const auto& m : ch.changed)
    if (view.contains(m.uid) || m.uid > view.max_uid()) announce_keywords(m.flags);
  uint32_t before = view.size();
  store::Uid known_before = view.max_uid();
  for (const auto& m : ch.changed) {
    if (uint32_t seq = view.seq_of(m.uid)) {
      if (view.at_seq(seq).modseq == m.modseq) continue;  // already reported (our own change)
      view.set_modseq(m.uid, m.modseq);
      std::string items = "UID " + std::to_string(m.uid) + " " + flags_item(m);
      if (condstore_) items += " MODSEQ (" + std::to_string(m.modseq) + ")";
      untagged(std::to_string(seq) + " FETCH (" + items + ")");
    } else if (m.uid > view.max_uid()) {
      view.append(m.uid, m.modseq);
    }
  }
  if (view.size() != before) {
    // EXISTS first, so no FETCH or RECENT can name a number the client has not been told.
    if (claims_recent()) co_await claim_recent(std::max<store::Uid>(ch.recent_uid, known_before + 1));
    if (!selected_ || selected_->info.id != id) co_return;
    untagged(std::to_string(selected_->view.size()) + " EXISTS");
    if (shows_recent()) untagged(std::to_string(selected_->view.recent_count()) + " RECENT");
  }
  if (expunge_pending) {
    signal_->dirty = true;  // try again at the next command that may announce expunges
  } else {
    selected_->synced_modseq = std::max(since, ch.highest_modseq);
    // Every expunge up to here has been told: the store may drop those messages' data.
    selected_->subscription.hold_expunged_after(selected_->synced_modseq);
  }
}

net::awaitable<Reply> Session::cmd_select(Command& cmd) {
  const auto& a = cmd.as<SelectArgs>();
  bool examine = cmd.kind == CommandKind::examine;
  if (a.qresync && !qresync_) co_return Reply::bad("QRESYNC must be enabled first (ENABLE QRESYNC)");
  if (selected_) {
    unselect();
    // RFC 7162 3.2.11 / RFC 9051 7.1: the previous mailbox is closed before the new one opens.
    untagged("OK [CLOSED] Previous mailbox closed");
  }
  auto opened = co_await open_mailbox(a.mailbox, MailboxUse::select);
  if (!opened.info) co_return opened.refusal;
  const auto& info = opened.info;
  if (a.condstore) condstore_ = true;

  signal_->dirty = false;
  signal_->gone_mailbox = 0;
  auto subscription = subscribe_changes(store().changes(), info->id, signal_);
  subscription.hold_expunged_after(0);  // until the snapshot says what we will address
  store::MailboxId id = info->id;
  auto snap = co_await offload([&] { return store().snapshot(id); });
  subscription.hold_expunged_after(snap.info.highest_modseq);

  SelectedMailbox sel;
  sel.info = snap.info;
  sel.read_only = examine;
  sel.synced_modseq = snap.info.highest_modseq;
  sel.subscription = std::move(subscription);
  std::vector<MailboxView::Entry> entries;
  entries.reserve(snap.messages.size());
  uint32_t first_unseen = 0;
  for (size_t i = 0; i < snap.messages.size(); ++i) {
    const auto& m = snap.messages[i];
    entries.push_back({m.uid, m.modseq});
    if (!first_unseen && !(m.flags.system & store::kSeen)) first_unseen = uint32_t(i + 1);
  }
  sel.view = MailboxView(std::move(entries));
  for (const auto& m : snap.messages)
    for (const auto& k : m.flags.keywords) sel.announced_keywords.emplace(to_lower(k), k);
  selected_ = std::move(sel);
  state_ = State::selected;
  if (claims_recent()) co_await claim_recent(snap.info.recent_uid);
  else if (shows_recent()) selected_->view.mark_recent_from(snap.info.recent_uid);  // EXAMINE keeps them

  send_flag_lists();
  untagged(std::to_string(snap.messages.size()) + " EXISTS");
  if (!rev2_) {
    // IMAP4rev1 only (RFC 9051 appendix E removed both).
    untagged(std::to_string(selected_->view.recent_count()) + " RECENT");
    if (first_unseen) untagged("OK [UNSEEN " + std::to_string(first_unseen) + "] First unseen message");
  }
  untagged("OK [UIDVALIDITY " + std::to_string(snap.info.uidvalidity) + "] UIDs valid");
  untagged("OK [UIDNEXT " + std::to_string(snap.info.uidnext) + "] Predicted next UID");
  untagged("OK [HIGHESTMODSEQ " + std::to_string(snap.info.highest_modseq) + "] Highest");
  if (rev2_) untagged("LIST () \"/\" " + encode_mailbox(snap.info.name));  // RFC 9051 6.3.2

  co_await quota_alert(snap.info);

  if (a.qresync && a.qresync->uidvalidity == snap.info.uidvalidity) {
    // RFC 7162 3.2.5.2: what changed since the client's MODSEQ, without re-listing everything.
    const QresyncParams& q = *a.qresync;
    store::ModSeq since = q.modseq;
    auto ch = read_in_place([&] { return store().changes_since(id, since); });
    std::vector<uint32_t> vanished;
    for (store::Uid u : ch.vanished) {
      if (q.known_uids && !q.known_uids->contains(u, std::max<uint32_t>(selected_->view.max_uid(), u)))
        continue;
      if (!selected_->view.contains(u)) vanished.push_back(u);
    }
    if (!vanished.empty()) untagged("VANISHED (EARLIER) " + format_number_set(vanished));
    for (const auto& m : ch.changed) {
      uint32_t seq = selected_->view.seq_of(m.uid);
      if (!seq) continue;
      untagged(std::to_string(seq) + " FETCH (UID " + std::to_string(m.uid) + " " + flags_item(m) +
               " MODSEQ (" + std::to_string(m.modseq) + "))");
    }
  }
  co_return Reply::ok(examine ? "[READ-ONLY] EXAMINE completed" : "[READ-WRITE] SELECT completed");
}

net::awaitable<void> Session::quota_alert(const store::MailboxInfo& info) {
  // Cyrus' behaviour kept from the seed: the owner opening INBOX near the quota gets an ALERT
  // (RFC 9051 7.1 ALERT: the client must show it to the user).
  int threshold = s_.config.delivery.quota_warning_percent;
  if (threshold <= 0 || !store::is_inbox(info.name)) co_return;
  uint64_t limit = co_await quota_limit();
  if (limit == 0) co_return;
  store::AccountId acct = account_id();
  auto usage = read_in_place([&] { return store().quota_usage(acct); });
  uint64_t percent = usage.bytes * 100 / limit;
  if (percent >= uint64_t(threshold))
    untagged("NO [ALERT] Mailbox is " + std::to_string(percent) + "% full (" + std::to_string(usage.bytes / 1024) +
             " of " + std::to_string(limit / 1024) + " KiB used)");
}

net::awaitable<Reply> Session::cmd_close(Command&) {
  // RFC 9051 6.4.1: CLOSE expunges silently (no EXPUNGE responses) unless read-only.
  if (!selected_->read_only) {
    store::MailboxId id = selected_->info.id;
    co_await offload([&] { return store().expunge(id); });
  }
  unselect();
  co_return Reply::ok("CLOSE completed");
}

net::awaitable<Reply> Session::cmd_unselect(Command&) {
  unselect();
  co_return Reply::ok("UNSELECT completed");
}

}  // namespace kurier::imap
