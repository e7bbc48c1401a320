// MailStore: the mailbox store behind IMAP, POP3, LMTP/SMTP delivery and quota (the role Cyrus'
// mailbox layer plays). The interface is backend-neutral; SqliteMailStore (sqlite_mail_store.h)
// is the first backend and a PostgreSQL one can follow without touching protocol code.
//
// Model (RFC 3501/9051, RFC 7162 CONDSTORE/QRESYNC, RFC 4315 UIDPLUS, RFC 6154, RFC 9208):
// - Mailboxes belong to an account, are named with separator '/' (mailbox_name.h) and carry
//   UIDVALIDITY (never reused for a name: a new mailbox always gets a larger value), UIDNEXT,
//   HIGHESTMODSEQ and an optional special-use attribute. Subscriptions are a separate per-account
//   list of names (RFC 9051 6.3.7: a subscription may outlive its mailbox).
// - Messages carry UID, MODSEQ, flags, internal date, RFC822.SIZE and a blob id; the opaque cached
//   structure (envelope/bodystructure computed by the mime module) is stored once per blob.
// - Every change to a mailbox takes a new MODSEQ = HIGHESTMODSEQ + 1. Expunged UIDs are kept with
//   their MODSEQ so changes_since() can answer QRESYNC's VANISHED (RFC 7162 3.2.10).
// - Blobs are reference counted by messages: a delivery to 10 mailboxes stores the bytes once,
//   and the blob file is removed after the last message referencing it is expunged and no
//   session can still address it (expunged rows keep their data until then; change_hub.h).
//
// Contract: every method is thread-safe and blocking. A successful return of a write means the
// change is durable (on disk) and visible to all later reads. Failures throw StoreError.
// A write that throws changed nothing. If append()/deliver() throws, the blob stays unreferenced
// and belongs to the caller (remove it, or let sweep_orphan_blobs() collect it).
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/change_hub.h"
#include "store/types.h"

namespace kurier::store {

class MailStore {
 public:
  virtual ~MailStore() = default;

  // ---- mailboxes (by account) ----
  // INBOX, Drafts, Sent, Trash, Junk, Archive (RFC 6154 attributes), all subscribed; existing
  // ones are left as they are, so calling it again is harmless.
  virtual std::vector<MailboxInfo> create_default_mailboxes(AccountId account) = 0;
  virtual std::vector<MailboxInfo> list_mailboxes(AccountId account) = 0;  // by name
  virtual std::optional<MailboxInfo> find_mailbox(AccountId account, std::string_view name) = 0;
  virtual std::optional<MailboxInfo> mailbox(MailboxId id) = 0;
  // Creates missing superior names too (RFC 9051 6.3.4). Throws already_exists.
  virtual MailboxInfo create_mailbox(AccountId account, std::string_view name,
                                     std::string_view special_use = {}) = 0;
  // RFC 9051 6.3.5: INBOX cannot be deleted; a mailbox with inferiors loses its messages and
  // becomes \Noselect; deleting a \Noselect mailbox that still has inferiors fails.
  virtual void delete_mailbox(AccountId account, std::string_view name) = 0;
  // RFC 9051 6.3.6: inferiors are renamed too; renaming INBOX moves its messages to a new mailbox
  // and leaves INBOX empty (its inferiors stay). The renamed mailboxes keep their UIDVALIDITY.
  virtual void rename_mailbox(AccountId account, std::string_view from, std::string_view to) = 0;
  virtual void set_special_use(AccountId account, std::string_view name,
                               std::string_view special_use) = 0;
  virtual void subscribe(AccountId account, std::string_view name) = 0;
  virtual void unsubscribe(AccountId account, std::string_view name) = 0;
  virtual std::vector<std::string> subscriptions(AccountId account) = 0;

  // ---- mailbox state ----
  virtual MailboxStatus mailbox_status(MailboxId mailbox) = 0;
  // Mailbox info and all message metadata from one read transaction (SELECT).
  virtual MailboxSnapshot snapshot(MailboxId mailbox) = 0;
  virtual std::vector<MessageMeta> messages(MailboxId mailbox, const UidSet& uids = all_uids()) = 0;
  // Messages of `uids` expunged from the mailbox whose data is still kept because a session may
  // not have been told yet (ChangeHub::Subscription::hold_expunged_after), UID order, with
  // their last flags and MODSEQ. Issue 9 item 3: such a message stays readable (RFC 9051 7.4.1
  // lets a server keep answering for it until the EXPUNGE is sent).
  virtual std::vector<MessageMeta> expunged_messages(MailboxId mailbox, const UidSet& uids) = 0;
  // (uid, cached structure) for the messages in `uids`, kept expunged ones included, UID order.
  virtual std::vector<std::pair<Uid, std::string>> cached_structures(MailboxId mailbox,
                                                                      const UidSet& uids) = 0;
  virtual Changes changes_since(MailboxId mailbox, ModSeq since) = 0;

