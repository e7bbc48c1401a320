#include "session/sasl_exchange.h"

#include "net/asio.h"  // first: it sets Boost.Asio's compile options

#include "accounts/authenticator.h"
#include "auth/sasl.h"
#include "common/base64.h"
#include "common/log.h"
#include "net/connection.h"
#include "net/runtime.h"

namespace kurier::session {
namespace {

using accounts::LoginResult;

net::awaitable<void> pause(std::chrono::milliseconds delay) {
  if (delay.count() <= 0) co_return;
  boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor, delay);
  boost::system::error_code ec;
  co_await timer.async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ec));
}

// Waits for this attempt's turn before a password is checked: with failures owed, attempts from
// one address or on one account are spaced out even across parallel connections, and a right
// guess is answered no sooner than a wrong one would be.
net::awaitable<void> attempt_pause(Services& s, const net::Connection& conn, std::string login) {
  auto delay = s.authenticator.attempt_wait(conn.remote_ip(), login);
  co_await pause(delay);
}

// Holds a failure answer back for as long as the throttle says (per client IP and login), so
// password guessing gets slower with every miss while honest clients see no delay.
net::awaitable<void> failure_pause(Services& s, const net::Connection& conn, std::string login) {
  auto delay = s.authenticator.failure_delay(conn.remote_ip(), login);
  co_await pause(delay);
}

// Sends one challenge and reads the client's answer (the raw response line); nullopt when the
// connection is gone.
// Keep the named locals and the by-value parameter: the one-line form (a string_view parameter,
// base64_encode() inside the co_await, `co_return co_await`) built with g++ 12 crashed the server
// at the first AUTHENTICATE.
net::awaitable<std::optional<std::string>> challenge(const SaslFraming& framing, std::string data) {
  std::string encoded = base64_encode(data);
  bool sent = co_await framing.send_challenge(encoded);
  if (!sent) co_return std::nullopt;
  std::optional<std::string> line = co_await framing.read_response();
  co_return line;
}

SaslOutcome outcome_of(const LoginResult& r, const std::string& authcid) {
  SaslOutcome o;
  o.authcid = authcid;
  switch (r.status) {
    case LoginResult::Ok:
      o.status = SaslOutcome::Ok;
      o.account = r.account;
      break;
    case LoginResult::Unavailable: o.status = SaslOutcome::Unavailable; break;
    default: o.status = SaslOutcome::Failed; break;
  }
  return o;
}

void log_outcome(const net::Connection& conn, const std::string& mech, const SaslOutcome& o, const std::string& reason) {
  if (o.status == SaslOutcome::Ok)
    log::info("auth.ok", {{"conn", conn.id()}, {"ip", conn.remote_ip()}, {"user", o.account.login}, {"mech", mech}});
  else
    log::info("auth.fail", {{"conn", conn.id()}, {"ip", conn.remote_ip()}, {"user", o.authcid}, {"mech", mech},
                            {"reason", reason}});
}

// An authzid other than the authcid would mean acting as another user (RFC 4422 §3.4.1): no one may.
bool authzid_allowed(const std::string& authcid, const std::string& authzid) {
  return authzid.empty() || authzid == authcid;
}

}  // namespace

bool plaintext_auth_allowed(const Services& s, const net::Connection& conn) {
  return conn.is_tls() || conn.is_local() || (conn.is_loopback() && s.config.auth.allow_plaintext_on_loopback);
}

std::vector<std::string> offered_mechanisms(const Services& s, const net::Connection& conn) {
  return auth::mechanism_names(plaintext_auth_allowed(s, conn));
}

net::awaitable<SaslOutcome> check_login(Services& s, net::Connection& conn, const std::string& user,
                                        const std::string& password, directory::Service service) {
  std::string ip = conn.remote_ip();
  co_await attempt_pause(s, conn, user);
  auto r = co_await s.runtime.offload([&] { return s.authenticator.check_password(user, password, service, ip); },
                                      net::Pool::login);
  SaslOutcome o = outcome_of(r, user);
  log_outcome(conn, "LOGIN", o, r.reason);
  if (o.status == SaslOutcome::Failed) co_await failure_pause(s, conn, user);
  co_return o;
}

