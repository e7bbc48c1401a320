// Leaving the not-authenticated state (RFC 9051 6.2): STARTTLS (6.2.1, buffered plaintext is
// discarded), LOGIN (6.2.3, refused without TLS unless allowed: PRIVACYREQUIRED) and
// AUTHENTICATE (6.2.2, SASL-IR RFC 4959) through the shared SASL driver
// (session/sasl_exchange.h). A first login creates the account's default mailboxes.
#include "imap/session_internal.h"

#include "session/sasl_exchange.h"

namespace kurier::imap {

net::awaitable<Reply> Session::cmd_starttls(Command& cmd) {
  if (conn_.is_tls()) co_return Reply::bad("TLS is already active");
  if (!conn_.tls_available()) co_return Reply::no("TLS is not available");
  out_ += cmd.tag + " OK Begin TLS negotiation now\r\n";
  // One co_await per statement: g++ 12 miscompiles co_await inside && / ||.
  bool ready = co_await flush();
  if (ready) ready = co_await reader_.start_tls();
  if (!ready) {
    close_now_ = true;
    co_return Reply::no("TLS negotiation failed");
  }
  co_return Reply{"", ""};  // the tagged reply went out before the handshake
}

namespace {

Reply login_reply(const session::SaslOutcome& o, const std::string& caps) {
  using S = session::SaslOutcome;
  switch (o.status) {
    case S::Ok: return Reply::ok("[CAPABILITY " + caps + "] Logged in");
    case S::Failed: return Reply::no("[AUTHENTICATIONFAILED] Authentication failed");
    case S::Cancelled: return Reply::bad("Authentication cancelled");
    case S::BadMechanism: return Reply::no("[CANNOT] Unsupported authentication mechanism");
    case S::Malformed: return Reply::bad("Invalid base64 in the SASL response");
    case S::Unavailable: return Reply::no("[UNAVAILABLE] Authentication is temporarily unavailable");
    case S::Disconnected: return Reply::no("Disconnected");
  }
  return Reply::no("Authentication failed");
}

}  // namespace

static net::awaitable<Reply> finish_login(Session& s, const session::SaslOutcome& o) {
  if (o.status == session::SaslOutcome::Disconnected) {
    s.close_now_ = true;
    co_return Reply::no("Disconnected");
  }
  if (o.status != session::SaslOutcome::Ok) co_return login_reply(o, "");
  s.account_ = o.account;
  s.state_ = State::authenticated;
  s.conn_.set_timeout(std::chrono::seconds(s.s_.config.limits.imap_idle_timeout_seconds));
  store::AccountId id = s.account_id();
  // First login: the account gets INBOX, Drafts, Sent, Trash, Junk and Archive (RFC 6154).
  co_await s.offload([&] {
    if (s.store().list_mailboxes(id).empty()) s.store().create_default_mailboxes(id);
  });
  co_return login_reply(o, capability_list(s));
}

net::awaitable<Reply> Session::cmd_login(Command& cmd) {
  if (!session::plaintext_auth_allowed(s_, conn_))
    co_return Reply::no("[PRIVACYREQUIRED] LOGIN is disabled without TLS; use STARTTLS");
  const auto& a = cmd.as<LoginArgs>();
  auto outcome = co_await session::check_login(s_, conn_, a.user, a.password, directory::kImap);
  co_return co_await finish_login(*this, outcome);
}

static net::awaitable<bool> send_challenge(Session* s, std::string challenge) {
  s->raw("+ " + challenge + "\r\n");
  co_return co_await s->flush();
}

static net::awaitable<std::optional<std::string>> read_sasl_response(Session* s) {
  auto line = co_await s->reader_.read_line(command_line_limit(s->s_.config));
  if (line.status == net::LineStatus::too_long) co_return std::string("!");  // invalid base64
  if (!line.ok()) co_return std::nullopt;
  co_return std::move(line.line);
}

net::awaitable<Reply> Session::cmd_authenticate(Command& cmd) {
  const auto& a = cmd.as<AuthenticateArgs>();
  session::SaslFraming framing;
  Session* self = this;
  framing.send_challenge = [self](const std::string& c) { return send_challenge(self, c); };
  framing.read_response = [self]() { return read_sasl_response(self); };
  // RFC 9051 6.2.2: server-final SASL data (SCRAM) is sent as one more "+" continuation and
  // the client answers with an empty line before the tagged OK.
  framing.final_data_in_success = false;
  auto outcome = co_await session::run_sasl(s_, conn_, a.mechanism, a.initial_response, directory::kImap, framing);
  co_return co_await finish_login(*this, outcome);
}

}  // namespace kurier::imap
