// `kurier serve`: opens the directory and the mail store, binds every configured listener on one
// Runtime, and runs until SIGTERM/SIGINT, then stops accepting and lets sessions finish within
// limits.shutdown_grace_seconds.
#include "server/server.h"

#include "net/asio.h"  // first: it sets Boost.Asio's compile options

#include <malloc.h>
#include <openssl/ssl.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <optional>
#include <thread>

#include "accounts/admin_service.h"
#include "accounts/authenticator.h"
#include "api/api.h"
#include "accounts/sieve_scripts.h"
#include "common/log.h"
#include "delivery/delivery_service.h"
#include "directory/directory.h"
#include "directory/open.h"
#include "net/listener.h"
#include "net/runtime.h"
#include "net/tls.h"
#include "queue/queue.h"
#include "server/account_reaper.h"
#include "server/privileges.h"
#include "server/protocols.h"
#include "server/queue_bridge.h"
#include "server/sieve_filing.h"
#include "server/sieve_language.h"
#include "srs/codec.h"
#include "srs/secret.h"
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
  // A TLS handshake is part of logging in: an implicit-TLS client that never finishes it gets
  // no longer than an idle plain client before login.
  l.tls_handshake_timeout = std::min<std::chrono::milliseconds>(
      std::chrono::seconds(30), std::chrono::seconds(c.limits.login_timeout_seconds));
  return l;
}

