// Server implementation (see listener.h): acceptors, admission limits, per-connection
// coroutines and graceful shutdown.
#include "net/listener.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <mutex>
#include <stdexcept>
#include <unordered_map>
#include <vector>

#include "common/log.h"
#include "common/metrics.h"
#include "net/connection_factory.h"
#include "net/runtime.h"

#include <boost/asio/ip/v6_only.hpp>

namespace kurier::net {
namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
using boost::system::error_code;
using tcp = asio::ip::tcp;
using unix_socket = asio::local::stream_protocol;
using namespace std::chrono_literals;

namespace {

struct Service {
  std::string name;
  TlsMode tls = TlsMode::plain;
  Handler handler;
  ServiceLines lines;
  Plane plane = Plane::mail;  // whose threads serve its connections
};

template <class Acceptor>
struct Listener {
  Listener(Executor strand, std::shared_ptr<Service> s, std::string where)
      : acceptor(strand), service(std::move(s)), address(std::move(where)) {}
  Acceptor acceptor;
  std::shared_ptr<Service> service;
  std::string address;  // "0.0.0.0:25" or the socket path
};
using TcpListener = Listener<tcp::acceptor>;
using UnixListener = Listener<unix_socket::acceptor>;

asio::ip::address parse_bind_address(const std::string& service, std::string text) {
  if (text.empty() || text == "*") text = "0.0.0.0";
  if (text.size() > 2 && text.front() == '[' && text.back() == ']') text = text.substr(1, text.size() - 2);
  error_code ec;
  auto address = asio::ip::make_address(text, ec);
  if (ec) throw std::runtime_error(service + ": invalid listen address '" + text + "'");
  return address;
}

std::string endpoint_text(const tcp::endpoint& ep) {
  std::string host = ep.address().to_string();
  if (ep.address().is_v6()) host = "[" + host + "]";
  return host + ":" + std::to_string(ep.port());
}

[[noreturn]] void throw_listen_error(const std::string& service, const std::string& where,
                                     const char* step, const error_code& ec) {
  throw std::runtime_error(service + ": cannot " + step + " " + where + ": " + ec.message());
}

// Writes the refusal line (bounded in time) and closes.
awaitable<void> refuse_with_line(std::shared_ptr<Connection> conn, std::string line) {
  conn->set_timeout(5s);
  line += "\r\n";
  co_await conn->write(line);
  conn->close();
}

awaitable<void> sleep_for(std::chrono::milliseconds d) {
  asio::steady_timer timer(co_await asio::this_coro::executor, d);
  error_code ec;
  co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
}

}  // namespace

struct Server::Impl : std::enable_shared_from_this<Server::Impl> {
  Impl(Runtime& r, ServerLimits l) : runtime(r), limits(l) {}

  struct Entry {
    std::weak_ptr<Connection> conn;
    std::shared_ptr<Service> service;
  };

  Runtime& runtime;  // listeners run on its first context, connections on context_for(plane)
  ServerLimits limits;
  mutable std::mutex mu;  // guards everything below
  std::shared_ptr<ssl::context> tls_context;
  std::unordered_map<std::uint64_t, Entry> connections;
  std::size_t admitted = 0;  // includes connections still being set up
  std::unordered_map<std::string, std::size_t> per_ip;
  std::vector<std::shared_ptr<TcpListener>> tcp_listeners;
  std::vector<std::shared_ptr<UnixListener>> unix_listeners;

  std::shared_ptr<ssl::context> current_tls() const {
    std::lock_guard lock(mu);
    return tls_context;
  }

  // Reserves a slot, or says which limit refuses it.
  const char* admit(const std::string& ip, bool count_ip) {
    std::lock_guard lock(mu);
    if (admitted >= limits.max_connections) return "max_connections";
    if (count_ip && per_ip[ip] >= limits.max_per_ip) return "max_per_ip";
    ++admitted;
    if (count_ip) ++per_ip[ip];
    return nullptr;
  }

  void release(std::uint64_t id, const std::string& ip, bool count_ip) {
    std::lock_guard lock(mu);
    connections.erase(id);
    --admitted;
    if (count_ip) {
      auto it = per_ip.find(ip);
      if (it != per_ip.end() && --it->second == 0) per_ip.erase(it);
    }
  }

  void track(const std::shared_ptr<Connection>& conn, std::shared_ptr<Service> service) {
    std::lock_guard lock(mu);
    connections[conn->id()] = Entry{conn, std::move(service)};
  }

  std::vector<std::pair<std::shared_ptr<Connection>, std::shared_ptr<Service>>> snapshot() const {
    std::vector<std::pair<std::shared_ptr<Connection>, std::shared_ptr<Service>>> out;
    std::lock_guard lock(mu);
    for (const auto& [id, entry] : connections)
      if (auto conn = entry.conn.lock()) out.emplace_back(std::move(conn), entry.service);
    return out;
  }

  std::size_t count() const {
    std::lock_guard lock(mu);
    return admitted;
  }

