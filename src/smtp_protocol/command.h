// Parser for one SMTP (RFC 5321 4.1) or LMTP (RFC 2033) command line, with the ESMTP parameters
// kurier supports: SIZE (RFC 1870), BODY (RFC 6152, RFC 3030), SMTPUTF8 (RFC 6531),
// RET/ENVID/NOTIFY/ORCPT (RFC 3461), AUTH= (RFC 4954 5). Errors come back as the Reply a client
// should see. The parser knows nothing of session state: the session decides whether a command
// is allowed now (e.g. LHLO only in LMTP, RCPT only after MAIL).
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "smtp_protocol/address.h"
#include "smtp_protocol/reply.h"

namespace kurier::smtp {

enum class Verb { Helo, Ehlo, Lhlo, Mail, Rcpt, Data, Bdat, Rset, Noop, Quit, Vrfy, Expn, Help, StartTls, Auth };

std::string_view verb_name(Verb verb);

// RFC 6152 / RFC 3030 BODY=
enum class BodyType { Unspecified, SevenBit, EightBitMime, BinaryMime };
// RFC 3461 4.3 RET=
enum class DsnReturn { Unspecified, Full, Headers };

// RFC 3461 4.1 NOTIFY= flags; NEVER is exclusive of the others.
enum NotifyFlags : unsigned { kNotifyNever = 1, kNotifySuccess = 2, kNotifyFailure = 4, kNotifyDelay = 8 };

struct MailParams {
  std::optional<uint64_t> size;       // SIZE=n
  BodyType body = BodyType::Unspecified;
  bool smtputf8 = false;              // SMTPUTF8
  DsnReturn ret = DsnReturn::Unspecified;
  std::optional<std::string> envid;   // ENVID, xtext decoded (printable ASCII, <= 100 chars)
  std::optional<std::string> auth;    // AUTH=, xtext decoded: "<>" or an addr-spec
};

struct OriginalRecipient {
  std::string addr_type;  // "rfc822", "utf-8", ... as given (compare case-insensitively)
  std::string address;    // decoded xtext (or RFC 6533 utf-8-addr-xtext for type utf-8)
};

struct RcptParams {
  unsigned notify = 0;                      // NotifyFlags; 0 when NOTIFY was not given
  std::optional<OriginalRecipient> orcpt;   // ORCPT=
};

struct Command {
  Verb verb = Verb::Noop;
  // HELO/EHLO/LHLO: the client's name; VRFY/EXPN/HELP/NOOP: the argument string as given
  // (may be empty for HELP/NOOP); AUTH: the mechanism name, upper-cased.
  std::string argument;
  // HELO/EHLO/LHLO: the argument is a syntactically valid Domain or address-literal. Kept as a
  // flag because real clients send "EHLO my_host" and whether to refuse that is policy.
  bool helo_is_valid = false;
  // VRFY/EXPN: the client sent the SMTPUTF8 parameter, allowing UTF-8 in the reply (RFC 6531 3.7.4.2).
  bool smtputf8 = false;

  // MAIL/RCPT. Empty for the null reverse-path <> (MAIL) and for <postmaster> (RCPT).
  std::optional<Address> mailbox;
  bool postmaster = false;  // RCPT TO:<postmaster> (RFC 5321 4.1.1.3, any case)
  MailParams mail;
  RcptParams rcpt;

  // BDAT (RFC 3030 2)
  uint64_t chunk_size = 0;
  bool last_chunk = false;

  // AUTH (RFC 4954 4): the initial response as sent (still base64); "" when "=" was sent.
  std::optional<std::string> initial_response;
};

struct ParseResult {
  std::optional<Command> command;  // set on success
  Reply error;                     // set when command is empty

  explicit operator bool() const { return command.has_value(); }
};

// Line-length limits, CRLF included (RFC 5321 4.5.3.1.4: 512 octets). Extensions raise the limit
// for the commands they add parameters to: MAIL by SIZE (+26, RFC 1870 7), RET/ENVID (+115,
// RFC 3461 4), AUTH= (+500, RFC 4954 5) and SMTPUTF8 (+10, RFC 6531 3.4); RCPT by NOTIFY/ORCPT
// (+500, RFC 3461 4). AUTH with an initial response is allowed 12288 octets, what RFC 4954 4
// requires for responses, because clients send long OAuth tokens there.
constexpr size_t kMaxCommandLine = 512;
constexpr size_t kMaxMailLine = 512 + 26 + 115 + 500 + 10;
constexpr size_t kMaxRcptLine = 512 + 500;
constexpr size_t kMaxAuthLine = 12288;

// Parses one command line without its CRLF.
// `smtputf8_allowed`: for MAIL, whether the server offers SMTPUTF8 (then the SMTPUTF8 parameter is
// accepted and permits a UTF-8 reverse-path); for RCPT, whether the current transaction's MAIL
// carried SMTPUTF8 (RFC 6531 3.4: only then may the forward-path be UTF-8).
ParseResult parse_command(std::string_view line, bool smtputf8_allowed);

}  // namespace kurier::smtp
