// The POP3 server session: greeting, the command loop with pipelining, dispatch by state, and
// the AUTHORIZATION state (CAPA, STLS, USER/PASS, AUTH). The TRANSACTION and UPDATE states live
// in transaction.cpp.
//
// Implementation notes — invariants anyone changing the POP3 code must keep:
// - The maildrop is the INBOX as it was at login (RFC 1939 5): numbers and sizes never change in
//   a session. New mail shows up at the next login; messages another session (IMAP) expunges
//   stay readable through an expunge hold on the store's ChangeHub until this session ends.
// - DELE only marks. The marked messages are expunged at QUIT, in one store transaction that is
//   on disk before "+OK" is sent (RFC 1939 6); a connection that ends any other way (drop,
//   timeout, shutdown, too many errors) expunges nothing (RFC 1939 6: no UPDATE state).
// - One POP3 session per account at a time: the second gets -ERR [IN-USE] (RFC 2449 8.1.1); the
//   lock (maildrop_lock.h) is released when the session ends, however it ends.
// - Passwords only through session::check_login / run_sasl (throttle, service switch "pop3",
//   logs); USER/PASS and PLAIN only where session::plaintext_auth_allowed says (RFC 2595 2.1).
// - STLS (RFC 2595 4) discards plaintext pipelined after it (LineReader::start_tls); CAPA is
//   computed anew each time, never cached across STLS or login.
// - Bodies stream: RETR and TOP send the blob (mmap'd when large) in pieces through the
//   byte-stuffer; no message is copied whole.
// - Every blocking call (directory, store, opening a blob) goes through Runtime::offload.
// - Every input is bounded: line length (limits.max_line_length), idle time
//   ([pop3] login_timeout_seconds before login, limits.pop3_timeout_seconds after, RFC 1939 3:
//   at least 10 minutes), and refused commands (limits.max_bad_commands, then -ERR and close).
// - PIPELINING (RFC 2449 6.6): answers are queued and written when no further command is
//   buffered, so a pipelined batch costs one write; their order is the order of the commands.
#include "pop3/session_internal.h"

#include <array>
#include <chrono>

#include "common/log.h"
#include "pop3/capabilities.h"
#include "pop3/session.h"

