// CaresResolver: c-ares (1.18) driven synchronously on the calling thread with poll(); each call
// makes its own channel, so lookups on several blocking-pool threads never share state.
// MX, TXT and TLSA queries are built here with the AD bit set (RFC 6840 5.7) and EDNS0, sent
// with ares_send, and their answers' AD bit read from the header (RFC 4035 3.2.3).
#include <ares.h>
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <netdb.h>
#include <poll.h>

#include <mutex>

#include "queue/dns.h"

namespace kurier::queue {

const char* to_string(DnsStatus s) {
  switch (s) {
    case DnsStatus::ok: return "ok";
    case DnsStatus::nodata: return "nodata";
    case DnsStatus::nxdomain: return "nxdomain";
    case DnsStatus::temporary: return "temporary";
  }
  return "temporary";
}

namespace {

DnsStatus status_of(int ares_status) {
  switch (ares_status) {
    case ARES_SUCCESS: return DnsStatus::ok;
    case ARES_ENODATA: return DnsStatus::nodata;
    case ARES_ENOTFOUND: return DnsStatus::nxdomain;
    default: return DnsStatus::temporary;
  }
}

class Channel {
 public:
  Channel(int timeout_ms, int tries, const std::string& servers) {
    static std::once_flag init;
    std::call_once(init, [] { ares_library_init(ARES_LIB_INIT_ALL); });
    ares_options opts{};
    opts.timeout = timeout_ms;
    opts.tries = tries;
    status_ = ares_init_options(&channel_, &opts, ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES);
    if (status_ == ARES_SUCCESS && !servers.empty()) {
      status_ = ares_set_servers_ports_csv(channel_, servers.c_str());
      if (status_ != ARES_SUCCESS) {
        ares_destroy(channel_);
        channel_ = nullptr;
      }
    }
  }
  ~Channel() {
    if (channel_) ares_destroy(channel_);
  }
  bool ok() const { return status_ == ARES_SUCCESS; }
  std::string error() const { return ares_strerror(status_); }
  ares_channel get() { return channel_; }

  // Runs the channel until every query has called back.
  void wait() {
    for (;;) {
      ares_socket_t socks[ARES_GETSOCK_MAXNUM];
      int bits = ares_getsock(channel_, socks, ARES_GETSOCK_MAXNUM);
      pollfd fds[ARES_GETSOCK_MAXNUM];
      int n = 0;
      for (int i = 0; i < ARES_GETSOCK_MAXNUM; ++i) {
        short events = 0;
        if (ARES_GETSOCK_READABLE(bits, i)) events |= POLLIN;
        if (ARES_GETSOCK_WRITABLE(bits, i)) events |= POLLOUT;
        if (events) fds[n++] = pollfd{socks[i], events, 0};
      }
      if (n == 0) return;
      timeval tv{};
      timeval* tvp = ares_timeout(channel_, nullptr, &tv);
      int ms = tvp ? int(tvp->tv_sec * 1000 + tvp->tv_usec / 1000) : 1000;
      ::poll(fds, nfds_t(n), ms);
      for (int i = 0; i < n; ++i) {
        ares_socket_t r = (fds[i].revents & (POLLIN | POLLERR | POLLHUP)) ? fds[i].fd : ARES_SOCKET_BAD;
        ares_socket_t w = (fds[i].revents & POLLOUT) ? fds[i].fd : ARES_SOCKET_BAD;
        ares_process_fd(channel_, r, w);
      }
      ares_process_fd(channel_, ARES_SOCKET_BAD, ARES_SOCKET_BAD);  // timeouts
    }
  }

