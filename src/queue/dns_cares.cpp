// CaresResolver: c-ares (1.18) driven synchronously on the calling thread with poll(); each call
// makes its own channel, so lookups on several blocking-pool threads never share state.
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
  Channel(int timeout_ms, int tries) {
    static std::once_flag init;
    std::call_once(init, [] { ares_library_init(ARES_LIB_INIT_ALL); });
    ares_options opts{};
    opts.timeout = timeout_ms;
    opts.tries = tries;
    status_ = ares_init_options(&channel_, &opts, ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES);
  }
  ~Channel() {
    if (status_ == ARES_SUCCESS) ares_destroy(channel_);
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

class CaresResolver final : public DnsResolver {
 public:
  CaresResolver(int timeout_ms, int tries) : timeout_ms_(timeout_ms), tries_(tries) {}

  MxAnswer mx(std::string_view domain) override {
    MxAnswer answer;
    Channel ch(timeout_ms_, tries_);
    if (!ch.ok()) return {DnsStatus::temporary, {}, "resolver: " + ch.error()};
    std::string name(domain);
    ares_query(ch.get(), name.c_str(), ns_c_in, ns_t_mx, on_mx, &answer);
    ch.wait();
    return answer;
  }

  AddressAnswer addresses(std::string_view host) override {
    AddressAnswer answer;
    Channel ch(timeout_ms_, tries_);
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
  static void on_mx(void* arg, int status, int, unsigned char* abuf, int alen) {
    auto* answer = static_cast<MxAnswer*>(arg);
    answer->status = status_of(status);
    if (status != ARES_SUCCESS) {
      answer->error = ares_strerror(status);
      return;
    }
    ares_mx_reply* mx = nullptr;
    int rc = ares_parse_mx_reply(abuf, alen, &mx);
    if (rc != ARES_SUCCESS) {
      answer->status = status_of(rc);
      answer->error = ares_strerror(rc);
      return;
    }
    for (auto* r = mx; r; r = r->next) answer->records.push_back({int(r->priority), r->host ? r->host : ""});
    ares_free_data(mx);
    if (answer->records.empty()) answer->status = DnsStatus::nodata;
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
};

}  // namespace

std::unique_ptr<DnsResolver> make_cares_resolver(int timeout_ms, int tries) {
  return std::make_unique<CaresResolver>(timeout_ms, tries);
}

}  // namespace kurier::queue
