// The outbound queue (the part of Postfix's qmgr + smtp + bounce that kurier needs): accepts
// messages for remote recipients durably, delivers them over SMTP, retries with backoff, and
// tells the sender what happened (RFC 3464 DSNs).
//
// Implementation notes — invariants to keep:
//  - enqueue is durable before it returns: spool file fdatasync'd and linked into place, then
//    the envelope row committed (SQLite synchronous=FULL). The SMTP session answers 250 only
//    after QueueWriter::commit() returned (RFC 5321 6.1: the server is then responsible).
//  - the envelope index (DATA/queue/queue.db) is the truth; the engine keeps nothing a restart
//    needs in memory. After kill -9, recover() makes interrupted deliveries due again (a
//    duplicate is preferred to a loss, RFC 5321 6.1).
//  - all engine state lives on one strand; blocking work (SQLite, fsync, DNS, file reads, the
//    notifier) goes through Runtime::offload. Coroutines hold the engine by shared_ptr, so one
//    that is still suspended at shutdown never touches freed memory.
//  - connections per destination (route target or MX domain) are capped by
//    [outbound] max_connections_per_domain. An attempt waiting for such a slot does not count
//    against max_in_flight (a slow destination must not stall the others); at most as many
//    attempts wait per destination as it has slots, further ones are postponed (busy_retry)
//    without counting as an attempt.
//  - each attempt at one destination has a deadline (transaction_timeout, connect to QUIT);
//    past it the connection is closed and the recipients are retried later.
//  - TLS: each target's policy (DANE, MTA-STS, require_tls, opportunistic) is decided before
//    connecting (tls_policy.h); a host that cannot give the TLS its policy requires is not
//    used, and the recipients are deferred with 4.7.5 and the reason (bounced at expiry).
//    Every delivery log line says which TLS it had and under which policy.
//  - a message with the null sender (a DSN) never causes another DSN (RFC 3461 6.2).
//  - DKIM: mail whose envelope sender's domain is local (set_local_domains) is signed at
//    enqueue — only when the request says an account authenticated to submit it, or the
//    sender or client network is in [dkim] sign_senders / sign_networks. A signature vouches
//    for the sender (DMARC), so a port-25 forgery of a hosted address relayed by an alias must
//    go out unsigned (issue 8). The DKIM-Signature fields are kept in the envelope and sent
//    before the spool file.
#pragma once
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "queue/dsn.h"
#include "queue/envelope.h"
#include "queue/spool.h"

namespace kurier::config {
struct Config;
}
namespace kurier::net {
class Runtime;
}
namespace kurier::dkim {
class KeyStore;
}

namespace kurier::queue {

class DnsResolver;

struct QueueSettings {
  std::filesystem::path dir;        // DATA/queue
  std::string hostname = "localhost";  // EHLO name, Reporting-MTA, MAILER-DAEMON@hostname
  std::string relayhost;
  std::map<std::string, std::string> routes;
  int max_connections_per_domain = 4;
  int retry_initial_seconds = 300;
  int max_queue_days = 5;
  int delay_warning_hours = 4;
  bool require_tls = false;          // verified TLS everywhere (queue/tls_policy.h)
  std::filesystem::path ca_file;     // extra trusted CAs for outbound TLS and MTA-STS
  bool system_trust = true;          // also trust the system's CA store
  bool mta_sts = true;               // RFC 8461
  bool dane = true;                  // RFC 7672
  std::vector<std::string> dns_servers;  // for the c-ares resolver; empty = resolv.conf
  uint16_t smtp_port = 25;           // of MX hosts
  uint16_t mta_sts_port = 443;       // of mta-sts.DOMAIN
  std::chrono::seconds transaction_timeout{900};  // one attempt at one destination, connect to QUIT
  uint64_t max_message_size = 50 * 1024 * 1024;
  bool dkim_enabled = true;
  std::string dkim_selector = "kurier";
  std::filesystem::path dkim_dir;   // DATA/dkim; empty = no signing
  std::vector<std::string> dkim_sign_senders;   // "user@domain" / "@domain": signed without AUTH
  std::vector<std::string> dkim_sign_networks;  // CIDR: clients signed without AUTH
  // Engine knobs (tests shorten them).
  std::chrono::milliseconds poll_interval{1000};  // how often the index is read for due mail
  std::chrono::milliseconds connect_timeout{30000};
  std::chrono::milliseconds command_timeout{300000};
  size_t max_in_flight = 100;       // messages being delivered at once (not waiting for a slot)
  std::chrono::seconds busy_retry{10};  // a message whose destination is saturated is tried again then

