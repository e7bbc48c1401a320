// The DNS records a hosted domain should publish (MX, SPF, DKIM, DMARC, autoconfig) and the check
// of what DNS really answers, through the configured resolver ([outbound] dns_servers, c-ares).
// The expectations and verdicts are pure (tested with canned answers); lookups go through
// queue::DnsResolver.
#pragma once
#include <string>
#include <vector>

#include "queue/dns.h"

namespace kurier::api {

struct ExpectedRecord {
  std::string kind;   // "mx", "spf", "dkim", "dmarc", "autoconfig"
  std::string name;   // "example.org."
  std::string type;   // "MX", "TXT", "CNAME"
  std::string value;  // what to publish ("10 mail.example.org.", "v=spf1 mx -all", ...)
};

struct RecordCheck {
  ExpectedRecord expected;
  std::string status;  // "ok", "missing", "wrong", "error" (lookup failed: try again)
  std::vector<std::string> found;  // what DNS answered
  std::string detail;
};

// dkim_txt: the (name, value) pairs of dkim::KeyStore::dns_txt_records.
std::vector<ExpectedRecord> expected_records(const std::string& domain, const std::string& hostname,
                                             const std::vector<std::pair<std::string, std::string>>& dkim_txt);

std::vector<RecordCheck> check_records(const std::vector<ExpectedRecord>& expected, const std::string& hostname,
                                       queue::DnsResolver& dns);

}  // namespace kurier::api
