// SCRAM-SHA-256 server mechanism (RFC 5802 sections 3, 5 and 7; RFC 7677).
//
//   C: n,,n=user,r=<client nonce>                              client-first-message
//   S: r=<client nonce><server nonce>,s=<salt>,i=<iterations>  server-first-message
//   C: c=biws,r=<nonce>,p=<ClientProof>                        client-final-message
//   S: v=<ServerSignature>                                     server-final-message
//
// Notes:
// - Channel binding (SCRAM-SHA-256-PLUS, tls-server-end-point or tls-exporter) is NOT supported:
//   we never advertise -PLUS, so "n" and "y" are accepted and "p=" fails (RFC 5802 section 6).
// - Unknown users get a server-first message with a salt derived from the user name by HMAC with
//   a server key, and the default iteration count, so that the reply does not show whether the
//   account exists (RFC 5802 section 7: "the server may substitute the real reason with
//   other-error" to prevent information disclosure). The exchange then fails at client-final.
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <stdexcept>

#include "auth/sasl.h"
#include "auth/saslprep.h"
#include "common/base64.h"
#include "common/strings.h"

namespace kurier::auth {
namespace {

constexpr size_t kMaxNonceLength = 256;
constexpr size_t kServerNonceBytes = 18;  // 24 base64 characters

std::string random_bytes(size_t count) {
  std::string out(count, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), int(count)) != 1)
    throw std::runtime_error("RAND_bytes failed");
  return out;
}

// Used when SaslConfig has no fake-salt key: one random key for the life of the process.
const std::string& process_fake_salt_key() {
  static const std::string key = random_bytes(32);
  return key;
}

// RFC 5802 section 7:  printable = %x21-2B / %x2D-7E  (printable ASCII except ",")
bool is_valid_nonce(std::string_view nonce) {
  if (nonce.empty() || nonce.size() > kMaxNonceLength) return false;
  for (char c : nonce)
    if (c < 0x21 || c > 0x7E || c == ',') return false;
  return true;
}

// RFC 5802 section 5.1: in a saslname "," is sent as "=2C" and "=" as "=3D"; any other "=" is
// an error. The decoded name then goes through SASLprep.
std::optional<std::string> decode_saslname(std::string_view encoded) {
  std::string name;
  for (size_t i = 0; i < encoded.size(); ++i) {
    if (encoded[i] != '=') {
      name.push_back(encoded[i]);
      continue;
    }
    std::string_view escape = encoded.substr(i, 3);
    if (escape == "=2C") name.push_back(',');
    else if (escape == "=3D") name.push_back('=');
    else return std::nullopt;
    i += 2;
  }
  if (name.empty() || name.size() > kMaxSaslIdentity) return std::nullopt;
  return saslprep(name);
}

// RFC 5802 section 7:  attr-val = ALPHA "=" value. Returns the value if attr matches.
std::optional<std::string_view> attribute(std::string_view field, char name) {
  if (field.size() < 2 || field[0] != name || field[1] != '=') return std::nullopt;
  return field.substr(2);
}

bool is_extension(std::string_view field) {
  char c = field.empty() ? '\0' : field[0];
  bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
  return alpha && field.size() >= 2 && field[1] == '=';
}

// Everything in fields from index `from` must be an attr-val extension; they are ignored.
bool only_extensions_from(const std::vector<std::string_view>& fields, size_t from) {
  for (size_t i = from; i < fields.size(); ++i)
    if (!is_extension(fields[i])) return false;
  return true;
}

// Records why a message was refused and yields the empty result, for one-line rejections.
std::nullopt_t reject(std::string& error, std::string_view reason) {
  error = reason;
  return std::nullopt;
}

struct ClientFirst {
  std::string gs2_header;  // "n,," / "y,,a=bob," as sent, echoed back in c=
  std::string bare;        // client-first-message-bare, part of AuthMessage
  std::string authcid, authzid, client_nonce;
};

struct ClientFinal {
  std::string without_proof;  // client-final-message-without-proof, part of AuthMessage
  std::string channel_binding;
  std::string nonce;
  std::string proof;
};

