// MTA-STS (RFC 8461), the pure part: the `_mta-sts` TXT record, the policy file, and which MX
// host names a policy allows. Fetching and caching are in mta_sts_fetch.h.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kurier::queue {

struct MtaStsPolicy {
  enum class Mode { enforce, testing, none };
  Mode mode = Mode::none;
  std::vector<std::string> mx;  // lower-case patterns: "mail.example.com", "*.example.net"
  int64_t max_age = 0;          // seconds (RFC 8461 3.2: at most 31557600)
  bool operator==(const MtaStsPolicy&) const = default;
};
const char* to_string(MtaStsPolicy::Mode m);

// The id of the one valid "v=STSv1; id=..." record among a name's TXT strings (RFC 8461 3.1);
// nullopt when there is none or more than one ("senders MUST NOT apply a policy").
std::optional<std::string> parse_sts_record(const std::vector<std::string>& txt);

struct MtaStsParse {
  std::optional<MtaStsPolicy> policy;
  std::string error;  // why the text is not a policy
};
// The policy file (RFC 8461 3.2): "key: value" lines (CRLF or LF), version STSv1, mode and
// max_age required, mx required unless mode is none; unknown keys are ignored.
MtaStsParse parse_sts_policy(std::string_view text);

// RFC 8461 4.1: a pattern matches the MX host name case-insensitively; "*.example.com" matches
// exactly one more label on the left ("mx.example.com", not "a.b.example.com" nor
// "example.com"). A trailing dot on either is ignored.
bool mx_pattern_matches(std::string_view pattern, std::string_view host);
bool policy_allows_mx(const MtaStsPolicy& policy, std::string_view host);

}  // namespace kurier::queue
