// MTA-STS policy discovery for the queue (RFC 8461 3, 5.1): the `_mta-sts.DOMAIN` TXT record,
// the policy fetched from https://mta-sts.DOMAIN/.well-known/mta-sts.txt (certificate verified
// against the trust store, no redirects, at most 64 KiB), and a durable cache: one file per
// domain under DATA/queue/mta-sts/, kept until the policy's max_age runs out, so a policy
// survives restarts and an attacker blocking the TXT lookup or the fetch cannot downgrade a
// domain that has one (RFC 8461 10.2). Everything here blocks: call through Runtime::offload.
#pragma once
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "queue/mta_sts.h"

namespace kurier::queue {

class DnsResolver;
class TrustStore;

struct MtaStsSettings {
  std::filesystem::path cache_dir;  // DATA/queue/mta-sts
  uint16_t port = 443;              // [outbound] mta_sts_port (tests point it at a loopback server)
  std::chrono::milliseconds timeout{10000};  // connect + TLS + request + response
};

struct PolicyLookup {
  std::optional<MtaStsPolicy> policy;  // the policy in force; nullopt: none
  std::string note;                    // how it was found or why there is none, for the log
};

struct PolicyText {
  bool ok = false;
  std::string body;
  std::string error;
};
// GET https://HOST:PORT/.well-known/mta-sts.txt from address ip (RFC 8461 3.3).
PolicyText fetch_policy_text(const std::string& host, const std::string& ip, uint16_t port,
                             const TrustStore& trust, std::chrono::milliseconds timeout);

class MtaStsResolver {
 public:
  MtaStsResolver(MtaStsSettings settings, DnsResolver& dns, const TrustStore& trust);
  // RFC 8461 5.1: the cached policy while the TXT id is unchanged; a new fetch when it
  // changed or nothing is cached; the unexpired cached policy when DNS or the fetch fail.
  PolicyLookup policy_for(const std::string& domain, int64_t now);

 private:
  struct Cached {
    std::string id;
    int64_t fetched = 0;
    MtaStsPolicy policy;
  };
  std::optional<Cached> load(const std::string& domain, int64_t now) const;
  void store(const std::string& domain, const std::string& id, int64_t now, const std::string& text) const;
  PolicyText fetch(const std::string& domain) const;

  MtaStsSettings settings_;
  DnsResolver& dns_;
  const TrustStore& trust_;
};

}  // namespace kurier::queue