  void start(std::shared_ptr<Connection> conn, std::shared_ptr<Service> service, Executor strand) {
    track(conn, service);
    asio::co_spawn(strand, serve(shared_from_this(), std::move(service), std::move(conn)), asio::detached);
  }

  static awaitable<void> serve(std::shared_ptr<Impl> self, std::shared_ptr<Service> service,
                               std::shared_ptr<Connection> conn) {
    const auto started = std::chrono::steady_clock::now();
    log::info("connection_open", {{"conn", conn->id()}, {"service", service->name}, {"ip", conn->remote_ip()}});
    metrics::connection_opened(service->name);
    bool ready = true;
    if (service->tls == TlsMode::implicit) {
      conn->set_handshake_timeout(self->limits.tls_handshake_timeout);
      ready = co_await conn->start_tls();
    }
    if (ready) co_await run_handler(*service, *conn);
    conn->close();
    self->release(conn->id(), conn->remote_ip(), !conn->is_local());
    metrics::connection_closed(service->name);
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
    log::info("connection_close", {{"conn", conn->id()},
                                   {"service", service->name},
                                   {"ip", conn->remote_ip()},
                                   {"bytes_in", conn->bytes_in()},
                                   {"bytes_out", conn->bytes_out()},
                                   {"ms", ms.count()}});
  }

  static awaitable<void> run_handler(Service& service, Connection& conn) {
    const char* failure = nullptr;
    std::string what;
    try {
      co_await service.handler(conn);
    } catch (const std::exception& e) {
      failure = "exception";
      what = e.what();
    } catch (...) {
      failure = "exception";
      what = "unknown";
    }
    if (failure)
      log::error("session_failed", {{"conn", conn.id()}, {"service", service.name}, {"error", what}});
  }

  void on_tcp_accepted(tcp::socket socket, const std::shared_ptr<Service>& service) {
    Executor strand = socket.get_executor();
    error_code ec;
    auto remote = socket.remote_endpoint(ec);
    if (ec) return;  // the client is already gone
    auto ip = remote.address();
    if (ip.is_v6() && ip.to_v6().is_v4_mapped()) ip = asio::ip::make_address_v4(asio::ip::v4_mapped, ip.to_v6());
    const std::string ip_text = ip.to_string();
    if (const char* limit = admit(ip_text, true)) {
      refuse(std::move(socket), *service, ip_text, limit, strand);
      return;
    }
    std::shared_ptr<Connection> conn = make_tcp_connection(std::move(socket), current_tls());
    start(std::move(conn), service, strand);
  }

  void refuse(tcp::socket socket, const Service& service, const std::string& ip, const char* limit,
              Executor strand) {
    log::info("connection_refused", {{"service", service.name}, {"ip", ip}, {"limit", limit}});
    // On an implicit-TLS port a plaintext line would be noise, and a handshake is what the limit
    // is there to save: just close.
    if (service.tls == TlsMode::implicit || service.lines.too_many.empty()) return;
    std::shared_ptr<Connection> conn = make_tcp_connection(std::move(socket), nullptr);
    asio::co_spawn(strand, refuse_with_line(std::move(conn), service.lines.too_many), asio::detached);
  }

  void on_unix_accepted(unix_socket::socket socket, const std::shared_ptr<Service>& service,
                        const std::string& path) {
    Executor strand = socket.get_executor();
    if (const char* limit = admit({}, false)) {
      log::info("connection_refused", {{"service", service->name}, {"ip", "local"}, {"limit", limit}});
      if (!service->lines.too_many.empty()) {
        std::shared_ptr<Connection> conn = make_unix_connection(std::move(socket), path);
        asio::co_spawn(strand, refuse_with_line(std::move(conn), service->lines.too_many), asio::detached);
      }
      return;
    }
    start(make_unix_connection(std::move(socket), path), service, strand);
  }

  template <class L, class OnAccepted>
  static awaitable<void> accept_loop(std::shared_ptr<Impl> self, std::shared_ptr<L> listener,
                                     OnAccepted on_accepted) {
    for (;;) {
      error_code ec;
      Executor strand = asio::make_strand(self->runtime.context_for(listener->service->plane));
      auto socket = co_await listener->acceptor.async_accept(strand, asio::redirect_error(asio::use_awaitable, ec));
      if (!listener->acceptor.is_open() || ec == asio::error::operation_aborted) co_return;
      if (ec) {  // EMFILE and friends: back off instead of spinning
        log::warn("accept_failed", {{"service", listener->service->name}, {"error", ec.message()}});
        co_await sleep_for(100ms);
        continue;
      }
      on_accepted(*self, std::move(socket), listener);
    }
  }

  void stop_accepting() {
    std::lock_guard lock(mu);
    for (auto& l : tcp_listeners)
      asio::post(l->acceptor.get_executor(), [l] {
        error_code ec;
        l->acceptor.close(ec);
      });
    for (auto& l : unix_listeners)
      asio::post(l->acceptor.get_executor(), [l] {
        error_code ec;
        if (l->acceptor.is_open()) ::unlink(l->address.c_str());
        l->acceptor.close(ec);
      });
  }