 private:
  ares_channel channel_ = nullptr;
  int status_ = ARES_SUCCESS;
};

// A raw answer of ares_send: the whole DNS message, or why there is none.
struct RawAnswer {
  int status = ARES_ETIMEOUT;
  std::vector<unsigned char> msg;
};

void on_raw(void* arg, int status, int, unsigned char* abuf, int alen) {
  auto* answer = static_cast<RawAnswer*>(arg);
  answer->status = status;
  if (status == ARES_SUCCESS && abuf && alen > 0) answer->msg.assign(abuf, abuf + alen);
}

constexpr unsigned char kAdFlag = 0x20;  // header byte 3 (RFC 4035 3.2.3, RFC 6840 5.7)

struct Header {
  int rcode = 0;
  bool ad = false;
  int answers = 0;
};

Header header_of(const std::vector<unsigned char>& m) {
  if (m.size() < 12) return {2, false, 0};
  return {m[3] & 0x0f, (m[3] & kAdFlag) != 0, (m[6] << 8) | m[7]};
}

// ok/nodata/nxdomain/temporary from the transport status and the response code.
DnsStatus raw_status(const RawAnswer& a, std::string& error) {
  if (a.status != ARES_SUCCESS) {
    error = ares_strerror(a.status);
    return status_of(a.status);
  }
  Header h = header_of(a.msg);
  if (h.rcode == ns_r_nxdomain) {
    error = "domain not found";
    return DnsStatus::nxdomain;
  }
  if (h.rcode != ns_r_noerror) {
    error = "DNS server answered rcode " + std::to_string(h.rcode);
    return DnsStatus::temporary;
  }
  if (h.answers == 0) {
    error = "no records";
    return DnsStatus::nodata;
  }
  return DnsStatus::ok;
}

uint16_t get16(const unsigned char* p) { return uint16_t((p[0] << 8) | p[1]); }

// Skips a (possibly compressed) name; nullptr when it runs past the end.
const unsigned char* skip_name(const unsigned char* p, const unsigned char* end) {
  while (p < end) {
    unsigned char len = *p;
    if ((len & 0xc0) == 0xc0) return p + 2 <= end ? p + 2 : nullptr;
    if (len & 0xc0) return nullptr;
    ++p;
    if (len == 0) return p;
    p += len;
  }
  return nullptr;
}

class CaresResolver final : public DnsResolver {
 public:
  CaresResolver(int timeout_ms, int tries, std::string servers)
      : timeout_ms_(timeout_ms), tries_(tries), servers_(std::move(servers)) {}

  MxAnswer mx(std::string_view domain) override {
    MxAnswer answer;
    RawAnswer raw = query(domain, ns_t_mx);
    answer.status = raw_status(raw, answer.error);
    if (answer.status != DnsStatus::ok) return answer;
    answer.secure = header_of(raw.msg).ad;
    ares_mx_reply* mx = nullptr;
    int rc = ares_parse_mx_reply(raw.msg.data(), int(raw.msg.size()), &mx);
    if (rc != ARES_SUCCESS) {
      answer.status = status_of(rc);
      answer.error = ares_strerror(rc);
      return answer;
    }
    for (auto* r = mx; r; r = r->next) answer.records.push_back({int(r->priority), r->host ? r->host : ""});
    ares_free_data(mx);
    if (answer.records.empty()) answer.status = DnsStatus::nodata;
    return answer;
  }

  TxtAnswer txt(std::string_view name) override {
    TxtAnswer answer;
    RawAnswer raw = query(name, ns_t_txt);
    answer.status = raw_status(raw, answer.error);
    if (answer.status != DnsStatus::ok) return answer;
    ares_txt_ext* txt = nullptr;
    int rc = ares_parse_txt_reply_ext(raw.msg.data(), int(raw.msg.size()), &txt);
    if (rc != ARES_SUCCESS) {
      answer.status = status_of(rc);
      answer.error = ares_strerror(rc);
      return answer;
    }
    for (auto* t = txt; t; t = t->next) {
      // A record's character-strings are joined (RFC 8461 3.1 refers to RFC 7208 3.3).
      if (t->record_start || answer.texts.empty()) answer.texts.emplace_back();
      answer.texts.back().append(reinterpret_cast<const char*>(t->txt), t->length);
    }
    ares_free_data(txt);
    if (answer.texts.empty()) answer.status = DnsStatus::nodata;
    return answer;
  }

  TlsaAnswer tlsa(std::string_view name) override {
    TlsaAnswer answer;
    RawAnswer raw = query(name, kTypeTlsa);
    answer.status = raw_status(raw, answer.error);
    answer.secure = raw.status == ARES_SUCCESS && header_of(raw.msg).ad;
    if (answer.status != DnsStatus::ok) return answer;
    if (!parse_tlsa_response(raw.msg.data(), raw.msg.size(), answer.records)) {
      answer.status = DnsStatus::temporary;
      answer.error = "malformed TLSA answer";
      return answer;
    }
    if (answer.records.empty()) answer.status = DnsStatus::nodata;
    return answer;
  }

