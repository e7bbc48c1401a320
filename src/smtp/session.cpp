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
//   (limits.max_bad_commands, then 421 and close).
// - Idle clients are cut off after limits.smtp_timeout_seconds with 421 4.4.2 (RFC 5321
//   4.5.3.2); at shutdown, an idle client gets "421 4.3.2 Server shutting down" (LineReader).
// - Next task (SMTP/submission): STARTTLS (RFC 3207: LineReader::start_tls, then forget the
//   greeting), AUTH through session::run_sasl (RFC 4954), the relay policy for non-local
//   recipients (trusted_networks / authenticated -> DeliveryService's RelayHook = the queue).
#include "smtp/session_internal.h"

#include <algorithm>
#include <chrono>

#include "common/log.h"

namespace kurier::smtp {
namespace {

constexpr size_t kMaxPendingOutput = 64 * 1024;    // pipelined replies held before a forced flush

}  // namespace

SessionMode lmtp_mode() { return SessionMode{"lmtp", true, false, false, false}; }

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
    : s_(services), conn_(conn), reader_(conn), mode_(mode), delivery_(*services.delivery) {}

net::awaitable<void> Session::run() {
  conn_.set_timeout(std::chrono::seconds(s_.config.limits.smtp_timeout_seconds));
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
    case Verb::StartTls:
      refuse(502, "5.5.1", "STARTTLS not available here");
      break;
    case Verb::Auth:
      refuse(502, "5.5.1", "AUTH not available here");
      break;
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
  if (mode_.offer_starttls && !conn_.is_tls() && conn_.tls_available()) k += "STARTTLS\n";  // RFC 3207
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
  reset_transaction();
  tx_.active = true;
  tx_.sender = cmd.mailbox ? cmd.mailbox->str() : "";
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
  std::optional<delivery::RecipientCheck> check;
  try {
    // Captures by reference only: g++ 12 mishandles temporaries with destructors in co_await.
    auto lookup = [this, &address] { return delivery_.check_recipient(address); };
    check = co_await offload(lookup);
  } catch (const std::exception& e) {
    log::error("smtp.rcpt_failed", {{"conn", conn_.id()}, {"rcpt", address}, {"error", e.what()}});
  }
  if (!check) {
    reply(451, "4.3.0", "<" + address + ">: temporary local problem, try again later");
    co_return;
  }
  if (!cmd.mailbox && check->resolution.kind == delivery::Resolution::Kind::not_local)  // <postmaster>
    check->status = delivery::RecipientStatus::permanent(
        550, "5.1.1", "<postmaster>: " + hostname() + " is not a hosted domain; use postmaster@DOMAIN");
  reply(check->status.code, check->status.enhanced, check->status.text);
  log::info("smtp.rcpt", {{"conn", conn_.id()}, {"rcpt", address}, {"code", check->status.code},
                          {"accounts", check->resolution.accounts.size()}});
  if (check->status.ok()) tx_.recipients.push_back({address, std::move(check->resolution)});
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

void Session::reset_transaction() { tx_ = Transaction{}; }  // an unfinished BDAT spool is discarded

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