  awaitable<void> wait_until_empty(std::chrono::milliseconds limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (count() > 0 && std::chrono::steady_clock::now() < deadline) co_await sleep_for(10ms);
  }
};

Server::Server(Runtime& runtime, ServerLimits limits) : impl_(std::make_shared<Impl>(runtime, limits)) {}

Server::~Server() { impl_->stop_accepting(); }

void Server::set_tls_context(std::shared_ptr<ssl::context> context) {
  std::lock_guard lock(impl_->mu);
  impl_->tls_context = std::move(context);
}

std::uint16_t Server::add_tcp(std::string name, std::string bind_address, std::uint16_t port, TlsMode tls,
                              Handler handler, ServiceLines lines, Plane plane) {
  if (tls == TlsMode::implicit && !impl_->current_tls())
    throw std::runtime_error(name + ": implicit TLS needs a certificate (no TLS context configured)");
  const tcp::endpoint endpoint(parse_bind_address(name, bind_address), port);
  const std::string where = endpoint_text(endpoint);
  auto service = std::make_shared<Service>(Service{name, tls, std::move(handler), std::move(lines), plane});
  auto listener = std::make_shared<TcpListener>(asio::make_strand(impl_->runtime.context()), service, where);
  auto& acceptor = listener->acceptor;
  error_code ec;
  acceptor.open(endpoint.protocol(), ec);
  if (ec) throw_listen_error(name, where, "open socket for", ec);
  acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (endpoint.address().is_v6()) acceptor.set_option(asio::ip::v6_only(true), ec);
  acceptor.bind(endpoint, ec);
  if (ec) throw_listen_error(name, where, "bind", ec);
  acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) throw_listen_error(name, where, "listen on", ec);
  const std::uint16_t bound_port = acceptor.local_endpoint(ec).port();
  {
    std::lock_guard lock(impl_->mu);
    impl_->tcp_listeners.push_back(listener);
  }
  log::info("listening", {{"service", name}, {"address", where}, {"port", bound_port}});
  asio::co_spawn(listener->acceptor.get_executor(),
                 Impl::accept_loop(impl_, listener,
                                   [](Impl& self, tcp::socket s, const std::shared_ptr<TcpListener>& l) {
                                     self.on_tcp_accepted(std::move(s), l->service);
                                   }),
                 asio::detached);
  return bound_port;
}

void Server::add_unix(std::string name, std::string path, Handler handler, ServiceLines lines,
                      unsigned permissions) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) throw std::runtime_error(name + ": " + path + " exists and is not a socket");
    ::unlink(path.c_str());  // left over from a previous run
  }
  if (path.size() >= sizeof(sockaddr_un{}.sun_path))
    throw std::runtime_error(name + ": socket path too long: " + path);
  auto service = std::make_shared<Service>(Service{name, TlsMode::plain, std::move(handler), std::move(lines)});
  auto listener = std::make_shared<UnixListener>(asio::make_strand(impl_->runtime.context()), service, path);
  auto& acceptor = listener->acceptor;
  const unix_socket::endpoint endpoint(path);
  error_code ec;
  acceptor.open(endpoint.protocol(), ec);
  if (ec) throw_listen_error(name, path, "open socket for", ec);
  acceptor.bind(endpoint, ec);
  if (ec) throw_listen_error(name, path, "bind", ec);
  if (::chmod(path.c_str(), permissions) != 0)
    throw std::runtime_error(name + ": cannot chmod " + path + ": " + std::strerror(errno));
  acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) throw_listen_error(name, path, "listen on", ec);
  {
    std::lock_guard lock(impl_->mu);
    impl_->unix_listeners.push_back(listener);
  }
  log::info("listening", {{"service", name}, {"address", path}});
  asio::co_spawn(listener->acceptor.get_executor(),
                 Impl::accept_loop(impl_, listener,
                                   [](Impl& self, unix_socket::socket s, const std::shared_ptr<UnixListener>& l) {
                                     self.on_unix_accepted(std::move(s), l->service, l->address);
                                   }),
                 asio::detached);
}

void Server::stop_accepting() { impl_->stop_accepting(); }

awaitable<void> Server::shutdown(std::chrono::milliseconds grace) {
  auto self = impl_;
  self->stop_accepting();
  auto live = self->snapshot();
  log::info("shutdown_started", {{"connections", live.size()}, {"grace_ms", grace.count()}});
  for (auto& [conn, service] : live) conn->request_shutdown(service->lines.farewell);
  live.clear();
  co_await self->wait_until_empty(grace);
  auto rest = self->snapshot();
  if (!rest.empty()) {
    log::warn("shutdown_closing", {{"connections", rest.size()}});
    for (auto& [conn, service] : rest) conn->post_close();
    rest.clear();
    co_await self->wait_until_empty(5s);
  }
}

std::size_t Server::connection_count() const { return impl_->count(); }

}  // namespace kurier::net
