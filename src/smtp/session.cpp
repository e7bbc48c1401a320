// The SMTP-family server session: greeting, the command loop with pipelining, and the envelope
// commands. DATA, BDAT and the replies after them live in session_data.cpp.
//
// Implementation notes — invariants anyone changing the SMTP/LMTP code must keep:
// - One engine, modes as flags (session.h): never copy a command handler for a new mode; add a
//   flag. LMTP differs from SMTP only in LHLO (RFC 2033 4.1) and the per-recipient replies
//   after the data (RFC 2033 4.2).
// - Never answer 250 to DATA/BDAT LAST before DeliveryService::deliver returned: it returns after
//   the store's transaction is on disk (fsync), so a 250 is a promise we can keep after a crash.
// - Bodies stream: DataDecoder -> MessageSink (64 KiB buffer) -> BlobWriter. No message, chunk
//   list or line is held whole; BDAT chunks stream through LineReader::read_exact.
// - Every blocking call (directory lookups, quota, the store) goes through Runtime::offload.
//   Spooling writes (page cache) happen on the I/O thread; the fsync is in deliver().
// - Pipelining (RFC 2920 3.1): replies are queued and flushed when no further command is
//   buffered, before 354 (DATA is a synchronisation point), and before closing. The order of
//   replies is the order of commands.
// - Every input is bounded: command lines (parse_command's per-verb limits, RFC 5321 4.5.3.1),
//   recipients (limits.max_recipients, 452 4.5.3), message size (limits.max_message_size,
//   552 5.3.4, announced with SIZE, RFC 1870), pending output, and rejected commands
//   (limits.max_bad_commands, then 421 and close; permanently refused RCPTs count too).
// - Idle clients are cut off after limits.smtp_timeout_seconds with 421 4.4.2 (RFC 5321
//   4.5.3.2); at shutdown, an idle client gets "421 4.3.2 Server shutting down" (LineReader).
// - STARTTLS (RFC 3207 4.2): plaintext pipelined after it is discarded (LineReader::start_tls)
//   and everything learned before it is forgotten: the client must EHLO again.
// - AUTH only through session::run_sasl (RFC 4954), never a password check of our own; a
//   password mechanism without TLS off loopback is 538 5.7.11 (RFC 4954 6).
// - No open relay (RFC 5321 3.6.2): a recipient in a domain not hosted here is accepted only
//   from an authenticated client or a client in [smtp] trusted_networks (empty by default;
//   loopback is not trusted either), and only when the DeliveryService has a RelayHook (the
//   outbound queue); until it has, authenticated relaying gets 451 4.3.0. A relay domain
//   (backup MX, Domain.transport "relay:HOST:PORT") takes mail from anyone, for any local part.
// - Submission (RFC 6409): MAIL FROM and From: must be addresses of the authenticated account
//   (submission.h); the login name is rewritten to the primary address.
// - SRS (srs/codec.h): RCPT to an SRS0=/SRS1= address of ours is a bounce to mail we forwarded.
//   With a valid hash and timestamp it goes to the original sender (relayed without AUTH: we
//   wrote that address ourselves); otherwise 550 5.1.1, so nobody can use it to relay.
#include "smtp/session_internal.h"

#include <algorithm>
#include <chrono>
#include <ctime>

#include "auth/sasl.h"
#include "common/log.h"
#include "common/strings.h"
#include "smtp/dsn_params.h"
#include "smtp_protocol/relay_policy.h"
#include "srs/codec.h"

