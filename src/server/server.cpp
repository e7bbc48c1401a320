// `kurier serve`: opens the directory and the mail store, binds every configured listener on one
// Runtime, and runs until SIGTERM/SIGINT, then stops accepting and lets sessions finish within
// limits.shutdown_grace_seconds.
#include "server/server.h"

#include "net/asio.h"  // first: it sets Boost.Asio's compile options

#include <openssl/ssl.h>
#include <sys/resource.h>

#include <ctime>
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

// A plain function, not a lambda: a coroutine lambda's captures die with the temporary closure.
net::awaitable<void> stop_server(net::Server& server, net::Runtime& runtime, std::chrono::milliseconds grace) {
  co_await server.shutdown(grace);
  log::info("shutdown.done");
  runtime.stop();
}

bool is_local_domain(directory::Directory& dir, std::string_view address) {
  auto at = address.rfind('@');
  return dir.find_domain(at == std::string_view::npos ? address : address.substr(at + 1)).has_value();
}

// DSNs from the queue (and success notices from delivery): into the local mailbox when the
// original sender is local, else queued with the null sender (RFC 3461 6.2).
void deliver_notification(delivery::DeliveryService& delivery, queue::Queue& outbound, directory::Directory& dir,
                          const queue::Notification& n) {
  if (!is_local_domain(dir, n.recipient)) {
    auto writer = outbound.begin({"", {{n.recipient, 0, ""}}, queue::Ret::unspecified, "", false});
    n.write([&](std::string_view s) { writer->write(s); });
    writer->commit();
    return;
  }
  auto check = delivery.check_recipient(n.recipient);
  if (check.status.kind == delivery::RecipientStatus::Kind::permanent) {
    log::warn("queue.notice_dropped", {{"id", n.queue_id}, {"to", n.recipient}, {"reason", check.status.text}});
    return;  // no such local sender any more: like Postfix without a postmaster copy
  }
  if (!check.status.ok()) throw std::runtime_error(check.status.text);
  auto sink = delivery.begin_message({"", "", {n.recipient}, {}});
  n.write([&](std::string_view s) { sink.write(s); });
  auto results = delivery.deliver(std::move(sink), {{n.recipient, check.resolution, {}}});
  if (!results.at(0).ok()) throw std::runtime_error(results[0].text);
}

// delivery's RFC 3461 bits and the queue's are the same NOTIFY keywords.
static_assert(unsigned(delivery::kDsnNever) == unsigned(queue::kNotifyNever) &&
              unsigned(delivery::kDsnSuccess) == unsigned(queue::kNotifySuccess) &&
              unsigned(delivery::kDsnFailure) == unsigned(queue::kNotifyFailure) &&
              unsigned(delivery::kDsnDelay) == unsigned(queue::kNotifyDelay));

queue::Ret queue_ret(delivery::DsnReturn r) {
  switch (r) {
    case delivery::DsnReturn::full: return queue::Ret::full;
    case delivery::DsnReturn::headers: return queue::Ret::headers;
    case delivery::DsnReturn::unspecified: break;
  }
  return queue::Ret::unspecified;
}

bool header_section_has_8bit(std::string_view message) {
  auto end = message.find("\r\n\r\n");
  for (unsigned char c : message.substr(0, end))
    if (c >= 0x80) return true;
  return false;
}

// Recipients that aliases or Sieve send to other domains go to the outbound queue, with their
// RFC 3461 parameters (RET/ENVID, NOTIFY/ORCPT as delivery computed them for each target). The
// stored blob starts with the Return-Path of final delivery, which a relayed copy must not
// carry (RFC 5321 4.4). Success notices for local deliveries ("delivered", "expanded") are
// written like the queue's DSNs (queue/dsn.h) and handed to deliver_notification.
class QueueRelayHook final : public delivery::RelayHook, public delivery::NoticeHook {
 public:
  QueueRelayHook(queue::Queue& q, delivery::DeliveryService& d, directory::Directory& dir, std::string hostname)
      : queue_(q), delivery_(d), dir_(dir), hostname_(std::move(hostname)) {}

  void relay(const delivery::RelayRequest& r) override {
    queue::EnqueueRequest req;
    req.sender = std::string(r.sender);
    req.ret = queue_ret(r.dsn.ret);
    req.envid = r.dsn.envid;
    for (const auto& a : r.recipients) req.recipients.push_back({a.address, a.dsn.notify, a.dsn.orcpt});
    std::string_view message = r.message;
    if (message.rfind("Return-Path:", 0) == 0) message.remove_prefix(std::min(message.size(), message.find('\n') + 1));
    queue_.enqueue(std::move(req), message);
  }

  // Runs on the delivery thread after the message is stored; a local sender's notice is one
  // more (nested) delivery, a remote one is queued. Headers only are returned, as Postfix does
  // for success notices.
  void success(const delivery::SuccessNotice& n) override {
    int64_t now = int64_t(std::time(nullptr));
    queue::DsnReport report;
    report.kind = queue::NoticeKind::success;
    report.reporting_mta = hostname_;
    report.envid = n.dsn.envid;
    report.original_sender = std::string(n.sender);
    report.arrival = report.now = now;
    report.return_full_message = false;
    report.eight_bit = header_section_has_8bit(n.message);
    for (const auto& r : n.recipients) report.recipients.push_back({r.address, r.orcpt, r.action, "2.0.0", "", "", now});
    queue::Notification note;
    note.recipient = std::string(n.sender);
    note.kind = queue::NoticeKind::success;
    std::string_view message = n.message;
    note.write = [&report, message](const queue::ByteSink& sink) {
      queue::write_dsn(report, sink, [message](const queue::ByteSink& s) { s(message); });
    };
    deliver_notification(delivery_, queue_, dir_, note);
    log::info("delivery.success_notice", {{"to", n.sender}, {"recipients", n.recipients.size()}});
  }

 private:
  queue::Queue& queue_;
  delivery::DeliveryService& delivery_;
  directory::Directory& dir_;
  std::string hostname_;
};

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
    outbound.set_notifier([&](const queue::Notification& n) { deliver_notification(delivery, outbound, *directory, n); });
    QueueRelayHook relay_hook(outbound, delivery, *directory, c.hostname);
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
