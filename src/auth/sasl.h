// Server side of the SASL mechanisms (RFC 4422) that kurier offers: PLAIN (RFC 4616), LOGIN
// (draft-murchison-sasl-login) and SCRAM-SHA-256 (RFC 5802, RFC 7677).
//
// Mechanisms are pure state machines over raw bytes: the protocol (IMAP AUTHENTICATE, SMTP AUTH,
// POP3 AUTH, ManageSieve AUTHENTICATE) does its own base64 framing and cancellation ("*"), and
// does the credential look-ups between steps, e.g. from a coroutine:
//
//   auto mech = make_mechanism(name);              // after checking is_mechanism_offered()
//   Step s = initial_response ? mech->step(*initial_response) : mech->start();
//   for (;;) {
//     if (auto* c = std::get_if<Challenge>(&s))  s = mech->step(co_await read_response(c->data));
//     else if (auto* v = std::get_if<VerifyPassword>(&s))
//       s = mech->finish(co_await check_password(v->authcid, v->password));
//     else if (auto* n = std::get_if<NeedScramSecret>(&s))
//       s = mech->provide_secret(co_await lookup_scram_secret(n->authcid));
//     else break;                                    // Success or Failure
//   }
//
// Implementation notes for callers:
// - Success.authzid may be non-empty (a client asking to act as someone else): the caller must
//   authorise it, or refuse it, RFC 4422 section 3.4.1. Mechanisms do not. An authzid equal to
//   the authcid is reported as empty.
// - Failure.reason is for the log only; tell the client nothing more than "authentication
//   failed", so that unknown users and wrong passwords look alike (RFC 5802 section 7 allows
//   "other-error" for the same reason).
// - Success.final_data is SCRAM's server-final message ("v=..."). A protocol that cannot carry
//   data with its success reply (SMTP, RFC 4954 section 4) sends it as one more challenge, expects
//   an empty response, then reports success (RFC 4422 section 4, protocol requirements).
// - PLAIN and LOGIN reveal the password: offer them only over TLS or loopback
//   (RFC 4616 section 3); is_mechanism_offered() encodes that rule.
#pragma once
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "auth/scram.h"

namespace kurier::auth {

inline constexpr size_t kMaxSaslMessage = 8192;     // longest client message we accept
inline constexpr size_t kMaxSaslIdentity = 1024;    // RFC 4616 section 2: at least 255 octets
inline constexpr size_t kMaxSaslPassword = 1024;

struct Challenge {
  std::string data;  // raw bytes; the protocol base64-encodes them
};
// PLAIN/LOGIN: check the password, then call Mechanism::finish(ok).
struct VerifyPassword {
  std::string authcid, authzid, password;
};
// SCRAM: look up the account's secret, then call Mechanism::provide_secret(secret or nullopt).
struct NeedScramSecret {
  std::string authcid, authzid;
};
struct Success {
  std::optional<std::string> final_data;
  std::string authcid, authzid;
};
struct Failure {
  std::string reason;   // for the log, never for the client
  std::string authcid;  // the user name, when the exchange got far enough to know it
};
using Step = std::variant<Challenge, VerifyPassword, NeedScramSecret, Success, Failure>;

struct SaslConfig {
  // Key for the fake salts SCRAM shows for unknown users. Keep it stable (e.g. from the config
  // file) so an unknown user's salt does not change across restarts; empty means a random key
  // made once per process.
  std::string scram_fake_salt_key;
  uint32_t scram_fake_iterations = kScramDefaultIterations;
  // Makes SCRAM's server nonce; empty means 24 base64 characters from 18 random bytes.
  // Tests set it to replay a known exchange.
  std::function<std::string()> server_nonce;
};

class Mechanism {
 public:
  virtual ~Mechanism() = default;
  virtual std::string_view name() const = 0;
  // First step when the client sent no initial response. With an initial response, call step()
  // directly instead.
  Step start();
  // Client data longer than kMaxSaslMessage fails the exchange.
  Step step(std::string_view client_data);
  // Verdict on a VerifyPassword step.
  Step finish(bool password_ok);
  // Answer to a NeedScramSecret step; std::nullopt for an unknown user.
  Step provide_secret(std::optional<ScramSecret> secret);
  // True once Success or Failure has been returned; every later call returns Failure.
  bool done() const { return done_; }

 protected:
  // Each is called only while !done(); the defaults reject the call as out of sequence.
  virtual Step on_start() = 0;
  virtual Step on_step(std::string_view client_data) = 0;
  virtual Step on_finish(bool password_ok);
  virtual Step on_secret(std::optional<ScramSecret> secret);

  Step succeed(std::optional<std::string> final_data, std::string authcid, std::string authzid);
  Step fail(std::string reason);
  std::string authcid_;  // known user name, reported with failures

 private:
  bool done_ = false;
};

// nullptr for a name we do not implement (names compare case-insensitively, RFC 4422 3.1).
std::unique_ptr<Mechanism> make_mechanism(std::string_view name, const SaslConfig& config = {});
// Mechanisms to advertise, strongest first. PLAIN and LOGIN only with TLS or on loopback.
std::vector<std::string> mechanism_names(bool tls_or_loopback);
bool is_mechanism_offered(std::string_view name, bool tls_or_loopback);

std::unique_ptr<Mechanism> make_plain_mechanism();
std::unique_ptr<Mechanism> make_login_mechanism();
std::unique_ptr<Mechanism> make_scram_sha256_mechanism(const SaslConfig& config = {});

}  // namespace kurier::auth
