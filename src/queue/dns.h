// DNS lookups the outbound queue needs: MX records (RFC 5321 5.1), the addresses of a host, TXT
// (the MTA-STS record, RFC 8461 3.1) and TLSA (DANE, RFC 7672). `secure` is the resolver's
// Authenticated Data bit (RFC 4035 3.2.3, asked for with AD=1 per RFC 6840 5.7): kurier does
// not validate DNSSEC itself but trusts a validating resolver ([outbound] dns_servers, or
// resolv.conf; it should be on the same host, as Postfix's smtp_dns_support_level requires).
// DnsResolver is an interface so routing is unit-tested with canned answers; CaresResolver is
// the real one (c-ares). Calls block (each lookup is bounded by the resolver's timeouts): the
// queue makes them through Runtime::offload.
#pragma once
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "queue/dane.h"

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
  bool secure = false;  // DNSSEC-validated (AD)
};

struct AddressAnswer {
  DnsStatus status = DnsStatus::ok;
  std::vector<std::string> addresses;  // "192.0.2.1", "2001:db8::1" (IPv6 first when present)
  std::string error;
};

struct TxtAnswer {
  DnsStatus status = DnsStatus::ok;
  std::vector<std::string> texts;  // one per record, its character-strings joined (RFC 7208 3.3)
  std::string error;
};

struct TlsaAnswer {
  DnsStatus status = DnsStatus::ok;
  std::vector<TlsaRecord> records;
  std::string error;
  bool secure = false;  // DNSSEC-validated (AD)
};

class DnsResolver {
 public:
  virtual ~DnsResolver() = default;
  virtual MxAnswer mx(std::string_view domain) = 0;
  virtual AddressAnswer addresses(std::string_view host) = 0;
  // Resolvers for tests that do not care answer "no such records".
  virtual TxtAnswer txt(std::string_view /*name*/) { return {DnsStatus::nodata, {}, "no TXT lookups"}; }
  virtual TlsaAnswer tlsa(std::string_view /*name*/) { return {DnsStatus::nodata, {}, "no TLSA lookups", false}; }
};

// c-ares with the system's resolv.conf (or `servers`, "IP" or "IP:PORT", when not empty) and
// /etc/hosts. Thread-safe: every lookup uses its own channel.
std::unique_ptr<DnsResolver> make_cares_resolver(int timeout_ms = 5000, int tries = 2,
                                                 std::vector<std::string> servers = {});

// The TLSA records of a DNS response (RFC 6698 2.1); exposed for tests. False when malformed.
bool parse_tlsa_response(const unsigned char* msg, size_t len, std::vector<TlsaRecord>& out);

}  // namespace kurier::queue
