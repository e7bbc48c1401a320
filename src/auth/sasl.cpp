// The Mechanism base class, the factory, and the two password-revealing mechanisms:
// PLAIN (RFC 4616) and LOGIN (draft-murchison-sasl-login-00). SCRAM is in sasl_scram.cpp.
#include "auth/sasl.h"

#include <array>

#include "auth/saslprep.h"
#include "common/strings.h"

namespace kurier::auth {

Step Mechanism::start() { return done_ ? fail("exchange already finished") : on_start(); }

Step Mechanism::step(std::string_view client_data) {
  if (done_) return fail("exchange already finished");
  if (client_data.size() > kMaxSaslMessage) return fail("client message too long");
  return on_step(client_data);
}

Step Mechanism::finish(bool password_ok) {
  return done_ ? fail("exchange already finished") : on_finish(password_ok);
}

Step Mechanism::provide_secret(std::optional<ScramSecret> secret) {
  return done_ ? fail("exchange already finished") : on_secret(std::move(secret));
}

Step Mechanism::on_finish(bool) {
  return fail("finish() called when no password check was pending");
}

Step Mechanism::on_secret(std::optional<ScramSecret>) {
  return fail("provide_secret() called when no SCRAM secret was requested");
}

Step Mechanism::succeed(std::optional<std::string> final_data, std::string authcid,
                        std::string authzid) {
  done_ = true;
  return Success{std::move(final_data), std::move(authcid), std::move(authzid)};
}

Step Mechanism::fail(std::string reason) {
  done_ = true;
  return Failure{std::move(reason), authcid_};
}

namespace {

// Identities and passwords pass through (minimal) SASLprep: valid UTF-8, no control characters.
std::optional<std::string> prepare_field(std::string_view value, size_t max_size) {
  if (value.size() > max_size) return std::nullopt;
  return saslprep(value);
}

// RFC 4616 section 2:  message = [authzid] UTF8NUL authcid UTF8NUL passwd
class PlainMechanism final : public Mechanism {
 public:
  std::string_view name() const override { return "PLAIN"; }

  // RFC 4616 section 2: the client sends the message in one go; if it had no initial response
  // the server first sends an empty challenge.
  Step on_start() override {
    if (state_ != State::kAwaitingMessage || started_) return fail("start() called twice");
    started_ = true;
    return Challenge{};
  }

  Step on_step(std::string_view message) override {
    if (state_ != State::kAwaitingMessage) return fail("unexpected client data");
    size_t first_nul = message.find('\0');
    size_t second_nul = first_nul == std::string_view::npos ? first_nul
                                                            : message.find('\0', first_nul + 1);
    if (second_nul == std::string_view::npos) return fail("PLAIN message lacks two NULs");
    auto authzid = prepare_field(message.substr(0, first_nul), kMaxSaslIdentity);
    auto authcid = prepare_field(message.substr(first_nul + 1, second_nul - first_nul - 1),
                                 kMaxSaslIdentity);
    // A third NUL lands in the password, where saslprep() rejects it as a control character.
    auto password = prepare_field(message.substr(second_nul + 1), kMaxSaslPassword);
    if (!authzid || !authcid || !password) return fail("PLAIN field malformed or too long");
    if (authcid->empty() || password->empty()) return fail("PLAIN authcid or password empty");
    authcid_ = *authcid;
    state_ = State::kAwaitingVerdict;
    authzid_ = *authzid == *authcid ? "" : *authzid;  // acting as oneself is no authorisation
    return VerifyPassword{*authcid, authzid_, std::move(*password)};
  }

  Step on_finish(bool password_ok) override {
    if (state_ != State::kAwaitingVerdict) return Mechanism::on_finish(password_ok);
    state_ = State::kDone;
    if (!password_ok) return fail("wrong password");
    return succeed(std::nullopt, authcid_, authzid_);
  }

 private:
  enum class State { kAwaitingMessage, kAwaitingVerdict, kDone };
  State state_ = State::kAwaitingMessage;
  bool started_ = false;
  std::string authzid_;
};

// LOGIN (draft-murchison-sasl-login-00): two challenges, "Username:" then "Password:". RFC 4954
// lets SMTP clients send the user name as initial response, so step() accepts it without start().
class LoginMechanism final : public Mechanism {
 public:
  std::string_view name() const override { return "LOGIN"; }

  Step on_start() override {
    if (state_ != State::kAwaitingUsername || started_) return fail("start() called twice");
    started_ = true;
    return Challenge{"Username:"};
  }

  Step on_step(std::string_view client_data) override {
    switch (state_) {
      case State::kAwaitingUsername: return take_username(client_data);
      case State::kAwaitingPassword: return take_password(client_data);
      default: return fail("unexpected client data");
    }
  }

  Step on_finish(bool password_ok) override {
    if (state_ != State::kAwaitingVerdict) return Mechanism::on_finish(password_ok);
    state_ = State::kDone;
    if (!password_ok) return fail("wrong password");
    return succeed(std::nullopt, authcid_, "");
  }

 private:
  enum class State { kAwaitingUsername, kAwaitingPassword, kAwaitingVerdict, kDone };

  Step take_username(std::string_view data) {
    auto username = prepare_field(data, kMaxSaslIdentity);
    if (!username || username->empty()) return fail("LOGIN user name empty or malformed");
    authcid_ = std::move(*username);
    state_ = State::kAwaitingPassword;
    return Challenge{"Password:"};
  }

  Step take_password(std::string_view data) {
    auto password = prepare_field(data, kMaxSaslPassword);
    if (!password || password->empty()) return fail("LOGIN password empty or malformed");
    state_ = State::kAwaitingVerdict;
    return VerifyPassword{authcid_, "", std::move(*password)};
  }

  State state_ = State::kAwaitingUsername;
  bool started_ = false;
};

// Strongest first; PLAIN before LOGIN because LOGIN is only for old clients.
constexpr std::array<std::string_view, 3> kAllMechanisms = {"SCRAM-SHA-256", "PLAIN", "LOGIN"};

bool reveals_password(std::string_view name) {
  return iequals(name, "PLAIN") || iequals(name, "LOGIN");
}

}  // namespace

std::unique_ptr<Mechanism> make_plain_mechanism() { return std::make_unique<PlainMechanism>(); }
std::unique_ptr<Mechanism> make_login_mechanism() { return std::make_unique<LoginMechanism>(); }

std::unique_ptr<Mechanism> make_mechanism(std::string_view name, const SaslConfig& config) {
  if (iequals(name, "PLAIN")) return make_plain_mechanism();
  if (iequals(name, "LOGIN")) return make_login_mechanism();
  if (iequals(name, "SCRAM-SHA-256")) return make_scram_sha256_mechanism(config);
  return nullptr;
}

std::vector<std::string> mechanism_names(bool tls_or_loopback) {
  std::vector<std::string> names;
  for (auto name : kAllMechanisms)
    if (tls_or_loopback || !reveals_password(name)) names.emplace_back(name);
  return names;
}

bool is_mechanism_offered(std::string_view name, bool tls_or_loopback) {
  for (const auto& offered : mechanism_names(tls_or_loopback))
    if (iequals(offered, name)) return true;
  return false;
}

}  // namespace kurier::auth