// gs2-header = gs2-cbind-flag "," [ authzid ] ","   (RFC 5802 section 7)
// Fills out.gs2_header and out.authzid; returns the rest of the message (the bare part).
std::optional<std::string_view> parse_gs2_header(std::string_view message, ClientFirst& out,
                                                 std::string& error) {
  size_t first_comma = message.find(',');
  size_t second_comma = first_comma == std::string_view::npos
                            ? first_comma : message.find(',', first_comma + 1);
  if (second_comma == std::string_view::npos) return reject(error, "malformed GS2 header");
  std::string_view flag = message.substr(0, first_comma);
  std::string_view authzid_field = message.substr(first_comma + 1, second_comma - first_comma - 1);
  if (flag.starts_with("p="))  // RFC 5802 section 6: we do not support channel binding
    return reject(error, "client requires channel binding, which we do not support");
  if (flag != "n" && flag != "y") return reject(error, "malformed channel binding flag");
  if (!authzid_field.empty()) {
    auto encoded = attribute(authzid_field, 'a');
    auto authzid = encoded ? decode_saslname(*encoded) : std::nullopt;
    if (!authzid) return reject(error, "malformed authzid");
    out.authzid = std::move(*authzid);
  }
  out.gs2_header = std::string(message.substr(0, second_comma + 1));
  return message.substr(second_comma + 1);
}

// client-first-message = gs2-header client-first-message-bare
// client-first-message-bare = [reserved-mext ","] username "," nonce ["," extensions]
std::optional<ClientFirst> parse_client_first(std::string_view message, std::string& error) {
  ClientFirst out;
  auto bare = parse_gs2_header(message, out, error);
  if (!bare) return std::nullopt;
  out.bare = std::string(*bare);
  auto fields = split(out.bare, ',');
  if (!fields.empty() && attribute(fields[0], 'm'))  // RFC 5802 section 5.1, "m"
    return reject(error, "mandatory extension not supported");
  if (fields.size() < 2) return reject(error, "client-first-message lacks n= or r=");
  auto username = attribute(fields[0], 'n');
  auto authcid = username ? decode_saslname(*username) : std::nullopt;
  if (!authcid) return reject(error, "malformed or invalid user name");
  auto nonce = attribute(fields[1], 'r');
  if (!nonce || !is_valid_nonce(*nonce)) return reject(error, "malformed client nonce");
  if (!only_extensions_from(fields, 2)) return reject(error, "malformed extension");
  if (out.authzid == *authcid) out.authzid.clear();  // acting as oneself is no authorisation
  out.authcid = std::move(*authcid);
  out.client_nonce = std::string(*nonce);
  return out;
}

// client-final-message = channel-binding "," nonce ["," extensions] "," proof
std::optional<ClientFinal> parse_client_final(std::string_view message, std::string& error) {
  size_t proof_start = message.rfind(",p=");
  if (proof_start == std::string_view::npos) return reject(error, "client-final lacks p=");
  ClientFinal out;
  out.without_proof = std::string(message.substr(0, proof_start));
  auto proof = base64_decode(message.substr(proof_start + 3));
  if (!proof || proof->size() != kScramKeySize) return reject(error, "malformed proof");
  out.proof = std::move(*proof);
  auto fields = split(out.without_proof, ',');
  if (fields.size() < 2) return reject(error, "client-final lacks c= or r=");
  auto binding = attribute(fields[0], 'c');
  auto binding_bytes = binding ? base64_decode(*binding) : std::nullopt;
  if (!binding_bytes) return reject(error, "malformed channel binding");
  auto nonce = attribute(fields[1], 'r');
  if (!nonce) return reject(error, "client-final lacks r=");
  if (!only_extensions_from(fields, 2)) return reject(error, "malformed extension");
  out.channel_binding = std::move(*binding_bytes);
  out.nonce = std::string(*nonce);
  return out;
}

// RFC 5802 section 3: ClientKey = ClientProof XOR HMAC(StoredKey, AuthMessage), and the proof is
// right when H(ClientKey) equals StoredKey.
bool proof_matches(const ScramSecret& secret, std::string_view auth_message,
                   std::string_view proof) {
  ScramKey client_signature = scram_hmac(as_bytes(secret.stored_key), auth_message);
  ScramKey client_key;
  for (size_t i = 0; i < client_key.size(); ++i)
    client_key[i] = uint8_t(proof[i]) ^ client_signature[i];
  ScramKey stored_key = scram_hash(as_bytes(client_key));
  OPENSSL_cleanse(client_key.data(), client_key.size());
  return CRYPTO_memcmp(stored_key.data(), secret.stored_key.data(), stored_key.size()) == 0;
}

