// The outbound TLS policy decision and the certificate check (see tls_policy.h).
#include "queue/tls_policy.h"

#include "queue/tls_verify.h"

namespace kurier::queue {
namespace {

bool is_mx_delivery(const std::string& via) { return via == "mx" || via == "implicit-mx"; }

TlsPolicy pkix(std::string source, const std::string& host, bool report_only) {
  TlsPolicy p;
  p.kind = TlsPolicy::Kind::pkix;
  p.source = std::move(source);
  p.names = {host};
  p.report_only = report_only;
  return p;
}

}  // namespace

TlsDecision decide_tls(const TlsInputs& in) {
  TlsDecision d;
  bool mx = is_mx_delivery(in.via);
  if (mx && in.dane.state == DaneLookup::State::failed) {
    d.use_host = false;
    d.skip_reason = "DANE: TLSA lookup for " + in.host + " failed: " + in.dane.error;
    return d;
  }
  if (mx && in.dane.state == DaneLookup::State::records) {
    d.policy.kind = TlsPolicy::Kind::dane;
    d.policy.source = "dane";
    d.policy.names = {in.host};
    d.policy.tlsa = in.dane.records;
    return d;
  }
  if (mx && in.dane.state == DaneLookup::State::unusable) {
    d.policy.source = "dane-unusable";
    d.policy.encryption_required = true;
    return d;
  }
  const MtaStsPolicy* sts = mx ? in.sts : nullptr;
  if (sts && sts->mode == MtaStsPolicy::Mode::enforce) {
    if (!policy_allows_mx(*sts, in.host)) {
      // RFC 8461 4.1 / 5: an MX host outside the policy is not a valid host for the domain.
      d.use_host = false;
      d.skip_reason = "MTA-STS: MX host " + in.host + " is not allowed by the domain's policy";
      return d;
    }
    d.policy = pkix("mta-sts", in.host, false);
    return d;
  }
  if (in.require_tls) {
    d.policy = pkix("require_tls", in.host, false);
    return d;
  }
  if (sts && sts->mode == MtaStsPolicy::Mode::testing) d.policy = pkix("mta-sts-testing", in.host, true);
  return d;
}

PeerCheck check_peer(const TlsPolicy& policy, const TrustStore& trust, const std::vector<std::string>& chain_der) {
  switch (policy.kind) {
    case TlsPolicy::Kind::opportunistic:
      return {false, "not checked (opportunistic TLS)"};
    case TlsPolicy::Kind::dane: {
      DaneVerdict v = match_tlsa(policy.tlsa, chain_der, policy.names);
      return {v.matched, v.detail};
    }
    case TlsPolicy::Kind::pkix: {
      ChainCheck c = verify_pkix(trust, chain_der, policy.names);
      return {c.ok, c.ok ? "certificate verified for " + policy.names.front() : c.error};
    }
  }
  return {false, "unknown policy"};
}

}  // namespace kurier::queue