  // RFC 3501 2.3.2: "this session is the first session to have been notified about this
  // message". Claims the messages with UIDs from the mailbox's recent_uid through `through`
  // for the caller and returns the first UID claimed (> through: none was left).
  virtual Uid claim_recent(MailboxId mailbox, Uid through) = 0;

  // ---- writes ----
  virtual AppendResult append(MailboxId mailbox, const NewMessage& message, const Flags& flags) = 0;
  // Several messages into one mailbox in ONE transaction, UIDs in order: every message is
  // appended or none is (RFC 3502 MULTIAPPEND). Results are in item order.
  virtual std::vector<AppendResult> append_all(MailboxId mailbox, const std::vector<AppendItem>& items) = 0;
  // One blob into several mailboxes (multi-recipient delivery), all in ONE transaction: either
  // every target gets the message or none does. Results are in target order.
  virtual std::vector<AppendResult> deliver(const std::vector<DeliveryTarget>& targets,
                                            const NewMessage& message) = 0;
  // STORE / UID STORE, with CONDSTORE's UNCHANGEDSINCE (RFC 7162 3.1.3) when given.
  virtual StoreFlagsResult store_flags(MailboxId mailbox, const UidSet& uids, FlagMode mode,
                                       const Flags& flags,
                                       std::optional<ModSeq> unchanged_since = std::nullopt) = 0;
  // COPY keeps flags and internal date (RFC 9051 6.4.7); MOVE is copy + expunge atomically
  // (RFC 6851). Both throw not_found if the destination does not exist.
  virtual CopyResult copy(MailboxId from, const UidSet& uids, MailboxId to) = 0;
  virtual CopyResult move(MailboxId from, const UidSet& uids, MailboxId to) = 0;
  // Expunges messages with \Deleted; restricted to `uids` when given (UID EXPUNGE, RFC 4315).
  virtual std::vector<Uid> expunge(MailboxId mailbox,
                                   const std::optional<UidSet>& uids = std::nullopt) = 0;
  // Expunges the messages of `uids` that still exist, whatever their flags, in one transaction
  // (POP3's UPDATE state, RFC 1939 6: DELE marks, QUIT removes). Returns the UIDs expunged.
  virtual std::vector<Uid> expunge_uids(MailboxId mailbox, const UidSet& uids) = 0;

  // ---- imports (docs/ARCHITECTURE.md "Imports and other writers beside the server") ----
  // The mailbox `name`, created when missing (with its superiors). A non-zero `uidvalidity`
  // replaces the mailbox's own only while it never held a message (UIDNEXT 1, MODSEQ 1), so
  // no client can have seen UIDs under the old value; `.uidvalidity` of the result says which
  // one it has.
  virtual MailboxInfo prepare_import_mailbox(AccountId account, std::string_view name,
                                             uint32_t uidvalidity,
                                             std::string_view special_use = {}) = 0;
  // Appends the items in ONE transaction (all or none), in order. An item whose key the
  // account already imported from `source` is skipped. An item keeps its source UID when that
  // is at least the mailbox's UIDNEXT (so UIDs stay ascending and are never reused), else it
  // gets UIDNEXT. The keys are recorded in the same transaction.
  virtual std::vector<ImportOutcome> import_messages(AccountId account, MailboxId mailbox,
                                                     const std::string& source,
                                                     const std::vector<ImportItem>& items) = 0;
  // Raises UIDNEXT to `uidnext` (never lowers it): the source's next UID, so UIDs its clients
  // saw for since-deleted messages are not given to new mail.
  virtual void raise_uidnext(MailboxId mailbox, Uid uidnext) = 0;
  // The keys already imported from `source` (resume: skip before reading a message).
  virtual std::vector<std::string> imported_keys(AccountId account, const std::string& source) = 0;
  // POP3 UIDLs kept from an import, by UID (pop3/uidl.h says how the others are derived).
  virtual std::vector<std::pair<Uid, std::string>> pop3_uidls(MailboxId mailbox) = 0;

  // ---- accounts ----
  virtual QuotaUsage quota_usage(AccountId account) = 0;
  // Every mailbox, message reference and subscription of the account (account removal).
  virtual void delete_account(AccountId account) = 0;
  // The accounts that own a mailbox or a subscription, ascending.
  virtual std::vector<AccountId> accounts() = 0;

  // ---- maintenance ----
  // Removes blob files no message references that are older than min_age_seconds (left by a
  // crash between blob commit and the append transaction). Returns how many were removed.
  virtual size_t sweep_orphan_blobs(int64_t min_age_seconds) = 0;

  virtual ChangeHub& changes() = 0;
};

}  // namespace kurier::store