  static QueueSettings from_config(const config::Config& c);
};

// A DSN to hand over. write() streams the whole message (header fields and body, CRLF) into the
// sink it is given; it may be called once. The DSN's envelope sender is always <>.
struct Notification {
  std::string recipient;  // the original envelope sender
  NoticeKind kind = NoticeKind::failure;
  std::string queue_id;   // of the original message
  std::function<void(const ByteSink&)> write;
};
// Delivers a notification durably before returning (local delivery when the recipient is local,
// else Queue::begin/commit). Runs on the blocking pool. Throwing means "try again later".
using Notifier = std::function<void(const Notification&)>;

class Engine;

// Streams one message into the spool. Destroying it without commit() discards it.
class QueueWriter {
 public:
  ~QueueWriter();
  QueueWriter(const QueueWriter&) = delete;
  QueueWriter& operator=(const QueueWriter&) = delete;

  const std::string& id() const;  // the queue id, known from the start (for Received: "id")
  // Appends message bytes (CR, LF and CRLF line ends all become CRLF). Past max_message_size
  // the bytes are dropped and too_large() turns true. Throws QueueError on a write failure.
  void write(std::string_view chunk);
  bool too_large() const { return too_large_; }
  uint64_t size() const { return size_; }
  // Signs (DKIM), fsyncs and records the envelope; returns the queue id. Blocking: call through
  // Runtime::offload. Throws QueueError (too large, disk failure).
  std::string commit();

 private:
  friend class Engine;
  struct Impl;
  explicit QueueWriter(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
  uint64_t size_ = 0;
  bool too_large_ = false;
};

class Queue {
 public:
  // Opens (creates) the spool. dns = nullptr uses c-ares.
  explicit Queue(QueueSettings settings, std::shared_ptr<DnsResolver> dns = nullptr);
  ~Queue();
  Queue(const Queue&) = delete;
  Queue& operator=(const Queue&) = delete;

  // Set once, before start(). is_local(domain) says whether mail from that sender domain is
  // DKIM-signed (its keys are created on first use, see dkim/key_store.h). Called on blocking
  // threads; must be thread-safe.
  void set_local_domains(std::function<bool(std::string_view domain)> is_local);
  // Set once, before start(): the per-domain route (RouteSettings::domain_route), e.g. the
  // transport of a relay domain. Called on blocking threads; must be thread-safe.
  void set_domain_routes(std::function<std::string(std::string_view domain)> route);
  // Where DSNs go. Without one they are queued here like any other mail.
  void set_notifier(Notifier notifier);

  // Starts a message. Throws QueueError when the request is invalid (no recipients, a
  // recipient without a domain) or the spool file cannot be created. Blocking (key generation
  // on a domain's first signed message).
  std::unique_ptr<QueueWriter> begin(EnqueueRequest request);
  // begin + write + commit for a message already in memory (tests, small notices).
  std::string enqueue(EnqueueRequest request, std::string_view message);

  // Reloads the spool (interrupted deliveries become due) and starts delivering on the
  // runtime. Call once, from any thread.
  void start(net::Runtime& runtime);
  // Stops starting new deliveries; deliveries in progress end when the runtime stops (they
  // are retried after a restart). Thread-safe.
  void stop();

  Spool& spool();
  dkim::KeyStore& keys();

 private:
  std::shared_ptr<Engine> engine_;
};

}  // namespace kurier::queue
