// DeliveryService: local delivery shared by every way mail comes in (LMTP, SMTP, Sieve redirects
// later). The role Postfix virtual + Cyrus lmtpd played in the seed (CHECKLIST Routing, Quota).
//
// A transaction, as the protocol drives it:
//   1. check_recipient(address) for every RCPT: resolution (resolver.h) + quota + relay policy ->
//      the reply to give now (250 2.1.5 / 550 5.1.1 / 452 4.2.2 / 451 4.3.0 / 550 5.7.1).
//   2. begin_message(envelope) -> MessageSink; the protocol feeds the decoded body in chunks.
//      It spools to a BlobWriter (64 KiB buffer): nothing is held whole in memory.
//   3. deliver(sink, accepted recipients) -> one result per recipient, after ONE MailStore::deliver
//      for every target mailbox (one transaction, group commit) has returned, i.e. is on disk.
//
// Message layout. The blob is shared by all local recipients (single-instance storage), so it
// only carries headers true for all of them: "Return-Path: <sender>" (RFC 5321 4.4) and the
// protocol's Received field, then the message. "Delivered-To: <rcpt>" is added only when the
// transaction has exactly one recipient (the RCPT address as given, before alias expansion);
// with several, no Delivered-To is written rather than one that is wrong for the others.
//
// Policies (CHECKLIST):
//  - Quota, Cyrus semantics: below the limit a message is accepted even if it crosses it; at or
//    over it: 452 4.2.2, or 552 5.2.2 with delivery.over_quota = "permanent". Checked at RCPT and
//    again just before storing. One recipient expanding to several accounts fails as a whole
//    when any of them is full (a retry is safe: duplicates are suppressed by Message-ID).
//  - A warning message goes into the INBOX once when usage crosses quota_warning_percent; the
//    mark resets when usage falls below.
//  - Duplicates: the same Message-ID to the same mailbox within duplicate_window_hours is stored
//    once and reported delivered. Messages without Message-ID are never suppressed. Relayed
//    copies are queued after the local store, and a retried transaction's relay requests are
//    recognised by their key within the same window (relay_external), so a 4xx and the
//    client's retry never queue a copy twice.
//  - Recipients expanding to addresses in other domains are accepted only when a RelayHook is
//    set; otherwise RCPT gets 550 5.7.1 "relaying not available" (the outbound queue is not there
//    yet), rather than delivering part of an alias and losing the rest.
//  - The same account reached through several recipients of one transaction gets one copy.
//  - DSN parameters (RFC 3461, dsn_params.h): RET/ENVID of the envelope and NOTIFY/ORCPT of each
//    accepted recipient go with relayed targets to the queue (which bounces, or reports
//    "relayed"); NOTIFY=SUCCESS on a recipient stored here yields a "delivered" notice, on an
//    alias with several targets one "expanded" notice, through the NoticeHook after the store.
//  - Loops (trace.h, RFC 5321 6.3): more than 50 Received fields refuse the message, a
//    Delivered-To naming a recipient refuses that recipient, both 554 5.4.6, before anything is
//    stored or relayed. A copy relayed for an alias or forward carries "Delivered-To: <alias>",
//    so a forwarding loop through another server is recognised when it comes back.
//  - SMTP's one reply (message_reply): a recipient that failed permanently next to delivered
//    ones gets a "failed" DSN to the sender (unless NOTIFY says otherwise or the sender is <>).
//
// Every method is blocking (directory reads, fsync); protocols call them through
// Runtime::offload. Thread-safe: one DeliveryService serves the whole server.
#pragma once
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "delivery/hooks.h"
#include "delivery/resolver.h"
#include "delivery/trace.h"

namespace kurier::config {
struct Config;
}
namespace kurier::directory {
class Directory;
}
namespace kurier::store {
class MailStore;
class BlobStore;
class BlobWriter;
}  // namespace kurier::store

namespace kurier::delivery {

struct DeliverySettings {
  std::string hostname = "localhost";      // From: of the quota warning
  std::filesystem::path state_path;        // DATA/delivery.db; empty = in memory (tests)
  bool over_quota_permanent = false;       // 552 5.2.2 instead of 452 4.2.2
  int duplicate_window_hours = 72;         // 0 = no duplicate suppression
  int quota_warning_percent = 90;          // 0 = no warning
  std::string subaddress_separators = "+";
  std::string postmaster = "";  // [delivery] postmaster
  uint64_t max_message_size = 50 * 1024 * 1024;  // decoded message bytes; trace headers come on top
  size_t max_alias_targets = 1000;  // targets one recipient may expand to (ResolverOptions::max_results)

