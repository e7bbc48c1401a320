// `kurier serve`: opens the directory and the mail store, binds every configured listener on one
// Runtime, and runs until SIGTERM/SIGINT, then stops accepting and lets sessions finish within
// limits.shutdown_grace_seconds.
#include "server/server.h"

#include "net/asio.h"  // first: it sets Boost.Asio's compile options

#include <openssl/ssl.h>
#include <sys/resource.h>

#include <filesystem>

#include "accounts/authenticator.h"
#include "common/log.h"
#include "delivery/delivery_service.h"
#include "directory/directory.h"
#include "net/listener.h"
#include "net/runtime.h"
#include "net/tls.h"
#include "queue/queue.h"
#include "server/protocols.h"
#include "server/queue_bridge.h"
#include "session/services.h"
#include "store/blob_store.h"
#include "store/sqlite_mail_store.h"

namespace kurier::server {
namespace {

namespace fs = std::filesystem;

std::shared_ptr<boost::asio::ssl::context> load_tls(const config::Config& c) {
  auto ctx = net::make_server_tls_context(c.tls.certificate.string(), c.tls.key.string());
  if (c.tls.min_version == "1.3") SSL_CTX_set_min_proto_version(ctx->native_handle(), TLS1_3_VERSION);
  return ctx;
}

accounts::ThrottleSettings throttle_settings(const config::Config& c) {
  return {c.auth.free_failures, c.auth.max_delay_ms, c.auth.window_seconds};
}

net::ServerLimits server_limits(const config::Config& c) {
  net::ServerLimits l;
  l.max_connections = size_t(c.limits.max_connections);
  l.max_per_ip = size_t(c.limits.max_connections_per_ip);
  return l;
}

void bind_listeners(net::Server& server, session::Services& services) {
  const auto& c = services.config;
  for (const auto& l : c.listeners) {
    if (!l.enabled || l.port == 0) continue;
    Protocol p = protocol_for(l.name);
    for (const auto& addr : c.bind) {
      server.add_tcp(l.name, addr, l.port, p.implicit_tls ? net::TlsMode::implicit : net::TlsMode::plain,
                     p.make_handler(services), p.lines);
      log::info("listen", {{"service", l.name}, {"address", addr}, {"port", l.port}, {"tls", p.implicit_tls ? "implicit" : "starttls"}});
    }
  }
  if (!c.lmtp_socket.empty()) {
    Protocol p = protocol_for("lmtp");
    server.add_unix("lmtp", c.lmtp_socket, p.make_handler(services), p.lines);
    log::info("listen", {{"service", "lmtp"}, {"socket", c.lmtp_socket}});
  }
}

// The next hop of a relay (backup MX) domain: "relay:HOST:PORT" names it; "" for other domains.
std::string relay_domain_next_hop(directory::Directory& dir, std::string_view domain) {
  auto d = dir.find_domain(domain);
  if (!d || !delivery::is_relay_domain(*d)) return "";
  return d->transport.substr(std::string_view("relay:").size());
}

// A plain function, not a lambda: a coroutine lambda's captures die with the temporary closure.
net::awaitable<void> stop_server(net::Server& server, net::Runtime& runtime, std::chrono::milliseconds grace) {
  co_await server.shutdown(grace);
  log::info("shutdown.done");
  runtime.stop();
}

// One descriptor per connection (plus files): the default soft limit of 1024 would cap a mail
// server far below max_connections, so raise it to the hard limit the system allows.
void raise_file_limit() {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
}

}  // namespace

int serve(const config::Config& c) {
  log::Level level;
  if (log::parse_level(c.log.level, level)) log::set_level(level);
  raise_file_limit();
  try {
    fs::create_directories(c.data_dir / "blobs");
    net::Runtime runtime(c.threads, c.blocking_threads);
    auto directory = directory::open_sqlite((c.data_dir / "directory.db").string());
    accounts::Authenticator authenticator(*directory, throttle_settings(c));
    store::FileBlobStore blobs(c.data_dir / "blobs");
    store::SqliteMailStore mail_store({.db_path = c.data_dir / "store.db"}, blobs);
    delivery::DeliveryService delivery(delivery::DeliverySettings::from_config(c), *directory, mail_store, blobs);
    queue::Queue outbound(queue::QueueSettings::from_config(c));
    outbound.set_local_domains([&directory](std::string_view d) { return directory->find_domain(d).has_value(); });
    outbound.set_domain_routes([&directory](std::string_view d) { return relay_domain_next_hop(*directory, d); });
    QueueBridge relay_hook(outbound, delivery, *directory, c.hostname);
    outbound.set_notifier([&](const queue::Notification& n) { relay_hook.notify(n); });
    delivery.set_relay_hook(&relay_hook);
    delivery.set_notice_hook(&relay_hook);
    session::Services services{c, runtime, *directory, authenticator, &mail_store, &blobs, &mail_store.changes(), &delivery};

    net::Server server(runtime, server_limits(c));
    server.set_tls_context(load_tls(c));
    bind_listeners(server, services);

    runtime.handle_signals(
        [&] {
          log::info("shutdown.begin", {{"connections", server.connection_count()}});
          outbound.stop();
          runtime.spawn(stop_server(server, runtime, std::chrono::seconds(c.limits.shutdown_grace_seconds)));
        },
        [&] {
          try {
            server.set_tls_context(load_tls(c));
            log::info("reload.tls", {{"certificate", c.tls.certificate.string()}});
          } catch (const std::exception& e) {
            log::error("reload.failed", {{"error", e.what()}});
          }
        });
    outbound.start(runtime);
    log::info("ready", {{"hostname", c.hostname}, {"threads", runtime.threads()}, {"data_dir", c.data_dir.string()}});
    runtime.run();
    return 0;
  } catch (const std::exception& e) {
    log::error("serve.failed", {{"error", e.what()}});
    return 1;
  }
}

}  // namespace kurier::server
