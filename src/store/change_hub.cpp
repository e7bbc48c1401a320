#include "store/change_hub.h"

#include <algorithm>
#include <atomic>

namespace kurier::store {

struct ChangeHub::Listener {
  MailboxId mailbox = 0;
  Callback callback;
  std::recursive_mutex call_mutex;  // held while the callback runs; recursive for self-unsubscribe
  bool active = true;
  std::atomic<ModSeq> held_after{kHoldsNothing};
  static constexpr ModSeq kHoldsNothing = UINT64_MAX;
};

namespace {
void append_sorted_unique(std::vector<Uid>& into, const std::vector<Uid>& more) {
  into.insert(into.end(), more.begin(), more.end());
  std::sort(into.begin(), into.end());
  into.erase(std::unique(into.begin(), into.end()), into.end());
}
}  // namespace

void MailboxChange::merge(const MailboxChange& later) {
  highest_modseq = std::max(highest_modseq, later.highest_modseq);
  append_sorted_unique(appended, later.appended);
  append_sorted_unique(flags_changed, later.flags_changed);
  append_sorted_unique(expunged, later.expunged);
  mailbox_deleted = mailbox_deleted || later.mailbox_deleted;
  mailbox_renamed = mailbox_renamed || later.mailbox_renamed;
}

ChangeHub::ChangeHub() : self_(std::make_shared<ChangeHub*>(this)) {}

// The hub must outlive publish() calls; Subscriptions may outlive the hub (their reset() then
// only deactivates the listener).
ChangeHub::~ChangeHub() = default;

ChangeHub::Subscription ChangeHub::subscribe(MailboxId mailbox, Callback callback) {
  auto listener = std::make_shared<Listener>();
  listener->mailbox = mailbox;
  listener->callback = std::move(callback);
  std::lock_guard lock(mutex_);
  listeners_.emplace(mailbox, listener);
  return Subscription(self_, listener);
}

void ChangeHub::publish(const MailboxChange& change) {
  std::vector<std::shared_ptr<Listener>> targets;
  {
    std::lock_guard lock(mutex_);
    auto [first, last] = listeners_.equal_range(change.mailbox);
    for (auto it = first; it != last; ++it) targets.push_back(it->second);
  }
  for (auto& listener : targets) {  // list lock released: callbacks may (un)subscribe
    std::lock_guard call_lock(listener->call_mutex);
    if (listener->active) listener->callback(change);
  }
}

size_t ChangeHub::subscriber_count(MailboxId mailbox) const {
  std::lock_guard lock(mutex_);
  return listeners_.count(mailbox);
}

std::optional<ModSeq> ChangeHub::expunges_held_after(MailboxId mailbox) const {
  std::lock_guard lock(mutex_);
  std::optional<ModSeq> lowest;
  auto [first, last] = listeners_.equal_range(mailbox);
  for (auto it = first; it != last; ++it) {
    ModSeq held = it->second->held_after.load();
    if (held != Listener::kHoldsNothing && (!lowest || held < *lowest)) lowest = held;
  }
  return lowest;
}

void ChangeHub::Subscription::hold_expunged_after(ModSeq modseq) {
  if (listener_) listener_->held_after.store(modseq);
}

void ChangeHub::remove(const std::shared_ptr<Listener>& listener) {
  std::lock_guard lock(mutex_);
  auto [first, last] = listeners_.equal_range(listener->mailbox);
  for (auto it = first; it != last; ++it) {
    if (it->second == listener) {
      listeners_.erase(it);
      return;
    }
  }
}

ChangeHub::Subscription& ChangeHub::Subscription::operator=(Subscription&& other) noexcept {
  if (this != &other) {
    reset();
    hub_ = std::move(other.hub_);
    listener_ = std::move(other.listener_);
  }
  return *this;
}

void ChangeHub::Subscription::reset() {
  if (!listener_) return;
  {
    // Waits for a running callback on another thread; returns at once if called from inside it.
    std::lock_guard call_lock(listener_->call_mutex);
    listener_->active = false;
  }
  if (auto hub = hub_.lock()) (*hub)->remove(listener_);
  listener_.reset();
  hub_.reset();
}

}  // namespace kurier::store
