// RFC 3461 DSN parameters as they travel through delivery: RET and ENVID per message, NOTIFY
// and ORCPT per recipient, from the SMTP/submission/LMTP session (smtp/dsn_params.h) to the
// outbound queue (the RelayHook) and to the success notices delivery owes itself.
//
// ENVID and ORCPT are kept in their SMTP wire form (xtext, RFC 3461 4; the codec is
// common/xtext.h), exactly what the queue stores and passes on to the next hop; NOTIFY uses the
// same bits as smtp::NotifyFlags and queue::Notify.
//
// Forwarding (RFC 3461 5.2.7), the rules expanded_dsn() applies to one RCPT:
//  - it reaches one target (a mailbox here, or one outside address): NOTIFY and ORCPT go along
//    unchanged (5.2.7.2 single-recipient alias); a local mailbox with NOTIFY=SUCCESS gets a
//    "delivered" notice (5.2.3), an outside address leaves success to the queue ("relayed" when
//    the next hop has no DSN, 5.2.2);
//  - it expands to several targets (5.2.7.3 multiple-recipient alias): every target keeps the
//    ORCPT of the original and NOTIFY as given, except SUCCESS: the sender gets ONE "expanded"
//    notice for the address it used, rather than one per target (NOTIFY=SUCCESS alone becomes
//    NEVER on the targets);
//  - a target whose address differs from the RCPT and had no ORCPT gets ORCPT=rfc822;<RCPT>
//    (RFC 3461 4.2 allows the relaying MTA to add it; the sender then sees the address it used).
#pragma once
#include <cstddef>
#include <string>
#include <string_view>

namespace kurier::delivery {

// RFC 3461 4.3 RET.
enum class DsnReturn { unspecified, full, headers };

// RFC 3461 4.1 NOTIFY bits; 0 = not given (failures and delays are reported).
enum DsnNotify : unsigned { kDsnNever = 1u << 0, kDsnSuccess = 1u << 1, kDsnFailure = 1u << 2, kDsnDelay = 1u << 3 };

struct MessageDsn {
  DsnReturn ret = DsnReturn::unspecified;
  std::string envid;  // ENVID as xtext; "" = none
};

struct RecipientDsn {
  unsigned notify = 0;
  std::string orcpt;  // "addr-type;xtext" as on the wire ("rfc822;bob+2Bx@example.net"); "" = none
};

bool wants_success(const RecipientDsn& dsn);
bool wants_failure(const RecipientDsn& dsn);  // RFC 3461 4.1: also when NOTIFY was not given

// The parameters one target of `rcpt_address` gets, when the RCPT resolved to `targets` mailboxes
// and outside addresses (see the rules above).
RecipientDsn expanded_dsn(const RecipientDsn& given, std::string_view rcpt_address, std::string_view target,
                          size_t targets);

// "rfc822;" + xtext(address), or "" when the address is not plain ASCII (an "utf-8" ORCPT is
// only passed on when the client gave one).
std::string rfc822_orcpt(std::string_view address);

}  // namespace kurier::delivery