namespace kurier::smtp {
namespace {

constexpr size_t kMaxPendingOutput = 64 * 1024;    // pipelined replies held before a forced flush

}  // namespace

SessionMode lmtp_mode() { return SessionMode{"lmtp", true, false, false, false, false}; }
SessionMode smtp_mode() { return SessionMode{"smtp", false, false, false, true, false}; }
SessionMode submission_mode() { return SessionMode{"submission", false, true, true, true, true}; }
SessionMode submissions_mode() { return SessionMode{"submissions", false, true, true, false, true}; }

net::awaitable<void> serve_session(session::Services& services, net::Connection& conn, SessionMode mode) {
  if (!services.delivery || !services.mail_store) {
    std::string line = "421 4.3.0 " + services.config.hostname + " Mail delivery is not available\r\n";
    co_await conn.write(line);
    co_return;
  }
  Session session(services, conn, mode);
  co_await session.run();
}

net::awaitable<void> serve_lmtp(session::Services& services, net::Connection& conn) {
  return serve_session(services, conn, lmtp_mode());
}

Session::Session(session::Services& services, net::Connection& conn, SessionMode mode)
    : s_(services), conn_(conn), reader_(conn), mode_(mode), delivery_(*services.delivery) {
  trusted_network_ = !mode_.lmtp && ip_in_networks(conn_.remote_ip(), s_.config.trusted_networks);
}

net::awaitable<void> Session::run() {
  // Submission is useless before AUTH, so an idle client is cut off after login_timeout_seconds
  // until it has logged in; port 25 and LMTP keep RFC 5321 4.5.3.2.7's five minutes.
  const auto& limits = s_.config.limits;
  conn_.set_timeout(std::chrono::seconds(mode_.require_auth ? limits.login_timeout_seconds : limits.smtp_timeout_seconds));
  log::info("smtp.connect", {{"conn", conn_.id()}, {"service", mode_.name}, {"ip", conn_.remote_ip()}});
  // RFC 5321 4.3.1 / RFC 2033 4: the greeting is 220 with the server's name.
  reply(220, "", hostname() + (mode_.lmtp ? " kurier LMTP ready" : " kurier ESMTP ready"));
  while (!closing_) {
    if (!reader_.has_buffered() || out_.size() > kMaxPendingOutput || conn_.shutdown_requested())
      if (!co_await flush()) break;
    auto line = co_await reader_.read_command(max_line());
    if (line.status == net::LineStatus::too_long) {
      refuse(500, "5.5.2", "Line too long");
      continue;
    }
    if (line.status == net::LineStatus::timeout) {
      reply(421, "4.4.2", hostname() + " Idle timeout, closing connection");
      break;
    }
    if (!line.ok()) break;  // eof, error, or shutdown (the farewell line was written)
    // For MAIL, SMTPUTF8 is allowed when offered; for RCPT, when this transaction's MAIL had it.
    // Sender canonical: "MAIL FROM:<login>" names the account's primary address (submission.h).
    if (identity_) line.line = rewrite_login_sender(line.line, *identity_);
    auto parsed = parse_command(line.line, tx_.active ? tx_.params.smtputf8 : utf8_offered());
    if (!parsed) {
      refuse(parsed.error);
      continue;
    }
    if (co_await execute(*parsed.command) == Next::close) break;
  }
  co_await flush();
  log::info("smtp.disconnect", {{"conn", conn_.id()}, {"service", mode_.name}, {"in", conn_.bytes_in()}, {"out", conn_.bytes_out()}});
}

net::awaitable<Session::Next> Session::execute(const Command& cmd) {
  switch (cmd.verb) {
    case Verb::Lhlo:
    case Verb::Ehlo:
    case Verb::Helo: co_await cmd_greeting(cmd); break;
    case Verb::Mail: co_await cmd_mail(cmd); break;
    case Verb::Rcpt: co_await cmd_rcpt(cmd); break;
    case Verb::Data: co_await cmd_data(); break;
    case Verb::Bdat: co_await cmd_bdat(cmd); break;
    case Verb::Rset: cmd_rset(); break;
    case Verb::Noop: reply(250, "2.0.0", "OK"); break;
    case Verb::Vrfy: cmd_vrfy(); break;
    case Verb::Help: cmd_help(); break;
    case Verb::Quit:
      reply(221, "2.0.0", hostname() + " closing connection");
      co_return Next::close;
    case Verb::Expn:  // RFC 5321 3.5.2: a server may refuse EXPN; lists are private
      reply(502, "5.5.1", "EXPN not available");
      break;
    case Verb::StartTls: co_await cmd_starttls(); break;
    case Verb::Auth: co_await cmd_auth(cmd); break;
  }
  co_return closing_ ? Next::close : Next::proceed;
}

// LHLO (RFC 2033 4.1), EHLO (RFC 5321 4.1.1.1), HELO. A greeting resets the transaction.
net::awaitable<void> Session::cmd_greeting(const Command& cmd) {
  if (mode_.lmtp != (cmd.verb == Verb::Lhlo)) {
    refuse(500, "5.5.1", mode_.lmtp ? "This is LMTP: say LHLO (RFC 2033)" : "LHLO is for LMTP: say EHLO");
    co_return;
  }
  reset_transaction();
  helo_ = cmd.argument;
  greeted_ = true;
  esmtp_ = cmd.verb != Verb::Helo;
  if (!esmtp_) {
    reply(250, "", hostname());
  } else {
    reply(250, "", hostname() + "\n" + ehlo_keywords());
  }
}

// One keyword per line, each with its RFC.
std::string Session::ehlo_keywords() const {
  std::string k;
  k += "PIPELINING\n";                                                   // RFC 2920
  k += "ENHANCEDSTATUSCODES\n";                                          // RFC 2034
  k += "8BITMIME\n";                                                     // RFC 6152
  k += "SIZE " + std::to_string(s_.config.limits.max_message_size) + "\n";  // RFC 1870
  k += "CHUNKING\n";                                                     // RFC 3030
  if (!mode_.lmtp) k += "DSN\n";                                        // RFC 3461
  if (mode_.offer_starttls && !conn_.is_tls() && conn_.tls_available()) k += "STARTTLS\n";  // RFC 3207
  if (mode_.offer_auth && !authenticated_) {                             // RFC 4954
    std::string mechanisms;
    for (const auto& m : session::offered_mechanisms(s_, conn_)) mechanisms += " " + m;
    if (!mechanisms.empty()) k += "AUTH" + mechanisms + "\n";
  }
  k += "SMTPUTF8";                                                       // RFC 6531
  return k;
}

net::awaitable<void> Session::cmd_mail(const Command& cmd) {
  if (!greeted_) {
    refuse(503, "5.5.1", mode_.lmtp ? "Say LHLO first" : "Say EHLO first");
    co_return;
  }
  if (tx_.active) {
    refuse(503, "5.5.1", "Nested MAIL command");
    co_return;
  }
  if (mode_.require_auth && !authenticated_) {
    reply(530, "5.7.0", "Authentication required");
    co_return;
  }
  // RFC 1870 6.1: a declared size above the limit is refused at MAIL.
  if (cmd.mail.size && *cmd.mail.size > s_.config.limits.max_message_size) {
    reply(552, "5.3.4", "Message size exceeds fixed maximum message size");
    co_return;
  }
  if (cmd.mail.body == BodyType::BinaryMime) {  // RFC 3030 3: only when BINARYMIME is offered
    reply(555, "5.5.4", "BODY=BINARYMIME not supported");
    co_return;
  }
  std::string sender = cmd.mailbox ? cmd.mailbox->str() : "";
  if (mode_.submission && !sender_allowed(sender)) {
    reply(553, "5.7.1", "<" + sender + ">: sender address not owned by the authenticated user");
    co_return;
  }
  reset_transaction();
  tx_.active = true;
  tx_.sender = sender;
  tx_.params = cmd.mail;
  reply(250, "2.1.0", "Sender <" + tx_.sender + "> OK");
}

net::awaitable<void> Session::cmd_rcpt(const Command& cmd) {
  if (!tx_.active) {
    refuse(503, "5.5.1", "Need MAIL before RCPT");
    co_return;
  }
  if (tx_.bdat) {  // RFC 3030 2: the envelope is complete once the first chunk came
    refuse(503, "5.5.1", "RCPT not allowed after BDAT");
    co_return;
  }
  // RFC 5321 4.5.3.1.10: at least 100 must be accepted; beyond the limit, 452 and the client
  // sends the rest in another transaction.
  if (++tx_.rcpt_commands > size_t(s_.config.limits.max_recipients)) {
    reply(452, "4.5.3", "Too many recipients");
    co_return;
  }
  // RFC 5321 4.1.1.3: <postmaster> without a domain is this server's postmaster.
  std::string address = cmd.mailbox ? cmd.mailbox->str() : "postmaster@" + hostname();
  auto srs = reverse_srs(address);
  if (srs && !srs->ok()) {
    reply(550, "5.1.1", "<" + address + ">: invalid or expired SRS address");
    log::info("smtp.rcpt", {{"conn", conn_.id()}, {"rcpt", address}, {"code", 550}, {"srs", "invalid"}});
    co_return;
  }
  const std::string lookup_address = srs ? srs->address : address;  // a bounce: the original sender
  std::optional<delivery::RecipientCheck> check;
  try {
    // Captures by reference only: g++ 12 mishandles temporaries with destructors in co_await.
    auto lookup = [this, &lookup_address] { return delivery_.check_recipient(lookup_address); };
    check = co_await offload(lookup);
  } catch (const std::exception& e) {
    log::error("smtp.rcpt_failed", {{"conn", conn_.id()}, {"rcpt", address}, {"error", e.what()}});
  }
  if (!check) {
    reply(451, "4.3.0", "<" + address + ">: temporary local problem, try again later");
    co_return;
  }
  // A whole-address relay: not hosted here (the resolver says not_local; with a relay hook the
  // delivery service turns that into one external target equal to the address).
  const auto& r = check->resolution;
  // An SRS bounce is never a relay: its target is an address we forwarded mail from.
  bool remote = !srs && (r.kind == delivery::Resolution::Kind::not_local ||
                         (r.found() && r.accounts.empty() && r.external.size() == 1 && r.external.front() == r.address));
  if (remote && !cmd.mailbox) {  // <postmaster>
    check->status = delivery::RecipientStatus::permanent(
        550, "5.1.1", "<postmaster>: " + hostname() + " is not a hosted domain; use postmaster@DOMAIN");
  } else if (remote && mode_.lmtp) {
    // RFC 2033: LMTP delivers into local mailboxes; relaying is the MTA's job (and an LMTP
    // port that relayed would be an open relay for whoever reaches it).
    check->status = delivery::RecipientStatus::permanent(
        550, "5.7.1", "<" + address + ">: not a local domain, LMTP delivers only to local mailboxes");
  } else if (remote) {
    if (auto refusal = relay_refusal(address, r.relay_domain))
      check->status = refusal->code >= 500 ? delivery::RecipientStatus::permanent(refusal->code, refusal->enhanced, refusal->text)
                                           : delivery::RecipientStatus::temporary(refusal->code, refusal->enhanced, refusal->text);
  }
  // A refused recipient counts toward limits.max_bad_commands like any refused command, so a
  // dictionary attack over RCPT ends in 421 (as Postfix's smtpd_hard_error_limit). Temporary
  // refusals do not: "452 too many recipients" or a full mailbox are the client's to retry.
  if (check->status.kind == delivery::RecipientStatus::Kind::permanent)
    refuse(check->status.code, check->status.enhanced, check->status.text);
  else
    reply(check->status.code, check->status.enhanced, check->status.text);
  log::info("smtp.rcpt", {{"conn", conn_.id()}, {"rcpt", address}, {"code", check->status.code},
                          {"accounts", check->resolution.accounts.size()}});
  if (check->status.ok()) {
    // RFC 3461: NOTIFY/ORCPT stay with the recipient for the relay and the notices after DATA.
    auto& expansion = tx_.expansions[check->resolution.address];
    if (!expansion) expansion = std::make_shared<const delivery::Resolution>(std::move(check->resolution));
    tx_.recipients.push_back({address, expansion, recipient_dsn(cmd.rcpt)});
  }
}

// nullopt: not an SRS address of ours; else the reversal (ok, or why not).
std::optional<srs::ReverseResult> Session::reverse_srs(const std::string& address) const {
  if (!s_.srs || !srs::Codec::looks_like_srs(address)) return std::nullopt;
  auto r = s_.srs->reverse(address, int64_t(std::time(nullptr)));
  if (r.status == srs::ReverseResult::Status::not_srs) return std::nullopt;
  return r;
}

bool Session::relay_allowed() const { return authenticated_ || trusted_network_; }

std::optional<Reply> Session::relay_refusal(const std::string& address, bool relay_domain) const {
  // A relay domain is one we are backup MX for: its mail comes from anyone, like a local
  // domain's (Postfix relay_domains), and goes on to its transport's host.
  if (!relay_domain && !relay_allowed()) return Reply{554, "5.7.1", "<" + address + ">: Relay access denied"};
  if (!delivery_.can_relay())  // the outbound queue is not plugged in yet
    return Reply{451, "4.3.0", "<" + address + ">: relaying not available yet, try again later"};
  return std::nullopt;
}

// RFC 3207 4: "220 Ready", then the handshake; 4.2: the client's EHLO, AUTH and any
// transaction are forgotten, and plaintext it pipelined after STARTTLS is dropped (5).
net::awaitable<void> Session::cmd_starttls() {
  if (!mode_.offer_starttls || !conn_.tls_available()) {
    refuse(502, "5.5.1", "STARTTLS not available here");
    co_return;
  }
  if (conn_.is_tls()) {
    refuse(503, "5.5.1", "TLS already active");
    co_return;
  }
  if (!greeted_) {
    refuse(503, "5.5.1", "Say EHLO first");
    co_return;
  }
  reply(220, "2.0.0", "Ready to start TLS");
  // One co_await per statement: g++ 12 miscompiles co_await inside && / ||.
  bool ready = co_await flush();
  if (ready) ready = co_await reader_.start_tls();
  if (!ready) {
    log::info("smtp.tls_failed", {{"conn", conn_.id()}, {"ip", conn_.remote_ip()}});
    closing_ = true;
    co_return;
  }
  reset_transaction();
  helo_.clear();
  greeted_ = false;
  authenticated_ = false;
  identity_.reset();
}

net::awaitable<bool> Session::send_sasl_challenge(const std::string& challenge_b64) {
  reply(334, "", challenge_b64);
  co_return co_await flush();
}

net::awaitable<std::optional<std::string>> Session::read_sasl_response() {
  auto line = co_await reader_.read_line(kMaxAuthLine);
  if (line.status == net::LineStatus::too_long) co_return std::string("!");  // invalid base64: 501
  if (!line.ok()) co_return std::nullopt;
  co_return std::move(line.line);
}

// Coroutines of their own, so the challenge lives in this frame while it is sent.
static net::awaitable<bool> sasl_send(Session* s, std::string challenge) {
  co_return co_await s->send_sasl_challenge(challenge);
}
static net::awaitable<std::optional<std::string>> sasl_read(Session* s) { co_return co_await s->read_sasl_response(); }

// RFC 4954 4: AUTH mechanism [initial-response]; 334 challenges; 235 / 535 / 501 / 538.
net::awaitable<void> Session::cmd_auth(const Command& cmd) {
  if (!mode_.offer_auth) {
    refuse(502, "5.5.1", "AUTH not available here");
    co_return;
  }
  if (!greeted_ || !esmtp_) {
    refuse(503, "5.5.1", "Say EHLO first");
    co_return;
  }
  if (authenticated_) {
    refuse(503, "5.5.1", "Already authenticated");  // RFC 4954 4: no second AUTH
    co_return;
  }
  if (tx_.active) {
    refuse(503, "5.5.1", "AUTH not allowed during a mail transaction");
    co_return;
  }
  if (!auth::is_mechanism_offered(cmd.argument, true)) {
    refuse(504, "5.5.4", "Unrecognized authentication type");
    co_return;
  }
  // RFC 4954 6: a mechanism that reveals the password needs an encrypted connection.
  if (!session::plaintext_auth_allowed(s_, conn_) && !auth::is_mechanism_offered(cmd.argument, false)) {
    refuse(538, "5.7.11", "Encryption required for requested authentication mechanism");
    co_return;
  }
  session::SaslFraming framing;
  Session* self = this;
  framing.send_challenge = [self](const std::string& c) { return sasl_send(self, c); };
  framing.read_response = [self]() { return sasl_read(self); };
  framing.final_data_in_success = false;  // RFC 4954 4: SCRAM's server-final is one more 334
  auto outcome = co_await session::run_sasl(s_, conn_, cmd.argument, cmd.initial_response, directory::kSubmission, framing);
  co_await finish_auth(outcome);
}

net::awaitable<void> Session::finish_auth(const session::SaslOutcome& o) {
  using S = session::SaslOutcome;
  switch (o.status) {
    case S::Ok: break;
    case S::Failed: refuse(535, "5.7.8", "Authentication credentials invalid"); co_return;
    case S::Cancelled: refuse(501, "5.0.0", "Authentication cancelled"); co_return;
    case S::Malformed: refuse(501, "5.5.2", "Invalid base64 data"); co_return;
    case S::BadMechanism: refuse(504, "5.5.4", "Unrecognized authentication type"); co_return;
    case S::Unavailable: reply(454, "4.7.0", "Temporary authentication failure"); co_return;
    case S::Disconnected: closing_ = true; co_return;
  }
  std::optional<SenderIdentity> identity;
  try {
    directory::Account account = o.account;
    auto load = [this, &account] { return load_sender_identity(s_.directory, account); };
    identity = co_await offload(load);
  } catch (const std::exception& e) {
    log::error("smtp.identity_failed", {{"conn", conn_.id()}, {"error", e.what()}});
  }
  if (!identity) {
    reply(454, "4.7.0", "Temporary authentication failure");
    co_return;
  }
  identity_ = std::move(identity);
  authenticated_ = true;
  conn_.set_timeout(std::chrono::seconds(s_.config.limits.smtp_timeout_seconds));
  reply(235, "2.7.0", "Authentication successful");
}

// The login name was rewritten to the primary address before parsing; <> is allowed (bounces).
bool Session::sender_allowed(const std::string& sender) {
  if (sender.empty()) return true;
  return identity_ && identity_->canonical(sender).has_value();
}

void Session::cmd_rset() {
  reset_transaction();
  reply(250, "2.0.0", "Reset OK");
}

// RFC 5321 3.5.3: 252 when the server will not verify but will accept and try delivery.
void Session::cmd_vrfy() { reply(252, "2.5.0", "Cannot VRFY user, but will accept message and attempt delivery"); }

void Session::cmd_help() {
  reply(214, "2.0.0", std::string("Commands: ") + (mode_.lmtp ? "LHLO" : "EHLO HELO") +
                          " MAIL RCPT DATA BDAT RSET NOOP QUIT VRFY HELP");
}

// The parser checks each verb's own limit; this bounds what is read at all: limits.max_line_length,
// but never below what MAIL with every extension needs, and AUTH's 12288 when AUTH is offered.
size_t Session::max_line() const {
  size_t configured = std::max<size_t>(size_t(s_.config.limits.max_line_length), kMaxMailLine);
  return mode_.offer_auth ? std::max(configured, kMaxAuthLine) : configured;
}

void Session::reset_transaction() {  // an unfinished BDAT spool is discarded
  tx_ = Transaction{};
  filter_.reset();
}

void Session::reply(int code, std::string_view enhanced, std::string_view text) {
  out_ += format_reply(code, enhanced, text);
}

net::awaitable<bool> Session::flush() {
  if (out_.empty()) co_return true;
  std::string pending;
  pending.swap(out_);
  co_return co_await conn_.write(pending);
}

// A refused command counts toward limits.max_bad_commands; the one over the limit is answered
// with 421 instead, and the session ends (RFC 5321 3.8: 421 may answer any command).
void Session::refuse(int code, std::string_view enhanced, std::string_view text) {
  if (++bad_commands_ <= s_.config.limits.max_bad_commands) return reply(code, enhanced, text);
  reply(421, "4.7.0", hostname() + " Too many errors, closing connection");
  log::warn("smtp.too_many_errors", {{"conn", conn_.id()}, {"ip", conn_.remote_ip()}});
  closing_ = true;
}

}  // namespace kurier::smtp