  static DeliverySettings from_config(const config::Config& config);
};

// A reply in SMTP terms, for one recipient.
struct RecipientStatus {
  enum class Kind { ok, temporary, permanent };
  Kind kind = Kind::ok;
  int code = 250;
  std::string enhanced = "2.1.5";
  std::string text;

  bool ok() const { return kind == Kind::ok; }
  static RecipientStatus success(int code, std::string enhanced, std::string text);
  static RecipientStatus temporary(int code, std::string enhanced, std::string text);
  static RecipientStatus permanent(int code, std::string enhanced, std::string text);
};

// How the protocol answers after the message data.
enum class ReplyStyle {
  per_recipient,  // LMTP (RFC 2033 4.2): one reply per recipient; the client reports failures
  one_reply,      // SMTP (RFC 5321 4.1.1.4): one reply; a 250 makes us responsible for every
                  // recipient (6.1), so deliver() reports permanent failures itself (a DSN)
};

// The one SMTP reply after the data, from the per-recipient results. Never "neither": every
// recipient is either delivered, refused, or reported to the sender.
//  - any temporary failure: that 4xx for the whole message. A 250 would make us responsible for
//    a recipient we can neither deliver now nor retry ourselves (there is no local retry queue);
//    the client retries instead, and the recipients that already got the message are protected
//    by duplicate suppression (Message-ID) and the relay record (see deliver());
//  - all failed permanently: the first 5xx;
//  - else 250; with ReplyStyle::one_reply, deliver() has then sent the sender one DSN naming
//    each recipient that failed permanently (RFC 3464, through the NoticeHook).
RecipientStatus message_reply(const std::vector<RecipientStatus>& results);
// Some delivered, some failed permanently, none temporarily: a 250 that owes a DSN.
bool owes_failure_notice(const std::vector<RecipientStatus>& results);

// The answer to RCPT: the status to reply, and the resolution to keep for delivery when ok.
struct RecipientCheck {
  RecipientStatus status;
  Resolution resolution;
};

// A recipient the protocol accepted (check_recipient said ok).
struct AcceptedRecipient {
  AcceptedRecipient(std::string address, Resolution resolution, RecipientDsn dsn = {})
      : address(std::move(address)), expansion(std::make_shared<const Resolution>(std::move(resolution))), dsn(std::move(dsn)) {}
  AcceptedRecipient(std::string address, std::shared_ptr<const Resolution> expansion, RecipientDsn dsn = {})
      : address(std::move(address)), expansion(std::move(expansion)), dsn(std::move(dsn)) {}
  const Resolution& resolution() const { return *expansion; }

  std::string address;  // as the client gave it (for Delivered-To, logs, filing)
  // What it expands to; RCPTs of one transaction that resolve to the same address share one
  // (a big alias named twice is held once).
  std::shared_ptr<const Resolution> expansion;
  RecipientDsn dsn;     // RFC 3461 NOTIFY/ORCPT of the RCPT
};

struct MessageEnvelope {
  std::string sender;           // reverse-path without brackets; "" for <>
  std::string received;         // the whole Received: field, CRLF-terminated ("" = none)
  std::vector<std::string> recipients;  // accepted RCPT addresses (Delivered-To when exactly one)
  MessageDsn dsn;               // RFC 3461 RET/ENVID of the MAIL command
  MessageOrigin origin;         // authenticated account and client address (hooks.h)
};

// The message being received, spooled to a blob as it arrives. Move-only; destroying it
// without deliver() discards the spooled bytes.
class MessageSink {
 public:
  ~MessageSink();
  MessageSink(MessageSink&&) noexcept;
  MessageSink& operator=(MessageSink&&) noexcept;

  // Appends message bytes (already transparency-decoded, CRLF line ends). Past max_message_size
  // the bytes are dropped and too_large() turns true (the protocol answers 552 5.3.4 at the end
  // of the data). Throws store::StoreError (io) when the spool file cannot be written.
  void write(std::string_view chunk);
  uint64_t message_bytes() const { return message_bytes_; }  // what write() was given
  bool too_large() const { return too_large_; }
  const MessageEnvelope& envelope() const { return envelope_; }
  // Bytes at the start of the blob that only a local mailbox gets (Return-Path, Delivered-To):
  // what follows is the message as received (our Received field first), for relays and DSNs.
  size_t local_trace_bytes() const { return local_trace_bytes_; }
  // Received and Delivered-To fields of the message's header section, for loop detection.
  const TraceScanner& trace() const { return trace_; }

