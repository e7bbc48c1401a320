#include "pop3/capabilities.h"

namespace kurier::pop3 {
namespace {

// Announced in both states.
struct Capability {
  const char* line;
  const char* rfc;
};

constexpr Capability kFixed[] = {
    {"TOP", "RFC 2449 6.1"},
    {"UIDL", "RFC 2449 6.8 (UIDL of RFC 1939 7)"},
    {"RESP-CODES", "RFC 2449 6.4"},
    {"AUTH-RESP-CODE", "RFC 3206"},
    {"PIPELINING", "RFC 2449 6.6"},
    // Messages are never deleted by the server (RFC 2449 6.7), and logins are not throttled by
    // time between sessions, only failed ones by the client's IP (RFC 2449 6.5).
    {"EXPIRE NEVER", "RFC 2449 6.7"},
    {"LOGIN-DELAY 0", "RFC 2449 6.5"},
    {"IMPLEMENTATION kurier", "RFC 2449 6.9"},
    // USER (RFC 2449 6.2), SASL (RFC 2449 6.3, RFC 5034 5) and STLS (RFC 2595 4) depend on the
    // connection: see capability_lines().
};

}  // namespace

std::vector<std::string> capability_lines(const CapaContext& c) {
  std::vector<std::string> out;
  for (const auto& cap : kFixed) out.emplace_back(cap.line);
  if (c.authenticated) return out;
  if (c.plaintext_allowed) out.emplace_back("USER");
  if (!c.mechanisms.empty()) {
    std::string sasl = "SASL";
    for (const auto& m : c.mechanisms) sasl += " " + m;
    out.push_back(std::move(sasl));
  }
  if (c.offer_stls) out.emplace_back("STLS");
  return out;
}

}  // namespace kurier::pop3