namespace kurier::pop3 {
namespace {

constexpr size_t kMaxPendingOutput = 64 * 1024;  // queued answers written before the next read

// ---- command table --------------------------------------------------------------------------------
// Which commands each state allows (RFC 1939 4 and 5, RFC 2449 5, RFC 2595 4, RFC 5034 4). A
// command not listed for the current state gets "-ERR ... not allowed now" and counts as bad.
enum Allowed : unsigned { kAuthorization = 1, kTransaction = 2, kAny = 3 };
struct CommandSpec {
  Verb verb;
  unsigned states;
  Session::Handler handler;
};
constexpr CommandSpec kCommands[] = {
    {Verb::capa, kAny, &Session::cmd_capa},
    // AUTHORIZATION (RFC 1939 4 and 7, RFC 5034 4, RFC 2595 4)
    {Verb::user, kAuthorization, &Session::cmd_user},
    {Verb::pass, kAuthorization, &Session::cmd_pass},
    {Verb::apop, kAuthorization, &Session::cmd_apop},
    {Verb::auth, kAuthorization, &Session::cmd_auth},
    {Verb::stls, kAuthorization, &Session::cmd_stls},
    {Verb::quit, kAuthorization, &Session::cmd_quit_authorization},
    // TRANSACTION (RFC 1939 5 and 7); QUIT enters the UPDATE state (RFC 1939 6)
    {Verb::stat, kTransaction, &Session::cmd_stat},
    {Verb::list, kTransaction, &Session::cmd_list},
    {Verb::uidl, kTransaction, &Session::cmd_uidl},
    {Verb::retr, kTransaction, &Session::cmd_retr},
    {Verb::top, kTransaction, &Session::cmd_top},
    {Verb::dele, kTransaction, &Session::cmd_dele},
    {Verb::rset, kTransaction, &Session::cmd_rset},
    {Verb::noop, kTransaction, &Session::cmd_noop},
    {Verb::quit, kTransaction, &Session::cmd_quit_update},
};

const CommandSpec* find_spec(Verb verb, unsigned state) {
  for (const auto& c : kCommands)
    if (c.verb == verb && (c.states & state)) return &c;
  return nullptr;
}

}  // namespace

Session::Session(session::Services& services, net::Connection& conn)
    : s_(services), conn_(conn), reader_(conn) {
  uidl_format_ = parse_uidl_format(s_.config.pop3.uidl_format).value_or(UidlFormat::dovecot);
}

size_t Session::max_line() const { return size_t(s_.config.limits.max_line_length); }

net::awaitable<bool> Session::flush() {
  if (out_.empty()) co_return conn_.is_open();
  std::string pending;
  pending.swap(out_);
  co_return co_await conn_.write(pending);
}

void Session::refuse(std::string_view text, ErrCode code) {
  ++bad_commands_;
  if (bad_commands_ < s_.config.limits.max_bad_commands) return err(text, code);
  err("Too many invalid commands, closing the connection");
  log::warn("pop3.too_many_bad_commands", {{"conn", conn_.id()}, {"ip", conn_.remote_ip()}});
  closing_ = true;
}

// ---- the loop -----------------------------------------------------------------------------------------

net::awaitable<void> Session::run() {
  conn_.set_timeout(std::chrono::seconds(s_.config.limits.login_timeout_seconds));
  log::info("pop3.connect", {{"conn", conn_.id()}, {"ip", conn_.remote_ip()}, {"tls", conn_.is_tls()}});
  ok(s_.config.hostname + " kurier POP3 ready");  // RFC 1939 4: the greeting
  while (!closing_) {
    if (!reader_.has_buffered() || out_.size() > kMaxPendingOutput || conn_.shutdown_requested())
      if (!co_await flush()) break;
    auto line = co_await reader_.read_command(max_line());
    if (line.status == net::LineStatus::too_long) {
      refuse("Command line too long");
      continue;
    }
    if (line.status == net::LineStatus::timeout) {
      // RFC 1939 3: an autologout timer expiring ends the session without the UPDATE state.
      err("Autologout; idle for too long");
      break;
    }
    if (!line.ok()) break;  // eof, error, or shutdown (the farewell line was written)
    ParseResult parsed = parse_command(line.line);
    if (!parsed) {
      refuse(parsed.error);
      continue;
    }
    co_await execute(*parsed.command);
  }
  // Released before the last answer goes out: a client that got QUIT's "+OK" may log in again
  // at once and must not find its own lock (RFC 2449 8.1.1 [IN-USE] is for concurrent sessions).
  hold_.reset();
  lock_.reset();
  co_await flush();
  log::info("pop3.disconnect", {{"conn", conn_.id()}, {"in", conn_.bytes_in()}, {"out", conn_.bytes_out()}});
}

net::awaitable<void> Session::execute(const Command& cmd) {
  unsigned state = state_ == State::authorization ? kAuthorization : kTransaction;
  const CommandSpec* spec = find_spec(cmd.verb, state);
  if (!spec) {
    std::string name(verb_name(cmd.verb));
    bool before_login = state_ == State::authorization;
    refuse(name + (before_login ? " is only allowed after login" : " is not allowed after login"));
    co_return;
  }
  try {
    co_await (this->*(spec->handler))(cmd);
  } catch (const std::exception& e) {
    log::error("pop3.command_failed", {{"conn", conn_.id()}, {"command", verb_name(cmd.verb)}, {"error", e.what()}});
    err("Internal error; try again later", ErrCode::sys_temp);
  }
}

// ---- either state -----------------------------------------------------------------------------------

// RFC 2449 5: "+OK", one capability per line, ".".
net::awaitable<void> Session::cmd_capa(const Command&) {
  CapaContext context;
  context.authenticated = state_ == State::transaction;
  context.offer_stls = !conn_.is_tls() && conn_.tls_available();
  context.plaintext_allowed = session::plaintext_auth_allowed(s_, conn_);
  context.mechanisms = session::offered_mechanisms(s_, conn_);
  ok("Capability list follows");
  for (const auto& line : capability_lines(context)) out_ += multiline_item(line);
  out_ += kEndOfMultiline;
  co_return;
}

// ---- AUTHORIZATION ------------------------------------------------------------------------------------

net::awaitable<void> Session::cmd_quit_authorization(const Command&) {
  ok(s_.config.hostname + " kurier POP3 server signing off");
  closing_ = true;
  co_return;
}

// RFC 2595 4: "+OK", then the TLS negotiation; plaintext the client pipelined after STLS is
// dropped (RFC 2595 3.1), and the client must ask for CAPA again.
net::awaitable<void> Session::cmd_stls(const Command&) {
  if (conn_.is_tls()) {
    refuse("Command not permitted when TLS active");
    co_return;
  }
  if (!conn_.tls_available()) {
    err("TLS is not available here", ErrCode::sys_perm);
    co_return;
  }
  ok("Begin TLS negotiation now");
  // One co_await per statement: g++ 12 miscompiles co_await inside && / ||.
  bool ready = co_await flush();
  if (ready) ready = co_await reader_.start_tls();
  if (!ready) {
    log::info("pop3.tls_failed", {{"conn", conn_.id()}, {"ip", conn_.remote_ip()}});
    closing_ = true;
    co_return;
  }
  user_.reset();
}

// RFC 1939 7 USER: remembered for the PASS that must follow.
net::awaitable<void> Session::cmd_user(const Command& cmd) {
  if (!session::plaintext_auth_allowed(s_, conn_)) {
    refuse("Plaintext authentication disallowed on non-secure connections; use STLS", ErrCode::auth);
    co_return;
  }
  user_ = cmd.text;
  ok("Send your password");
  co_return;
}

net::awaitable<void> Session::cmd_pass(const Command& cmd) {
  if (!user_) {
    refuse("Send USER first");
    co_return;
  }
  std::string user = *user_;
  user_.reset();  // RFC 1939 7: after a failed PASS the client starts again with USER
  if (!session::plaintext_auth_allowed(s_, conn_)) {
    refuse("Plaintext authentication disallowed on non-secure connections; use STLS", ErrCode::auth);
    co_return;
  }
  session::SaslOutcome outcome = co_await session::check_login(s_, conn_, user, cmd.text, directory::kPop3);
  co_await finish_login(std::move(outcome));
}

net::awaitable<void> Session::cmd_apop(const Command&) {
  // RFC 1939 7: APOP needs a timestamp in the greeting and a shared plaintext secret; kurier
  // stores no such secret, so the greeting has no timestamp and APOP is refused.
  refuse("APOP is not supported; use USER/PASS or AUTH");
  co_return;
}

net::awaitable<bool> Session::send_sasl_challenge(std::string challenge_b64) {
  out_ += "+ " + challenge_b64 + "\r\n";  // RFC 5034 4: continuation "+" SP base64
  bool sent = co_await flush();
  co_return sent;
}

net::awaitable<std::optional<std::string>> Session::read_sasl_response() {
  auto line = co_await reader_.read_line(max_line());
  if (line.status == net::LineStatus::too_long) co_return std::string("!");  // not base64: Malformed
  if (!line.ok()) co_return std::nullopt;
  co_return std::move(line.line);
}

// RFC 5034 4. A bare AUTH lists the mechanisms, as Cyrus and Dovecot answer old clients.
net::awaitable<void> Session::cmd_auth(const Command& cmd) {
  if (cmd.text.empty()) {
    ok("Supported mechanisms follow");
    for (const auto& mech : session::offered_mechanisms(s_, conn_)) out_ += multiline_item(mech);
    out_ += kEndOfMultiline;
    co_return;
  }
  session::SaslFraming framing;
  framing.send_challenge = [this](const std::string& c) { return send_sasl_challenge(c); };
  framing.read_response = [this]() { return read_sasl_response(); };
  // RFC 5034 4: server-final data (SCRAM) goes in one more "+" continuation, which the client
  // answers with an empty line, before "+OK".
  framing.final_data_in_success = false;
  session::SaslOutcome outcome =
      co_await session::run_sasl(s_, conn_, cmd.text, cmd.initial_response, directory::kPop3, framing);
  co_await finish_login(std::move(outcome));
}

net::awaitable<void> Session::finish_login(session::SaslOutcome o) {
  using S = session::SaslOutcome;
  switch (o.status) {
    case S::Ok: break;
    case S::Failed: refuse("Authentication failed", ErrCode::auth); co_return;
    case S::Cancelled: err("Authentication cancelled"); co_return;
    case S::BadMechanism:
      refuse(session::plaintext_auth_allowed(s_, conn_) ? "Unsupported authentication mechanism"
                                                        : "Unsupported mechanism, or plaintext authentication "
                                                          "disallowed on non-secure connections; use STLS");
      co_return;
    case S::Malformed: refuse("Invalid base64 in the SASL response"); co_return;
    case S::Unavailable: err("Authentication is temporarily unavailable", ErrCode::sys_temp); co_return;
    case S::Disconnected: closing_ = true; co_return;
  }
  bool opened = co_await open_maildrop(o.account);
  if (!opened) co_return;
  state_ = State::transaction;
  conn_.set_timeout(std::chrono::seconds(s_.config.limits.pop3_timeout_seconds));
  ok(account_.login + "'s maildrop has " + std::to_string(maildrop_.visible_count()) + " messages (" +
     std::to_string(maildrop_.visible_octets()) + " octets)");
}

net::awaitable<void> serve_session(session::Services& services, net::Connection& conn) {
  if (!services.mail_store || !services.blob_store || !services.change_hub) {
    co_await conn.write("-ERR [SYS/TEMP] kurier: the mail store is not available\r\n");
    co_return;
  }
  Session session(services, conn);
  co_await session.run();
}

}  // namespace kurier::pop3
