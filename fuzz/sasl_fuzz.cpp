// SASL mechanisms (auth/sasl.h) driven by hostile client messages: PLAIN, LOGIN and
// SCRAM-SHA-256. The first byte picks the mechanism; the rest is split at NUL-NUL-NUL into the
// client's messages. A known user's SCRAM secret is provided so the proof check runs too.
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "auth/sasl.h"
#include "auth/scram.h"

namespace {

const kurier::auth::ScramSecret& secret() {
  static const auto s = kurier::auth::make_scram_secret("pencil", "salt-of-16-bytes", 4096);
  return s;
}

std::vector<std::string_view> messages(std::string_view rest) {
  std::vector<std::string_view> out;
  for (size_t pos = 0;;) {
    size_t sep = rest.find(std::string_view("\0\0\0", 3), pos);
    out.push_back(rest.substr(pos, sep == std::string_view::npos ? std::string_view::npos : sep - pos));
    if (sep == std::string_view::npos) return out;
    pos = sep + 3;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  static const char* names[] = {"PLAIN", "LOGIN", "SCRAM-SHA-256"};
  kurier::auth::SaslConfig config;
  config.server_nonce = [] { return std::string("fyko+d2lbbFgONRv9qkxdawL"); };
  config.scram_fake_salt_key = "fuzz";
  auto mech = kurier::auth::make_mechanism(names[data[0] % 3], config);
  if (!mech) return 0;
  std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  auto msgs = messages(rest);
  using namespace kurier::auth;
  Step s = mech->step(msgs[0]);
  for (size_t i = 1; i < 16 && !mech->done(); ++i) {
    if (std::holds_alternative<Challenge>(s)) {
      s = mech->step(i < msgs.size() ? msgs[i] : std::string_view());
    } else if (auto* v = std::get_if<VerifyPassword>(&s)) {
      s = mech->finish(v->password == "pencil");
    } else if (auto* n = std::get_if<NeedScramSecret>(&s)) {
      s = mech->provide_secret(n->authcid == "user" ? std::optional(secret()) : std::nullopt);
    } else {
      break;
    }
  }
  return 0;
}
