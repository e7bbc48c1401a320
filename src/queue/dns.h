// DNS lookups the outbound queue needs: MX records (RFC 5321 5.1) and the addresses of a host.
// DnsResolver is an interface so routing is unit-tested with canned answers; CaresResolver is
// the real one (c-ares). Calls block (each lookup is bounded by the resolver's timeouts): the
// queue makes them through Runtime::offload.
#pragma once
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace kurier::queue {

enum class DnsStatus {
  ok,
  nodata,     // the name exists but has no record of that type
  nxdomain,   // the name does not exist
  temporary,  // timeout, SERVFAIL, no server reachable: try again later
};
const char* to_string(DnsStatus s);

struct MxRecord {
  int preference = 0;
  std::string host;  // "" or "." for the null MX (RFC 7505)
};

struct MxAnswer {
  DnsStatus status = DnsStatus::ok;
  std::vector<MxRecord> records;
  std::string error;  // for logs and DSNs when status is not ok
};

struct AddressAnswer {
  DnsStatus status = DnsStatus::ok;
  std::vector<std::string> addresses;  // "192.0.2.1", "2001:db8::1" (IPv6 first when present)
  std::string error;
};

class DnsResolver {
 public:
  virtual ~DnsResolver() = default;
  virtual MxAnswer mx(std::string_view domain) = 0;
  virtual AddressAnswer addresses(std::string_view host) = 0;
};

// c-ares with the system's resolv.conf and /etc/hosts. Thread-safe: every lookup uses its own
// channel.
std::unique_ptr<DnsResolver> make_cares_resolver(int timeout_ms = 5000, int tries = 2);

}  // namespace kurier::queue