  AddressAnswer addresses(std::string_view host) override {
    AddressAnswer answer;
    Channel ch(timeout_ms_, tries_, servers_);
    if (!ch.ok()) return {DnsStatus::temporary, {}, "resolver: " + ch.error()};
    std::string name(host);
    ares_addrinfo_hints hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    ares_getaddrinfo(ch.get(), name.c_str(), nullptr, &hints, on_addrinfo, &answer);
    ch.wait();
    return answer;
  }

 private:
  static constexpr int kTypeTlsa = 52;  // RFC 6698 7.1

  RawAnswer query(std::string_view name, int type) {
    RawAnswer raw;
    Channel ch(timeout_ms_, tries_, servers_);
    if (!ch.ok()) {
      raw.status = ARES_ECONNREFUSED;
      return raw;
    }
    std::string qname(name);
    unsigned char* buf = nullptr;
    int len = 0;
    // EDNS0 with a 1232-byte payload (DNS flag day 2020) so DNSSEC-sized answers fit in UDP.
    int rc = ares_create_query(qname.c_str(), ns_c_in, type, 0, 1, &buf, &len, 1232);
    if (rc != ARES_SUCCESS) {
      raw.status = rc;
      return raw;
    }
    buf[3] |= kAdFlag;  // RFC 6840 5.7: ask for the AD bit
    ares_send(ch.get(), buf, len, on_raw, &raw);
    ares_free_string(buf);
    ch.wait();
    return raw;
  }

  static void on_addrinfo(void* arg, int status, int, ares_addrinfo* result) {
    auto* answer = static_cast<AddressAnswer*>(arg);
    answer->status = status_of(status);
    if (status != ARES_SUCCESS) {
      answer->error = ares_strerror(status);
      if (result) ares_freeaddrinfo(result);
      return;
    }
    std::vector<std::string> v4, v6;
    for (auto* node = result ? result->nodes : nullptr; node; node = node->ai_next) {
      char text[INET6_ADDRSTRLEN] = "";
      if (node->ai_family == AF_INET) {
        inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(node->ai_addr)->sin_addr, text, sizeof text);
        v4.emplace_back(text);
      } else if (node->ai_family == AF_INET6) {
        inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6*>(node->ai_addr)->sin6_addr, text, sizeof text);
        v6.emplace_back(text);
      }
    }
    if (result) ares_freeaddrinfo(result);
    for (auto& a : v6) answer->addresses.push_back(std::move(a));
    for (auto& a : v4) answer->addresses.push_back(std::move(a));
    if (answer->addresses.empty()) answer->status = DnsStatus::nodata;
  }

  int timeout_ms_;
  int tries_;
  std::string servers_;
};

}  // namespace

bool parse_tlsa_response(const unsigned char* msg, size_t len, std::vector<TlsaRecord>& out) {
  if (len < 12) return false;
  const unsigned char* end = msg + len;
  int questions = get16(msg + 4), answers = get16(msg + 6);
  const unsigned char* p = msg + 12;
  for (int i = 0; i < questions; ++i) {
    p = skip_name(p, end);
    if (!p || p + 4 > end) return false;
    p += 4;
  }
  for (int i = 0; i < answers; ++i) {
    p = skip_name(p, end);
    if (!p || p + 10 > end) return false;
    uint16_t type = get16(p), rdlength = get16(p + 8);
    p += 10;
    if (p + rdlength > end) return false;
    if (type == 52) {  // CNAMEs and RRSIGs in the answer are skipped
      if (rdlength < 3) return false;
      out.push_back(TlsaRecord{p[0], p[1], p[2], std::string(reinterpret_cast<const char*>(p + 3), rdlength - 3u)});
    }
    p += rdlength;
  }
  return true;
}

std::unique_ptr<DnsResolver> make_cares_resolver(int timeout_ms, int tries, std::vector<std::string> servers) {
  std::string csv;
  for (const auto& s : servers) csv += (csv.empty() ? "" : ",") + s;
  return std::make_unique<CaresResolver>(timeout_ms, tries, std::move(csv));
}

}  // namespace kurier::queue