 private:
  friend class DeliveryService;
  MessageSink(std::unique_ptr<store::BlobWriter> writer, MessageEnvelope envelope, uint64_t max_bytes);
  void flush();

  std::unique_ptr<store::BlobWriter> writer_;
  MessageEnvelope envelope_;
  std::string buffer_;
  uint64_t message_bytes_ = 0;
  uint64_t max_bytes_ = 0;
  size_t local_trace_bytes_ = 0;
  TraceScanner trace_;
  bool too_large_ = false;
};

class DeliveryState;

class DeliveryService {
 public:
  DeliveryService(DeliverySettings settings, directory::Directory& directory, store::MailStore& store,
                  store::BlobStore& blobs);
  ~DeliveryService();
  DeliveryService(const DeliveryService&) = delete;
  DeliveryService& operator=(const DeliveryService&) = delete;

  // Hooks are set once at startup, before any delivery. nullptr filing = INBOX.
  void set_filing_hook(FilingHook* hook);
  void set_relay_hook(RelayHook* hook);
  bool can_relay() const { return relay_ != nullptr; }
  // nullptr (the default): no success notices are sent for local deliveries and expansions.
  void set_notice_hook(NoticeHook* hook);

  const DeliverySettings& settings() const { return settings_; }

  Resolution resolve_recipient(std::string_view address) const;
  // resolve_recipient + quota + relay policy: the RCPT reply.
  RecipientCheck check_recipient(std::string_view address);

  // Starts spooling a message. Throws store::StoreError (io) if no blob can be created.
  MessageSink begin_message(MessageEnvelope envelope);
  // Stores the message for every accepted recipient; one result per recipient, in order. The
  // sink is consumed. Never throws for delivery failures: they are per-recipient statuses.
  // With ReplyStyle::one_reply, permanent failures next to deliveries are reported to the
  // sender (see message_reply); a report that cannot be made turns them temporary.
  std::vector<RecipientStatus> deliver(MessageSink sink, const std::vector<AcceptedRecipient>& recipients,
                                       ReplyStyle style = ReplyStyle::per_recipient);

  // Quota state of an account right now (for tests and IMAP's ALERT): usage in bytes.
  uint64_t usage_bytes(int64_t account);
  // Drops what delivery remembers of a removed account (its quota-warning mark).
  void forget_account(int64_t account);
  // The durable memory (delivery.db), for the Sieve hook's vacation and duplicate records.
  DeliveryState& state() { return *state_; }

 private:
  struct Transaction;
  RecipientStatus over_quota_status(const std::string& address) const;
  bool over_quota(const LocalRecipient& account);
  void file_for_account(Transaction& t, size_t account_index);
  void store_targets(Transaction& t);
  void group_by_account(Transaction& t);
  void relay_external(Transaction& t);
  void count_delivery(const Transaction& t);
  void relay_redirects(Transaction& t);
  void relay_redirect_group(Transaction& t, size_t account_index, const std::vector<RedirectTo>& group);
  void store_edited_copies(Transaction& t, size_t account_index);
  std::optional<store::MailboxInfo> create_for_fileinto(const LocalRecipient& account, const std::string& name);
  std::string relay_key(Transaction& t, std::string_view trace, const std::vector<RelayRecipient>& targets) const;
  bool already_relayed(const std::string& key);
  void record_relay(const std::string& key);
  void refuse_loops(Transaction& t, const TraceScanner& trace);
  void after_delivery(Transaction& t);
  void send_success_notices(Transaction& t);
  void send_failure_notice(Transaction& t);
  void maybe_warn_quota(const LocalRecipient& account);
  void send_quota_warning(const LocalRecipient& account, uint64_t used, int percent);
  store::MailboxId inbox_of(const LocalRecipient& account);

  DeliverySettings settings_;
  directory::Directory& directory_;
  store::MailStore& store_;
  store::BlobStore& blobs_;
  Resolver resolver_;
  std::unique_ptr<DeliveryState> state_;
  InboxFilingHook default_filing_;
  FilingHook* filing_ = &default_filing_;
  RelayHook* relay_ = nullptr;
  NoticeHook* notice_ = nullptr;
  std::atomic<int> deliveries_{0};  // for pruning duplicate records now and then
};

}  // namespace kurier::delivery