void bind_listeners(net::Server& server, session::Services& services) {
  const auto& c = services.config;
  for (const auto& l : c.listeners) {
    if (!l.enabled || l.port == 0) continue;
    Protocol p = protocol_for(l.name);
    for (const auto& addr : l.name == "lmtp" ? c.lmtp_bind : c.bind) {
      server.add_tcp(l.name, addr, l.port, p.implicit_tls ? net::TlsMode::implicit : net::TlsMode::plain,
                     p.make_handler(services), p.lines, p.plane);
      log::info("listen", {{"service", l.name}, {"address", addr}, {"port", l.port}, {"tls", p.implicit_tls ? "implicit" : "starttls"}});
    }
  }
  if (c.sieve.legacy_port != 0) {
    // The seed's timsieved listened on 2000; clients set up for it keep working.
    Protocol p = protocol_for("managesieve");
    for (const auto& addr : c.bind) {
      server.add_tcp("managesieve", addr, uint16_t(c.sieve.legacy_port), net::TlsMode::plain, p.make_handler(services), p.lines);
      log::info("listen", {{"service", "managesieve"}, {"address", addr}, {"port", c.sieve.legacy_port}, {"tls", "starttls"}});
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

// Removed accounts' mail is purged this often (account_reaper.h): soon after `kurier user remove`.
constexpr int kPurgeIntervalSeconds = 3;

// How often the store looks for changes other processes (imports) committed.
constexpr int kExternalChangePollMs = 200;

// Blob files a crash left without a message row (written, never committed). Those older than
// this process were orphaned before it started; newer ones may belong to a delivery in flight,
// and any younger than the guest grace to an import running beside the server.
net::awaitable<void> sweep_orphan_blobs(net::Runtime& runtime, store::MailStore& store, std::time_t started) {
  try {
    int64_t min_age = std::max<int64_t>(int64_t(std::time(nullptr) - started) + 1,
                                        store::FileBlobStore::kGuestTempGraceSeconds);
    auto sweep = [&] { return store.sweep_orphan_blobs(min_age); };
    size_t removed = co_await runtime.offload(sweep);
    if (removed) log::info("store.orphans_swept", {{"blobs", removed}});
  } catch (const std::exception& e) {
    log::warn("store.sweep_failed", {{"error", e.what()}});
  }
}

// glibc gives every thread that allocates while the others hold their arenas a new arena, up to
// 8 per core, and each keeps a megabyte or two of pages that are only partly in use. With 70-odd
// threads (the blocking pool is 64) the soak (bench/soak.sh) saw all 16 arenas of a 2-core
// machine made, 1.5 MB resident each against 0.3 MB in use. One arena per core (at least two)
// keeps the resident heap near what is in use; glibc's per-thread caches keep contention low.
// Called before any thread is started.
void limit_allocator_arenas() {
  mallopt(M_ARENA_MAX, int(std::max(2u, std::thread::hardware_concurrency())));
}

// glibc keeps what is freed in its arenas for reuse. A burst of deliveries spread over the
// blocking pool, the group-commit writer and the I/O threads leaves megabytes free that no later
// burst may need: the soak (bench/soak.sh) saw anonymous memory double in 50 minutes, and
// malloc_trim(0) gave all of it back. So the server hands free memory back to the kernel once a
// minute; the call walks the arenas in well under a millisecond, on the blocking pool so that no
// session waits for it.
constexpr std::chrono::seconds kAllocatorTrimInterval{60};

// [srs] enabled: the codec with the secret from DATA/srs.secret (made at first start).
std::optional<srs::Codec> open_srs(const config::Config& c) {
  if (!c.srs.enabled) return std::nullopt;
  std::string domain = c.srs.domain.empty() ? c.hostname : c.srs.domain;
  return srs::Codec(srs::load_or_create_secret(c.data_dir / "srs.secret"), domain, c.srs.max_age_days);
}

}  // namespace

int serve(const config::Config& c) {
  limit_allocator_arenas();
  log::Level level;
  if (log::parse_level(c.log.level, level)) log::set_level(level);
  raise_file_limit();
  try {
    fs::create_directories(c.data_dir / "blobs");
    // Root hands data_dir to [server] user before anything in it is opened (privileges.h).
    std::optional<RunAs> run_as = user_to_run_as(c.user);
    if (run_as) hand_over(c.data_dir, *run_as);
    net::Runtime runtime(c.threads, c.blocking_threads);
    auto directory = directory::open_configured(c);
    accounts::Authenticator authenticator(*directory, throttle_settings(c));
    store::FileBlobStore blobs(c.data_dir / "blobs");
    // The watcher publishes what imports beside the server commit (docs/ARCHITECTURE.md,
    // "Imports and other writers beside the server").
    // Each I/O thread has a read connection of its own, for the reads IMAP runs in place.
    store::SqliteMailStore mail_store({.db_path = c.data_dir / "store.db",
                                       .thread_readers = size_t(runtime.threads()),
                                       .watch_interval_ms = kExternalChangePollMs},
                                      blobs);
    runtime.on_io_thread_start([](int index) { store::SqliteMailStore::bind_reader_slot(index); });
    delivery::DeliveryService delivery(delivery::DeliverySettings::from_config(c), *directory, mail_store, blobs);
    queue::Queue outbound(queue::QueueSettings::from_config(c));
    outbound.set_local_domains([&directory](std::string_view d) { return directory->find_domain(d).has_value(); });
    outbound.set_domain_routes([&directory](std::string_view d) { return relay_domain_next_hop(*directory, d); });
    const std::optional<srs::Codec> srs = open_srs(c);
    const srs::Codec* srs_codec = srs ? &*srs : nullptr;
    QueueBridge relay_hook(outbound, delivery, *directory, c.hostname, srs_codec);
    outbound.set_notifier([&](const queue::Notification& n) { relay_hook.notify(n); });
    delivery.set_relay_hook(&relay_hook);
    delivery.set_notice_hook(&relay_hook);
    SieveFilingHook sieve_filing(c, *directory, mail_store, delivery.state(), relay_hook);
    delivery.set_filing_hook(&sieve_filing);
    AccountReaper reaper(*directory, mail_store, delivery);
    reaper.start_up();
    accounts::SieveScripts sieve_scripts(*directory, sieve_limits(c), sieve_language(c));
    session::Services services{c, runtime, *directory, authenticator, &mail_store, &blobs, &mail_store.changes(), &delivery, srs_codec};
    services.sieve_scripts = &sieve_scripts;
    // The web admin and JSON API: the same AdminService rules as the CLI.
    accounts::AdminService admin_service(*directory);
    api::Services api_services{c, runtime, *directory, admin_service, authenticator, &sieve_scripts, &mail_store,
                               &outbound.spool(), c.dkim.enabled ? &outbound.keys() : nullptr};
    auto web_plain = api::make_application(api_services, true);
    auto web_tls = api::make_application(api_services, false);
    services.web_plain = web_plain.get();
    services.web_tls = web_tls.get();

    net::Server server(runtime, server_limits(c));
    server.set_tls_context(load_tls(c));
    bind_listeners(server, services);
    if (run_as) {
      // Again: opening the stores made files as root (SQLite's -wal/-shm, new folders). Only
      // those are changed; the rest is an lstat per file.
      hand_over(c.data_dir, *run_as);
      if (!c.lmtp_socket.empty() && fs::exists(c.lmtp_socket)) hand_over(c.lmtp_socket, *run_as);
      drop_privileges(*run_as);
    }

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
    runtime.spawn(reaper.run(runtime, kPurgeIntervalSeconds));
    runtime.spawn(sweep_orphan_blobs(runtime, mail_store, std::time(nullptr)));
    runtime.spawn(runtime.repeat_offloaded(kAllocatorTrimInterval, [] { malloc_trim(0); }, "memory.trim_failed"));
    log::info("ready", {{"hostname", c.hostname}, {"threads", runtime.threads()}, {"data_dir", c.data_dir.string()}});
    runtime.run();
    // Offloaded jobs may still be running (a delivery waiting for its group commit): the stores
    // and the directory they use are destroyed when this scope ends, so the pools finish first.
    runtime.join_pools();
    return 0;
  } catch (const std::exception& e) {
    log::error("serve.failed", {{"error", e.what()}});
    return 1;
  }
}

}  // namespace kurier::server
