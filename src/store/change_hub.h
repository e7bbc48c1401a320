// In-process notification hub: the mail store publishes what each commit changed in a mailbox
// (new UIDs, flag changes, expunges) so other IMAP sessions can wake from IDLE (RFC 2177) and
// send untagged EXISTS/FETCH/EXPUNGE or VANISHED without polling.
//
// Threading: publish() runs on the store's writer thread after the transaction committed and
// after the database lock was released; the subscriber list lock is not held while callbacks
// run. Callbacks must be cheap and non-blocking: post to the session's executor and return.
// Destroying a Subscription guarantees its callback is not running and will not run again
// (a callback may destroy its own Subscription).
//
// Expunge holds (issue 9 item 3, docs/ARCHITECTURE.md "Expunged messages"): an IMAP session
// addresses messages by sequence number until it has told its client about an expunge, so a
// message expunged by another session must stay readable until then. A subscriber that
// addresses messages says which expunges it has told (hold_expunged_after(m): it may still
// address messages expunged with a MODSEQ above m); the store drops an expunged message's data
// only when no subscriber of its mailbox holds it. New subscriptions hold nothing.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "store/types.h"

namespace kurier::store {

struct MailboxChange {
  MailboxId mailbox = 0;
  ModSeq highest_modseq = 0;   // after the change
  std::vector<Uid> appended;   // new messages, ascending
  std::vector<Uid> flags_changed;
  std::vector<Uid> expunged;
  bool mailbox_deleted = false;  // the mailbox was deleted or renamed away (INBOX excepted)
  bool mailbox_renamed = false;
  bool empty() const {
    return appended.empty() && flags_changed.empty() && expunged.empty() && !mailbox_deleted &&
           !mailbox_renamed;
  }
  void merge(const MailboxChange& later);
};

class ChangeHub {
 public:
  using Callback = std::function<void(const MailboxChange&)>;
  struct Listener;

  class Subscription {
   public:
    Subscription() = default;
    Subscription(Subscription&&) noexcept = default;
    Subscription& operator=(Subscription&& other) noexcept;
    Subscription(const Subscription&) = delete;
    Subscription& operator=(const Subscription&) = delete;
    ~Subscription() { reset(); }
    void reset();  // unsubscribes; afterwards the callback is never called
    explicit operator bool() const { return listener_ != nullptr; }
    // From now on messages expunged with a MODSEQ above `modseq` are kept for this subscriber.
    void hold_expunged_after(ModSeq modseq);

   private:
    friend class ChangeHub;
    Subscription(std::weak_ptr<ChangeHub*> hub, std::shared_ptr<Listener> listener)
        : hub_(std::move(hub)), listener_(std::move(listener)) {}
    std::weak_ptr<ChangeHub*> hub_;
    std::shared_ptr<Listener> listener_;
  };

  ChangeHub();
  ~ChangeHub();
  ChangeHub(const ChangeHub&) = delete;
  ChangeHub& operator=(const ChangeHub&) = delete;

  [[nodiscard]] Subscription subscribe(MailboxId mailbox, Callback callback);
  void publish(const MailboxChange& change);
  size_t subscriber_count(MailboxId mailbox) const;
  // The lowest hold among the mailbox's subscribers; nullopt when none holds anything.
  std::optional<ModSeq> expunges_held_after(MailboxId mailbox) const;

 private:
  void remove(const std::shared_ptr<Listener>& listener);

  mutable std::mutex mutex_;
  std::multimap<MailboxId, std::shared_ptr<Listener>> listeners_;
  std::shared_ptr<ChangeHub*> self_;  // lets Subscriptions outlive the hub safely
};

}  // namespace kurier::store
