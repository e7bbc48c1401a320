// Which TLS a delivery to one host needs, and whether a server's certificate satisfies it.
// Pure: the inputs are what routing, DNS and the MTA-STS cache found.
//
// Precedence, strongest first (docs/CONFIG.md [outbound]):
//  1. DANE (RFC 7672), MX delivery only, when the MX RRset and the host's TLSA RRset were both
//     DNSSEC-validated and at least one record is usable: TLS must verify by TLSA. RFC 8461 2:
//     a domain with DANE is not held to its MTA-STS policy. A secure TLSA lookup that failed
//     makes the host unusable (RFC 7672 2.2: "MUST NOT" deliver to it). Secure TLSA records
//     that are all unusable still demand TLS, unauthenticated (RFC 7672 3.1.3; Postfix's
//     "encrypt" level).
//  2. MTA-STS "enforce" (RFC 8461 5), MX delivery only: an MX host not matching the policy's
//     mx patterns is not used; the others need TLS verified against the trust store and the MX
//     host name (RFC 8461 4.1).
//  3. [outbound] require_tls: TLS verified against the trust store and the host name (the MX
//     host, or the host of the route/relayhost as configured).
//  4. MTA-STS "testing": opportunistic, but the certificate is checked and the result logged.
//  5. otherwise opportunistic TLS (RFC 7435): encrypt when offered, never authenticate; a
//     failed handshake is retried in plaintext.
// When verified TLS is needed and not had, the host is skipped; if no host works, the
// recipients are deferred (4.7.5) and, at expiry, bounced with the reason.
#pragma once
#include <string>
#include <vector>

#include "queue/dane.h"
#include "queue/mta_sts.h"

namespace kurier::queue {

class TrustStore;

struct TlsPolicy {
  enum class Kind { opportunistic, pkix, dane };
  Kind kind = Kind::opportunistic;
  std::string source = "opportunistic";  // "dane", "mta-sts", "require_tls", "mta-sts-testing"
  std::vector<std::string> names;        // reference names for the certificate
  std::vector<TlsaRecord> tlsa;          // usable records, for dane
  bool report_only = false;              // check and log, but deliver whatever the result
  bool encryption_required = false;      // no plaintext even when nothing is verified
  bool verified_required() const { return kind != Kind::opportunistic && !report_only; }
  bool wants_check() const { return kind != Kind::opportunistic; }
};

// What DNS said about a host's TLSA records (RFC 7672 2.2).
struct DaneLookup {
  enum class State { none, records, unusable, failed };
  State state = State::none;  // none: not looked up, insecure, or no records
  std::vector<TlsaRecord> records;
  std::string error;  // for failed
};

struct TlsInputs {
  std::string via;            // Route::via: "mx", "implicit-mx", "route", "relayhost", ...
  std::string host;           // the target's host name (the MX host, or as configured)
  bool require_tls = false;   // [outbound] require_tls
  const MtaStsPolicy* sts = nullptr;  // the domain's policy in force, if any
  DaneLookup dane;
};

struct TlsDecision {
  bool use_host = true;
  std::string skip_reason;  // when !use_host
  TlsPolicy policy;
};

TlsDecision decide_tls(const TlsInputs& in);

struct PeerCheck {
  bool verified = false;
  std::string detail;  // what matched, or why not
};
// Checks the chain the server sent (leaf first, DER) as the policy says.
PeerCheck check_peer(const TlsPolicy& policy, const TrustStore& trust, const std::vector<std::string>& chain_der);

}  // namespace kurier::queue
