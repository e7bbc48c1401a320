// What the outbound queue knows about a message besides its bytes: the envelope (RFC 5321
// MAIL/RCPT), the DSN parameters the client gave (RFC 3461 RET, ENVID, NOTIFY, ORCPT), and the
// delivery state of the message and of each recipient.
//
// Message states (what `kurier queue list` shows):
//   queued      accepted, not tried yet (or made due again by `kurier queue retry`)
//   delivering  an attempt is running
//   deferred    some recipients failed temporarily; next_attempt says when it is retried
//   bounced     every recipient is done, some failed; the DSN to the sender is being sent
//   expired     max_queue_days passed; the remaining recipients failed; DSN being sent
//   delivered   every recipient is done and a success DSN (NOTIFY=SUCCESS) is being sent
// A message leaves the queue when every recipient is done and its notifications are out.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kurier::queue {

enum class MessageState { queued, delivering, deferred, bounced, expired, delivered };
enum class RecipientState { pending, delivered, failed };

const char* to_string(MessageState s);
const char* to_string(RecipientState s);
std::optional<MessageState> parse_message_state(std::string_view s);
std::optional<RecipientState> parse_recipient_state(std::string_view s);

// RFC 3461 4.1 NOTIFY: NEVER, or any of SUCCESS, FAILURE, DELAY. 0 = not given (the default:
// failures and delays are reported, RFC 3461 4.1).
enum Notify : unsigned {
  kNotifyNever = 1u << 0,
  kNotifySuccess = 1u << 1,
  kNotifyFailure = 1u << 2,
  kNotifyDelay = 1u << 3,
};
// "SUCCESS,DELAY" -> bits; nullopt for a malformed list (NEVER combined with others, unknown words).
std::optional<unsigned> parse_notify(std::string_view text);
std::string notify_text(unsigned notify);  // "" for 0
bool wants_failure_notice(unsigned notify);
bool wants_delay_notice(unsigned notify);
bool wants_success_notice(unsigned notify);

// RFC 3461 4.3 RET.
enum class Ret { unspecified, full, headers };
const char* to_string(Ret r);  // "", "FULL", "HDRS"
std::optional<Ret> parse_ret(std::string_view text);

struct RecipientRequest {
  std::string address;  // "user@example.net"
  unsigned notify = 0;
  std::string orcpt;    // the ORCPT parameter as given, "rfc822;user+2Bx@example.net"; "" if none
};

// What the SMTP session (or the delivery service) hands to the queue.
struct EnqueueRequest {
  std::string sender;  // reverse-path without brackets; "" for <> (a bounce: never bounced itself)
  std::vector<RecipientRequest> recipients;
  Ret ret = Ret::unspecified;
  std::string envid;   // ENVID as given (xtext)
  bool smtputf8 = false;  // MAIL carried SMTPUTF8 (RFC 6531)
  // Who sent it, for the DKIM decision (queue.h): the account that logged in (SMTP AUTH) to
  // submit it, or "operator" for `kurier queue inject`; "" = nobody authenticated (port 25,
  // LMTP, forwarding). Never derived from the sender address.
  std::string authenticated_as;
  std::string client_ip;  // the SMTP client's address; "" when not from the network
};

struct Recipient {
  int position = 0;
  std::string address;
  unsigned notify = 0;
  std::string orcpt;
  RecipientState state = RecipientState::pending;
  std::string status;      // enhanced status of the last result, "4.4.1"
  std::string diagnostic;  // "smtp; 550 5.1.1 no such user" or kurier's own text
  std::string remote_mta;  // host that gave the answer; "" when none was reached
  bool success_notice_due = false;  // delivered to a server without DSN, NOTIFY=SUCCESS: we report "relayed"
};

struct Envelope {
  std::string id;
  std::string sender;
  std::string envid;
  Ret ret = Ret::unspecified;
  bool smtputf8 = false;
  bool eight_bit = false;
  std::string prefix;   // header fields sent before the spool file (the DKIM-Signature fields)
  uint64_t size = 0;    // prefix + spool file bytes
  MessageState state = MessageState::queued;
  int64_t created = 0;       // unix seconds
  int64_t next_attempt = 0;
  int64_t last_attempt = 0;
  int attempts = 0;
  std::string last_error;
  bool delay_warned = false;
  std::vector<Recipient> recipients;

  size_t pending_count() const;
};

}  // namespace kurier::queue
