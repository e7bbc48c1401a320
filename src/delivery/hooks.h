// Extension points of the delivery service:
//  - FilingHook decides, per local account, where a message goes. Sieve (RFC 5228) will plug in
//    here; the default files everything into INBOX (RFC 5228 2.10.2 implicit keep).
//  - RelayHook takes recipients that are not local (alias targets in other domains, Sieve
//    redirects) for the outbound queue, with their RFC 3461 parameters (dsn_params.h). Without
//    one, such recipients cannot be accepted.
//  - NoticeHook sends the notices delivery itself owes the sender: "delivered" for a local
//    mailbox (RFC 3461 5.2.3), "expanded" for an alias with several targets (5.2.7.3), and
//    "failed" for recipients that failed permanently after SMTP answered 250 for the message
//    (RFC 5321 6.1: once accepted, a failure must be reported to the reverse-path).
// Hooks run on the delivery thread (blocking calls are fine) and must be thread-safe.
#pragma once
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "delivery/dsn_params.h"
#include "delivery/resolver.h"
#include "mime/part.h"
#include "store/types.h"

namespace kurier::delivery {

struct FilingRequest {
  const LocalRecipient& account;
  std::string_view envelope_recipient;  // the RCPT address that led to this account
  std::string_view sender;              // reverse-path, "" for <>
  std::string_view message;             // the whole stored message, trace headers included
  const mime::Part& structure;
};

struct FileInto {
  std::string mailbox = "INBOX";  // a missing or unselectable mailbox falls back to INBOX
  store::Flags flags;
  bool create = false;            // RFC 5490 3.2 (fileinto :create): make a missing mailbox
  // RFC 5293 (editheader): the complete header block ("Name: value" CRLF ... CRLF) this copy is
  // stored with instead of the message's; null = the message as received.
  std::shared_ptr<const std::string> header;
};

struct RedirectTo {
  std::string address;
  // RFC 5293 (editheader): the header block the copy leaves with; null = as received.
  std::shared_ptr<const std::string> header;
};

struct FilingDecision {
  std::vector<FileInto> file_into;    // empty (and not discard): INBOX
  std::vector<RedirectTo> redirect;   // copies to send on, through the RelayHook
  bool discard = false;               // RFC 5228 4.4: cancels the implicit keep
  // RFC 5429: refuse the message for this account (550 5.7.1 with this text); nothing is
  // stored or redirected. LMTP answers it per recipient; SMTP, having one reply, sends a DSN.
  std::optional<std::string> reject;
  // Side effects owed once the account's delivery stands (its copies stored, its redirects
  // queued): vacation replies, notifications, duplicate tracking. A throw is logged; the
  // delivery stands.
  std::vector<std::function<void()>> after_delivery;
};

class FilingHook {
 public:
  virtual ~FilingHook() = default;
  // May throw: the account's delivery then fails temporarily (451 4.3.0).
  virtual FilingDecision decide(const FilingRequest& request) = 0;
};

// The default: INBOX, no flags.
class InboxFilingHook final : public FilingHook {
 public:
  FilingDecision decide(const FilingRequest&) override { return {}; }
};

// Who handed the message to us, as the protocol knows it. The outbound queue signs (DKIM) only
// what an authenticated account or a configured network sent: never inferred from the sender
// address, which anyone can forge on port 25.
struct MessageOrigin {
  std::string authenticated_as;  // the account's primary address after SMTP AUTH; "" = none
  std::string client_ip;         // the client's address ("" when not from the network)
};

struct RelayRecipient {
  std::string address;
  RecipientDsn dsn;  // NOTIFY/ORCPT for this target (RFC 3461 5.2.7 applied, see dsn_params.h)
};

struct RelayRequest {
  std::string_view sender;                 // reverse-path, "" for <>
  const std::vector<RelayRecipient>& recipients;
  std::string_view message;                // the message as received (our Received first, no
                                           // Return-Path); valid only during the call
  const MessageDsn& dsn;                   // RET/ENVID of the message
  const MessageOrigin& origin;             // who sent it (for the DKIM decision)
  std::string_view trace;                  // header fields to write before message: the
                                           // Delivered-To of an alias or forward (trace.h); "" = none
};

class RelayHook {
 public:
  virtual ~RelayHook() = default;
  // Must make the message durable (queue it) before returning. Throws on failure, which the
  // caller reports as a temporary failure (451 4.3.0) of those recipients.
  virtual void relay(const RelayRequest& request) = 0;
};

struct NoticeRecipient {
  std::string address;  // the RCPT address as given (Final-Recipient)
  std::string orcpt;    // ORCPT as given (xtext); "" = none
  std::string action;   // "delivered", "expanded" or "failed" (RFC 3464 2.3.3)
  std::string status = "2.0.0";  // RFC 3464 2.3.4 enhanced status ("5.2.2" for a failure)
  std::string diagnostic;        // RFC 3464 2.3.6 ("X-Kurier; 552 5.2.2 mailbox full"); "" = none
};

// A notice owed about a message received here (never for the null sender).
struct Notice {
  std::string_view sender;  // the original envelope sender: where the notice goes
  const MessageDsn& dsn;    // RET (what a failure returns) and ENVID for Original-Envelope-Id
  const std::vector<NoticeRecipient>& recipients;
  // The message as received (our Received field first); a success notice returns its header
  // section, a failure the whole message unless RET=HDRS.
  std::string_view message;
};
using SuccessNotice = Notice;

class NoticeHook {
 public:
  virtual ~NoticeHook() = default;
  // Runs after the message is stored; may call back into the DeliveryService (a local sender).
  // Throwing only loses the notice (logged): the message itself is delivered.
  virtual void success(const SuccessNotice& notice) = 0;
  // RFC 3464 "failed" notice for recipients that failed permanently in a message already
  // accepted. Must make the notice durable before returning; throwing makes those recipients a
  // temporary failure instead (the client retries, so nothing is dropped silently).
  virtual void failure(const Notice& notice) = 0;
};

}  // namespace kurier::delivery