class ScramSha256Mechanism final : public Mechanism {
 public:
  explicit ScramSha256Mechanism(SaslConfig config) : config_(std::move(config)) {}
  std::string_view name() const override { return "SCRAM-SHA-256"; }

 protected:
  // RFC 5802 section 5: the client speaks first; without an initial response the server sends
  // an empty challenge.
  Step on_start() override {
    if (state_ != State::kAwaitingClientFirst || started_) return fail("start() called twice");
    started_ = true;
    return Challenge{};
  }

  Step on_step(std::string_view data) override {
    if (state_ == State::kAwaitingClientFirst) return take_client_first(data);
    if (state_ == State::kAwaitingClientFinal) return take_client_final(data);
    return fail("unexpected client data while waiting for the SCRAM secret");
  }

  Step on_secret(std::optional<ScramSecret> secret) override {
    if (state_ != State::kAwaitingSecret) return Mechanism::on_secret(std::move(secret));
    user_known_ = secret.has_value();
    secret_ = user_known_ ? std::move(*secret) : fake_secret();
    nonce_ = client_first_.client_nonce + make_server_nonce();
    server_first_ = "r=" + nonce_ + ",s=" + base64_encode(secret_.salt) +
                    ",i=" + std::to_string(secret_.iterations);
    state_ = State::kAwaitingClientFinal;
    return Challenge{server_first_};
  }

 private:
  enum class State { kAwaitingClientFirst, kAwaitingSecret, kAwaitingClientFinal };

  Step take_client_first(std::string_view data) {
    std::string error;
    auto parsed = parse_client_first(data, error);
    if (!parsed) return fail("SCRAM client-first: " + error);
    client_first_ = std::move(*parsed);
    authcid_ = client_first_.authcid;
    state_ = State::kAwaitingSecret;
    return NeedScramSecret{client_first_.authcid, client_first_.authzid};
  }

  Step take_client_final(std::string_view data) {
    std::string error;
    auto parsed = parse_client_final(data, error);
    if (!parsed) return fail("SCRAM client-final: " + error);
    // RFC 5802 section 5.1, "c": the GS2 header of client-first, base64, since we bind nothing.
    if (parsed->channel_binding != client_first_.gs2_header)
      return fail("SCRAM channel binding data does not match the GS2 header");
    // "r": must be exactly the nonce the server sent in server-first.
    if (parsed->nonce != nonce_)
      return fail("SCRAM nonce mismatch");
    std::string auth_message =
        client_first_.bare + "," + server_first_ + "," + parsed->without_proof;
    if (!user_known_) return fail("unknown user");
    if (!proof_matches(secret_, auth_message, parsed->proof)) return fail("wrong password");
    ScramKey server_signature = scram_hmac(as_bytes(secret_.server_key), auth_message);
    return succeed("v=" + base64_encode(as_bytes(server_signature)), client_first_.authcid,
                   client_first_.authzid);
  }

  std::string make_server_nonce() const {
    if (config_.server_nonce) return config_.server_nonce();
    return base64_encode(random_bytes(kServerNonceBytes));
  }

  // Same salt for the same unknown name on every attempt, keys that match no proof.
  ScramSecret fake_secret() const {
    const std::string& key = config_.scram_fake_salt_key.empty() ? process_fake_salt_key()
                                                                 : config_.scram_fake_salt_key;
    ScramKey salt = scram_hmac(key, "fake SCRAM salt for " + client_first_.authcid);
    ScramSecret fake;
    fake.salt = std::string(as_bytes(salt).substr(0, kScramSaltSize));
    fake.iterations = config_.scram_fake_iterations;
    std::string filler = random_bytes(2 * kScramKeySize);
    std::copy_n(filler.begin(), kScramKeySize, fake.stored_key.begin());
    std::copy_n(filler.begin() + kScramKeySize, kScramKeySize, fake.server_key.begin());
    return fake;
  }

  SaslConfig config_;
  State state_ = State::kAwaitingClientFirst;
  bool started_ = false;
  bool user_known_ = false;
  ClientFirst client_first_;
  ScramSecret secret_;
  std::string nonce_;  // client nonce + server nonce
  std::string server_first_;
};

}  // namespace

std::unique_ptr<Mechanism> make_scram_sha256_mechanism(const SaslConfig& config) {
  return std::make_unique<ScramSha256Mechanism>(config);
}

}  // namespace kurier::auth