net::awaitable<SaslOutcome> run_sasl(Services& s, net::Connection& conn, const std::string& mechanism,
                                     std::optional<std::string> initial_response, directory::Service service,
                                     SaslFraming& framing) {
  SaslOutcome out;
  if (!auth::is_mechanism_offered(mechanism, plaintext_auth_allowed(s, conn))) {
    out.status = SaslOutcome::BadMechanism;
    co_return out;
  }
  auto mech = auth::make_mechanism(mechanism);
  if (!mech) {
    out.status = SaslOutcome::BadMechanism;
    co_return out;
  }
  auto decode = [](const std::string& b64) -> std::optional<std::string> {
    if (b64 == "=") return std::string();  // RFC 4959 §3 / RFC 4954 §4: "=" is an empty response
    return base64_decode(b64);
  };

  auth::Step step;
  if (initial_response) {
    auto data = decode(*initial_response);
    if (!data) {
      out.status = SaslOutcome::Malformed;
      co_return out;
    }
    step = mech->step(*data);
  } else {
    step = mech->start();
  }

  std::string ip = conn.remote_ip();
  std::string reason;
  std::optional<std::string> scram_user;
  for (;;) {
    if (auto* c = std::get_if<auth::Challenge>(&step)) {
      auto line = co_await challenge(framing, c->data);
      if (!line) {
        out.status = SaslOutcome::Disconnected;
        co_return out;
      }
      if (*line == "*") {
        out.status = SaslOutcome::Cancelled;
        co_return out;
      }
      auto data = decode(*line);
      if (!data) {
        out.status = SaslOutcome::Malformed;
        co_return out;
      }
      step = mech->step(*data);
    } else if (auto* v = std::get_if<auth::VerifyPassword>(&step)) {
      if (!authzid_allowed(v->authcid, v->authzid)) {
        if (!framing.admins_may_act_for_users) {
          reason = "authzid not permitted";
          step = mech->finish(false);
          continue;
        }
        co_await attempt_pause(s, conn, v->authcid);
        auto r = co_await s.runtime.offload(
            [&] { return s.authenticator.check_admin_for_user(v->authcid, v->password, v->authzid, service, ip); },
            net::Pool::login);
        out = outcome_of(r, v->authcid);
        reason = r.reason;
        if (out.status == SaslOutcome::Unavailable) break;
        step = mech->finish(out.status == SaslOutcome::Ok);
        continue;
      }
      co_await attempt_pause(s, conn, v->authcid);
      auto r = co_await s.runtime.offload(
          [&] { return s.authenticator.check_password(v->authcid, v->password, service, ip); }, net::Pool::login);
      out = outcome_of(r, v->authcid);
      reason = r.reason;
      if (out.status == SaslOutcome::Unavailable) break;
      step = mech->finish(out.status == SaslOutcome::Ok);
    } else if (auto* n = std::get_if<auth::NeedScramSecret>(&step)) {
      scram_user = n->authcid;
      std::string user = n->authcid;
      co_await attempt_pause(s, conn, user);
      auto secret =
          co_await s.runtime.offload([&] { return s.authenticator.scram_secret(user, service); }, net::Pool::login);
      step = mech->provide_secret(secret);
    } else if (auto* ok = std::get_if<auth::Success>(&step)) {
      if (scram_user) {
        if (!authzid_allowed(ok->authcid, ok->authzid)) {
          out.status = SaslOutcome::Failed;
          reason = "authzid not permitted";
          break;
        }
        std::string user = *scram_user;
        auto r = co_await s.runtime.offload([&] { return s.authenticator.finish_scram(user, true, service, ip); },
                                            net::Pool::login);
        out = outcome_of(r, user);
        reason = r.reason;
      }
      if (out.status == SaslOutcome::Ok && ok->final_data) {
        if (framing.final_data_in_success) {
          out.final_data = base64_encode(*ok->final_data);
        } else {
          // RFC 4954 §4: send the additional data as a challenge; the client answers empty.
          auto line = co_await challenge(framing, *ok->final_data);
          if (!line) {
            out.status = SaslOutcome::Disconnected;
            co_return out;
          }
          if (*line == "*") out.status = SaslOutcome::Cancelled;
        }
      }
      break;
    } else {
      auto& f = std::get<auth::Failure>(step);
      if (scram_user)
        co_await s.runtime.offload([&] { s.authenticator.finish_scram(*scram_user, false, service, ip); },
                                   net::Pool::login);
      out.status = SaslOutcome::Failed;
      out.authcid = f.authcid;
      if (reason.empty()) reason = f.reason;
      break;
    }
  }
  log_outcome(conn, mechanism, out, reason);
  if (out.status == SaslOutcome::Failed) co_await failure_pause(s, conn, out.authcid);
  co_return out;
}

}  // namespace kurier::session
