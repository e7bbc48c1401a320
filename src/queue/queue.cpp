// The queue engine (see queue.h for the invariants). Layout of this file: the message writer
// (enqueue), the engine state, then the delivery pipeline in the order it runs:
// scheduler -> attempt -> deliver_group (route, connection slot) -> deliver_to_targets (SMTP
// client per address) -> settle (retry, expire, delay notice) -> finish (DSN, removal).
#include "net/asio.h"  // first: Boost.Asio configuration

#include "queue/queue.h"

#include <boost/asio/bind_executor.hpp>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <deque>
#include <optional>
#include <set>

#include "common/log.h"
#include "common/metrics.h"
#include "common/strings.h"
#include "config/config.h"
#include "dkim/key_store.h"
#include "dkim/signer.h"
#include "net/connection.h"
#include "net/connection_factory.h"
#include "net/runtime.h"
#include "net/tls.h"
#include "queue/backoff.h"
#include "queue/dns.h"
#include "queue/mta_sts_fetch.h"
#include "queue/route.h"
#include "queue/smtp_client.h"
#include "queue/tls_policy.h"
#include "queue/tls_verify.h"
#include "smtp_protocol/relay_policy.h"

namespace kurier::queue {
namespace {

namespace asio = boost::asio;
constexpr size_t kReadChunk = 256 * 1024;

int64_t now_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string domain_of(std::string_view address) {
  auto at = address.rfind('@');
  return at == std::string_view::npos ? std::string() : to_lower(address.substr(at + 1));
}

}  // namespace

QueueSettings QueueSettings::from_config(const config::Config& c) {
  QueueSettings s;
  s.dir = c.data_dir / "queue";
  s.hostname = c.hostname;
  s.relayhost = c.outbound.relayhost;
  s.routes = c.outbound.routes;
  s.max_connections_per_domain = c.outbound.max_connections_per_domain;
  s.retry_initial_seconds = c.outbound.retry_initial_seconds;
  s.max_queue_days = c.outbound.max_queue_days;
  s.delay_warning_hours = c.outbound.delay_warning_hours;
  s.require_tls = c.outbound.require_tls;
  s.ca_file = c.outbound.ca_file;
  s.mta_sts = c.outbound.mta_sts;
  s.dane = c.outbound.dane;
  s.dns_servers = c.outbound.dns_servers;
  s.smtp_port = uint16_t(c.outbound.smtp_port);
  s.mta_sts_port = uint16_t(c.outbound.mta_sts_port);
  s.transaction_timeout = std::chrono::seconds(c.outbound.transaction_timeout_seconds);
  s.max_in_flight = size_t(c.outbound.max_in_flight);
  s.max_message_size = c.limits.max_message_size;
  s.dkim_enabled = c.dkim.enabled;
  s.dkim_selector = c.dkim.selector;
  s.dkim_dir = c.data_dir / "dkim";
  s.dkim_sign_senders = c.dkim.sign_senders;
  s.dkim_sign_networks = c.dkim.sign_networks;
  return s;
}

// ---- engine state ------------------------------------------------------------------------------

class Engine : public std::enable_shared_from_this<Engine> {
 public:
  Engine(QueueSettings s, std::shared_ptr<DnsResolver> d)
      : settings(std::move(s)),
        spool(settings.dir),
        keys(settings.dkim_dir, settings.dkim_selector),
        dns(d ? std::move(d) : std::shared_ptr<DnsResolver>(make_cares_resolver(5000, 2, settings.dns_servers))),
        trust(settings.system_trust, settings.ca_file.string()) {
    if (settings.mta_sts)
      sts = std::make_unique<MtaStsResolver>(MtaStsSettings{settings.dir / "mta-sts", settings.mta_sts_port}, *dns, trust);
    policy.initial_seconds = settings.retry_initial_seconds;
    policy.max_queue_days = settings.max_queue_days;
    policy.delay_warning_hours = settings.delay_warning_hours;
    routes.relayhost = settings.relayhost;
    routes.routes = settings.routes;
    routes.smtp_port = settings.smtp_port;
  }

  // Queue::begin: validates, picks the DKIM keys, creates the spool file. Blocking.
  std::unique_ptr<QueueWriter> begin(EnqueueRequest request);

  // Wakes the scheduler (new mail, a finished attempt). Thread-safe.
  void wake() {
    if (!started.load()) return;
    asio::post(*strand, [self = shared_from_this()] { self->wake_on_strand(); });
  }
  void wake_on_strand() {
    wake_pending = true;
    if (wake_timer) wake_timer->cancel();
  }

  ClientSettings client_settings() const {
    ClientSettings c;
    c.helo_name = settings.hostname;
    c.require_tls = settings.require_tls;
    c.timeout = settings.command_timeout;
    return c;
  }

  const QueueSettings settings;
  Spool spool;
  dkim::KeyStore keys;
  std::shared_ptr<DnsResolver> dns;
  TrustStore trust;
  std::unique_ptr<MtaStsResolver> sts;  // null when [outbound] mta_sts is off
  RetryPolicy policy;
  RouteSettings routes;
  std::function<bool(std::string_view)> is_local_domain;
  Notifier notifier;

  // Set by start(); everything below is used on the strand only.
  std::atomic<bool> started{false};
  std::atomic<bool> stopping{false};
  net::Runtime* runtime = nullptr;
  std::optional<net::Executor> strand;
  std::shared_ptr<asio::ssl::context> client_tls;
  std::unique_ptr<asio::steady_timer> wake_timer;
  bool wake_pending = false;
  std::set<std::string> in_flight;  // messages in an attempt (also those waiting for a slot)
  size_t active = 0;                 // of them, those not only waiting: capped by max_in_flight
  struct Slots {
    int active = 0;
    std::deque<asio::steady_timer*> waiters;
  };
  std::map<std::string, Slots> slots;
};

// ---- writing (enqueue) -----------------------------------------------------------------------

struct QueueWriter::Impl {
  std::shared_ptr<Engine> engine;
  EnqueueRequest request;
  std::unique_ptr<SpoolFile> file;
  std::unique_ptr<dkim::Signer> signer;
  std::unique_ptr<CrlfNormalizer> normalizer;
  bool eight_bit = false;
  bool committed = false;
};

QueueWriter::QueueWriter(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {
  Impl* p = impl_.get();
  p->normalizer = std::make_unique<CrlfNormalizer>([p](std::string_view s) {
    if (p->signer) p->signer->feed(s);
    p->file->write(s);
  });
}

QueueWriter::~QueueWriter() = default;

const std::string& QueueWriter::id() const { return impl_->file->id(); }

void QueueWriter::write(std::string_view chunk) {
  if (too_large_) return;
  if (size_ + chunk.size() > impl_->engine->settings.max_message_size) {
    too_large_ = true;
    return;
  }
  size_ += chunk.size();
  if (!impl_->eight_bit)
    for (unsigned char c : chunk)
      if (c >= 0x80) {
        impl_->eight_bit = true;
        break;
      }
  impl_->normalizer->feed(chunk);
}

std::string QueueWriter::commit() {
  Impl& w = *impl_;
  if (w.committed) throw QueueError("queue: message " + id() + " already committed");
  if (too_large_) throw QueueError("queue: message larger than " + std::to_string(w.engine->settings.max_message_size) + " bytes");
  w.normalizer->finish();
  std::string prefix;
  if (w.signer) {
    try {
      prefix = w.signer->finish();
    } catch (const dkim::Error& e) {
      log::warn("queue.dkim_skipped", {{"id", id()}, {"error", e.what()}});
    }
  }
  w.file->commit();
  Envelope env;
  env.id = id();
  env.sender = w.request.sender;
  env.envid = w.request.envid;
  env.ret = w.request.ret;
  env.smtputf8 = w.request.smtputf8;
  env.eight_bit = w.eight_bit;
  env.prefix = prefix;
  env.size = prefix.size() + w.file->size();
  env.created = env.next_attempt = now_seconds();
  for (size_t i = 0; i < w.request.recipients.size(); ++i) {
    const auto& r = w.request.recipients[i];
    Recipient rc;
    rc.position = int(i);
    rc.address = r.address;
    rc.notify = r.notify;
    rc.orcpt = r.orcpt;
    env.recipients.push_back(std::move(rc));
  }
  w.engine->spool.insert(env);
  w.committed = true;
  log::info("queue.enqueued", {{"id", env.id}, {"from", env.sender}, {"recipients", env.recipients.size()},
                               {"size", env.size}, {"dkim", !prefix.empty()}});
  w.engine->wake();
  return env.id;
}

namespace {

bool sender_listed(const std::vector<std::string>& patterns, std::string_view sender) {
  std::string domain = "@" + domain_of(sender);
  return std::any_of(patterns.begin(), patterns.end(),
                     [&](const std::string& p) { return iequals(p, sender) || iequals(p, domain); });
}

// Whether the sender is known, not just claimed: our signature makes the message pass DMARC
// for the sender's domain, so an unauthenticated "MAIL FROM:<x@hosted>" must not get one.
bool sender_is_vouched_for(const QueueSettings& s, const EnqueueRequest& r) {
  if (!r.authenticated_as.empty()) return true;
  if (sender_listed(s.dkim_sign_senders, r.sender)) return true;
  return !r.client_ip.empty() && smtp::ip_in_networks(r.client_ip, s.dkim_sign_networks);
}

std::unique_ptr<dkim::Signer> make_signer(Engine& e, const EnqueueRequest& request) {
  if (!e.settings.dkim_enabled || e.settings.dkim_dir.empty() || !e.is_local_domain) return nullptr;
  std::string domain = domain_of(request.sender);
  if (domain.empty() || !e.is_local_domain(domain)) return nullptr;
  if (!sender_is_vouched_for(e.settings, request)) {
    log::info("queue.dkim_unauthenticated", {{"from", request.sender}, {"ip", request.client_ip}});
    return nullptr;
  }
  try {
    auto keys = e.keys.ensure_keys(domain);
    if (keys.empty()) return nullptr;
    return std::make_unique<dkim::Signer>(std::move(keys));
  } catch (const dkim::Error& ex) {
    log::warn("queue.dkim_unavailable", {{"domain", domain}, {"error", ex.what()}});
    return nullptr;
  }
}

}  // namespace

std::unique_ptr<QueueWriter> Engine::begin(EnqueueRequest request) {
  if (request.recipients.empty()) throw QueueError("queue: a message needs at least one recipient");
  for (const auto& r : request.recipients)
    if (domain_of(r.address).empty()) throw QueueError("queue: recipient '" + r.address + "' has no domain");
  auto impl = std::make_unique<QueueWriter::Impl>();
  impl->engine = shared_from_this();
  impl->signer = make_signer(*this, request);
  impl->request = std::move(request);
  impl->file = spool.create_file();
  return std::unique_ptr<QueueWriter>(new QueueWriter(std::move(impl)));
}

// ---- Queue -------------------------------------------------------------------------------------

Queue::Queue(QueueSettings settings, std::shared_ptr<DnsResolver> dns)
    : engine_(std::make_shared<Engine>(std::move(settings), std::move(dns))) {}

Queue::~Queue() { stop(); }

void Queue::set_local_domains(std::function<bool(std::string_view)> is_local) { engine_->is_local_domain = std::move(is_local); }
void Queue::set_notifier(Notifier notifier) { engine_->notifier = std::move(notifier); }
void Queue::set_domain_routes(std::function<std::string(std::string_view)> route) {
  engine_->routes.domain_route = std::move(route);
}
Spool& Queue::spool() { return engine_->spool; }
dkim::KeyStore& Queue::keys() { return engine_->keys; }

std::unique_ptr<QueueWriter> Queue::begin(EnqueueRequest request) { return engine_->begin(std::move(request)); }

std::string Queue::enqueue(EnqueueRequest request, std::string_view message) {
  auto writer = begin(std::move(request));
  writer->write(message);
  return writer->commit();
}

// ---- delivery pipeline -----------------------------------------------------------------------

namespace {

using EnginePtr = std::shared_ptr<Engine>;
using EnvelopePtr = std::shared_ptr<Envelope>;

// Prefix (DKIM-Signature fields), then the spool file in chunks read on the blocking pool.
class SpoolBodyReader final : public BodyReader {
 public:
  SpoolBodyReader(EnginePtr e, EnvelopePtr env) : e_(std::move(e)), env_(std::move(env)) {
    auto path = e_->spool.message_path(env_->id);
    fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) throw QueueError("queue: cannot open " + path.string() + ": " + std::strerror(errno));
  }
  ~SpoolBodyReader() override { ::close(fd_); }

  net::awaitable<std::string_view> next() override {
    if (!prefix_done_) {
      prefix_done_ = true;
      if (!env_->prefix.empty()) co_return std::string_view(env_->prefix);
    }
    buf_.resize(kReadChunk);
    ssize_t n = co_await e_->runtime->offload([this] { return ::pread(fd_, buf_.data(), buf_.size(), off_t(offset_)); });
    if (n < 0) throw QueueError("queue: cannot read message " + env_->id + ": " + std::strerror(errno));
    offset_ += uint64_t(n);
    co_return std::string_view(buf_.data(), size_t(n));
  }

 private:
  EnginePtr e_;
  EnvelopePtr env_;
  int fd_ = -1;
  bool prefix_done_ = false;
  uint64_t offset_ = 0;
  std::string buf_;
};

// Blocking: the original message into sink (for DSNs).
void write_original(Engine& e, const Envelope& env, const ByteSink& sink) {
  if (!env.prefix.empty()) sink(env.prefix);
  auto path = e.spool.message_path(env.id);
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw QueueError("queue: cannot open " + path.string() + ": " + std::strerror(errno));
  std::string buf(64 * 1024, '\0');
  for (;;) {
    ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      ::close(fd);
      throw QueueError("queue: cannot read " + path.string() + ": " + std::strerror(errno));
    }
    if (n == 0) break;
    sink(std::string_view(buf.data(), size_t(n)));
  }
  ::close(fd);
}

void default_notify(const EnginePtr& e, const Notification& n);

// Hands a notification over; false (logged) when it must be tried again later.
bool notify_blocking(const EnginePtr& e, const Notification& n) {
  try {
    if (e->notifier)
      e->notifier(n);
    else
      default_notify(e, n);
    log::info("queue.notified", {{"id", n.queue_id}, {"to", n.recipient}, {"kind", to_string(n.kind)}});
    return true;
  } catch (const std::exception& ex) {
    log::warn("queue.notify_failed", {{"id", n.queue_id}, {"to", n.recipient}, {"error", ex.what()}});
    return false;
  }
}

DsnReport make_report(const Engine& e, const Envelope& env, NoticeKind kind, int64_t now) {
  DsnReport r;
  r.kind = kind;
  r.reporting_mta = e.settings.hostname;
  r.queue_id = env.id;
  r.envid = env.envid;
  r.original_sender = env.sender;
  r.arrival = env.created;
  r.now = now;
  r.retry_until = e.policy.expiry(env.created);
  r.eight_bit = env.eight_bit;
  // Postfix: the whole message back with a failure (unless RET=HDRS), headers for the others.
  r.return_full_message = kind == NoticeKind::failure && env.ret != Ret::headers && env.size <= DsnReport::kMaxReturnedBytes;
  return r;
}

DsnRecipient dsn_recipient(const Recipient& rc, const std::string& action, int64_t last_attempt) {
  std::string status = rc.status;
  if (status.empty()) status = action == "failed" ? "5.0.0" : action == "delayed" ? "4.0.0" : "2.0.0";
  return DsnRecipient{rc.address, rc.orcpt, action, status, rc.remote_mta, rc.diagnostic, last_attempt};
}

Notification make_notification(const EnginePtr& e, const EnvelopePtr& env, DsnReport report) {
  Notification n;
  n.recipient = env->sender;
  n.kind = report.kind;
  n.queue_id = env->id;
  n.write = [e, env, report = std::move(report)](const ByteSink& sink) {
    write_dsn(report, sink, [&](const ByteSink& s) { write_original(*e, *env, s); });
  };
  return n;
}

void default_notify(const EnginePtr& e, const Notification& n) {
  EnqueueRequest req;  // the null sender: RFC 3461 6.2
  req.recipients.push_back(RecipientRequest{n.recipient, 0, ""});
  auto writer = e->begin(std::move(req));
  n.write([&](std::string_view s) { writer->write(s); });
  writer->commit();
}

// --- what one attempt did, and its share of max_in_flight (strand only) ---

// An attempt holds one of max_in_flight while any of its destination groups is doing more than
// waiting for a connection slot (Postfix's qmgr likewise does not let a saturated destination
// hold the active queue).
struct AttemptTally {
  int running = 0;     // destination groups not finished
  int waiting = 0;     // of them, waiting for a slot
  bool counted = true; // holds one of max_in_flight (the scheduler counted it at start)
  int tried = 0;       // groups that made a real attempt (routed, connected or failed)
  int postponed = 0;   // groups that found their destination saturated
};
using TallyPtr = std::shared_ptr<AttemptTally>;

void recount(Engine& e, AttemptTally& t) {
  bool should = t.running > t.waiting;
  if (should == t.counted) return;
  t.counted = should;
  if (should) {
    ++e.active;
  } else {
    --e.active;
    e.wake_on_strand();  // room for another message
  }
}

// --- connection slots per destination (strand only) ---

// True with a slot held. False when the destination is saturated and as many attempts as it
// has slots already wait for it: the caller postpones rather than queue up behind them.
net::awaitable<bool> acquire_slot(EnginePtr e, std::string key, TallyPtr tally) {
  int cap = std::max(1, e->settings.max_connections_per_domain);
  if (e->slots[key].active >= cap && int(e->slots[key].waiters.size()) >= cap) co_return false;
  bool waited = false;
  while (e->slots[key].active >= cap) {
    if (!waited) {
      waited = true;
      ++tally->waiting;
      recount(*e, *tally);
    }
    asio::steady_timer waiter(*e->strand, asio::steady_timer::time_point::max());
    e->slots[key].waiters.push_back(&waiter);
    boost::system::error_code ec;
    co_await waiter.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    auto& w = e->slots[key].waiters;
    for (auto it = w.begin(); it != w.end(); ++it)
      if (*it == &waiter) {
        w.erase(it);
        break;
      }
  }
  if (waited) {
    --tally->waiting;
    recount(*e, *tally);
  }
  ++e->slots[key].active;
  co_return true;
}

void release_slot(Engine& e, const std::string& key) {
  auto it = e.slots.find(key);
  if (it == e.slots.end()) return;
  --it->second.active;
  if (!it->second.waiters.empty()) {
    it->second.waiters.front()->cancel();
    it->second.waiters.pop_front();
  } else if (it->second.active <= 0) {
    e.slots.erase(it);
  }
}

// --- connecting ---

struct ConnectResult {
  std::unique_ptr<net::Connection> conn;
  std::string error;
};

net::awaitable<ConnectResult> connect(EnginePtr e, Target target) {
  boost::system::error_code ec;
  auto address = asio::ip::make_address(target.ip, ec);
  if (ec) co_return ConnectResult{nullptr, "invalid address " + target.ip};
  // Shared with the timeout handler, which may run after this coroutine has moved on.
  auto socket = std::make_shared<asio::ip::tcp::socket>(*e->strand);
  auto timed_out = std::make_shared<bool>(false);
  asio::steady_timer timer(*e->strand);
  timer.expires_after(e->settings.connect_timeout);
  timer.async_wait([socket, timed_out](const boost::system::error_code& tec) {
    if (tec) return;
    *timed_out = true;
    boost::system::error_code ignored;
    socket->close(ignored);
  });
  co_await socket->async_connect(asio::ip::tcp::endpoint(address, target.port),
                                 asio::redirect_error(asio::use_awaitable, ec));
  timer.cancel();
  if (ec || *timed_out)
    co_return ConnectResult{nullptr, "connect to " + target.display() + ": " +
                                         (*timed_out ? std::string("Connection timed out") : ec.message())};
  co_return ConnectResult{net::make_tcp_connection(std::move(*socket), e->client_tls), ""};
}

// --- TLS policy per target (blocking: DNS, the MTA-STS cache and fetch) ---

// RFC 7672 2.2: TLSA records count only when DNSSEC validated them; a failed lookup for a host
// of a secure MX RRset makes that host unusable (an attacker could be hiding the records).
DaneLookup lookup_dane(DnsResolver& dns, const Target& t) {
  TlsaAnswer a = dns.tlsa("_" + std::to_string(t.port) + "._tcp." + t.host);
  DaneLookup d;
  if (a.status == DnsStatus::temporary) {
    d.state = DaneLookup::State::failed;
    d.error = a.error.empty() ? "temporary DNS failure" : a.error;
  } else if (a.status == DnsStatus::ok && a.secure) {
    d.records = usable_tlsa(a.records);
    d.state = d.records.empty() ? DaneLookup::State::unusable : DaneLookup::State::records;
  }
  return d;
}

struct TlsPlan {
  std::vector<TlsDecision> targets;  // one per route target
  std::string sts_note;              // how the MTA-STS policy was found, for the log
};

TlsPlan plan_tls(Engine& e, const std::string& domain, const Route& route) {
  TlsPlan plan;
  std::optional<MtaStsPolicy> sts;
  bool mx = route.via == "mx" || route.via == "implicit-mx";
  if (mx && e.sts) {
    PolicyLookup found = e.sts->policy_for(domain, now_seconds());
    sts = found.policy;
    plan.sts_note = found.note;
  }
  std::map<std::string, DaneLookup> dane;  // per host:port, as an MX host has several addresses
  for (const Target& t : route.targets) {
    TlsInputs in;
    in.via = route.via;
    in.host = t.host;
    in.require_tls = e.settings.require_tls;
    in.sts = sts ? &*sts : nullptr;
    if (route.via == "mx" && route.dnssec && e.settings.dane) {
      std::string key = t.host + ":" + std::to_string(t.port);
      if (!dane.count(key)) dane[key] = lookup_dane(*e.dns, t);
      in.dane = dane[key];
    }
    plan.targets.push_back(decide_tls(in));
  }
  return plan;
}

// --- one destination domain ---

// What the log says about TLS for one delivery.
struct TlsOutcome {
  std::string tls = "none";          // none, unverified, verified, failed
  std::string policy = "opportunistic";
  std::string detail;
};

void apply_result(Envelope& env, Recipient& r, const RecipientResult& res, const Target& t, const TlsOutcome& tls) {
  r.status = res.status;
  r.diagnostic = res.diagnostic;
  r.remote_mta = t.host;
  const char* outcome = "deferred";
  if (res.kind == RecipientResult::Kind::delivered) {
    r.state = RecipientState::delivered;
    // RFC 3461 5.2.2: a server that took our NOTIFY reports success itself; otherwise we
    // report "relayed" (if the sender asked for success notices).
    r.success_notice_due = wants_success_notice(r.notify) && !res.remote_dsn;
    outcome = "sent";
    metrics::message(metrics::Message::sent);
    metrics::delivery_latency(double(std::max<int64_t>(0, int64_t(std::time(nullptr)) - env.created)));
  } else if (res.kind == RecipientResult::Kind::permanent) {
    r.state = RecipientState::failed;
    outcome = "bounced";
    metrics::message(metrics::Message::bounced);
  } else {
    env.last_error = res.detail;
  }
  log::info("queue.delivery", {{"id", env.id}, {"to", r.address}, {"relay", t.display()}, {"status", outcome},
                               {"dsn", res.status}, {"detail", res.detail}, {"tls", tls.tls},
                               {"tls_policy", tls.policy}});
}

void set_temporary(Envelope& env, Recipient& r, const std::string& status, const std::string& why,
                   const TlsOutcome& tls = {}) {
  r.status = status;
  r.diagnostic = "X-Kurier; " + why;
  r.remote_mta.clear();
  env.last_error = why;
  log::info("queue.delivery", {{"id", env.id}, {"to", r.address}, {"status", "deferred"}, {"dsn", status},
                               {"detail", why}, {"tls", tls.tls}, {"tls_policy", tls.policy}});
}

// The whole-transaction deadline of one destination group: when it fires, the connection in
// use is closed, which ends the SMTP session wherever it waits.
struct Deadline {
  bool expired = false;
  net::Connection* conn = nullptr;
};
using DeadlinePtr = std::shared_ptr<Deadline>;

ClientSettings client_settings_for(const EnginePtr& e, const TlsPolicy& policy, bool use_tls) {
  ClientSettings cs = e->client_settings();
  cs.use_starttls = use_tls;
  cs.require_tls = e->settings.require_tls || policy.verified_required() || policy.encryption_required;
  cs.require_verified = policy.verified_required();
  if (policy.wants_check()) {
    const TrustStore* trust = &e->trust;
    cs.check_peer = [policy, trust](const std::vector<std::string>& chain) { return check_peer(policy, *trust, chain); };
  }
  return cs;
}

struct TargetsResult {
  std::string last_error = "no address to deliver to";
  std::string last_status = "4.4.1";
  TlsOutcome last_tls;
};

// One SMTP session with one target (and one plaintext retry when opportunistic TLS failed).
net::awaitable<void> deliver_to_target(EnginePtr e, EnvelopePtr env, Target target, TlsDecision decision,
                                       std::vector<size_t>* open, DeadlinePtr deadline, TargetsResult* result) {
  ClientMessage msg{env->sender, env->size, env->eight_bit, env->smtputf8, env->ret, env->envid};
  BodyOpener opener = [e, env]() -> std::unique_ptr<BodyReader> { return std::make_unique<SpoolBodyReader>(e, env); };
  bool use_tls = true;
  for (int pass = 0; pass < 2 && !open->empty() && !deadline->expired; ++pass) {
    ConnectResult c = co_await connect(e, target);
    if (!c.conn) {
      result->last_error = c.error;
      co_return;
    }
    std::vector<ClientRecipient> rcpts;
    for (size_t i : *open) rcpts.push_back({env->recipients[i].address, env->recipients[i].notify, env->recipients[i].orcpt});
    ClientSettings cs = client_settings_for(e, decision.policy, use_tls);
    deadline->conn = c.conn.get();
    SessionOutcome out = co_await run_client_session(*c.conn, cs, target, msg, rcpts, opener);
    deadline->conn = nullptr;
    TlsOutcome tls{out.tls, decision.policy.source, out.tls_detail};
    if (decision.policy.report_only && out.tls != "verified")  // RFC 8461 5: testing mode reports only
      log::warn("queue.mta_sts_testing_failure", {{"id", env->id}, {"relay", target.display()}, {"detail", out.tls_detail}});
    std::vector<size_t> still_open;
    for (size_t k = 0; k < open->size(); ++k) {
      if (out.results[k])
        apply_result(*env, env->recipients[(*open)[k]], *out.results[k], target, tls);
      else
        still_open.push_back((*open)[k]);
    }
    *open = std::move(still_open);
    result->last_tls = tls;
    if (!out.host_error.empty()) {
      result->last_error = out.host_error;
      result->last_status = out.tls_failed && cs.require_tls ? "4.7.5" : "4.4.1";  // RFC 3463: cryptographic failure
    }
    // RFC 7435 opportunistic TLS: a failed handshake is retried in plaintext, as Postfix does.
    if (!(out.tls_failed && use_tls && !cs.require_tls)) break;
    use_tls = false;
  }
}

net::awaitable<void> deliver_to_targets(EnginePtr e, EnvelopePtr env, Route route, TlsPlan plan,
                                        std::vector<size_t> open, DeadlinePtr deadline) {
  TargetsResult result;
  for (size_t t = 0; t < route.targets.size(); ++t) {
    if (open.empty() || e->stopping || deadline->expired) break;
    const TlsDecision& decision = plan.targets[t];
    if (!decision.use_host) {
      log::info("queue.tls_skip", {{"id", env->id}, {"relay", route.targets[t].display()}, {"reason", decision.skip_reason}});
      result.last_error = decision.skip_reason;
      result.last_status = "4.7.5";
      result.last_tls.policy = decision.policy.source;
      continue;
    }
    co_await deliver_to_target(e, env, route.targets[t], decision, &open, deadline, &result);
  }
  if (deadline->expired) {
    result.last_error = "delivery to " + route.key + " aborted: the transaction deadline of " +
                        std::to_string(e->settings.transaction_timeout.count()) + " s passed";
    result.last_status = "4.4.7";
  }
  for (size_t i : open) set_temporary(*env, env->recipients[i], result.last_status, result.last_error, result.last_tls);
}

void route_failed(Envelope& env, const Route& route, const std::vector<size_t>& idx) {
  for (size_t i : idx) {
    auto& r = env.recipients[i];
    if (route.kind == Route::Kind::permanent) {
      r.state = RecipientState::failed;
      r.status = route.status;
      r.diagnostic = "X-Kurier; " + route.error;
      metrics::message(metrics::Message::bounced);
      log::info("queue.delivery", {{"id", env.id}, {"to", r.address}, {"status", "bounced"}, {"dsn", route.status}, {"detail", route.error}});
    } else {
      set_temporary(env, r, route.status, route.error);
    }
  }
}

net::awaitable<void> deliver_group_body(EnginePtr e, EnvelopePtr env, std::string domain, std::vector<size_t> idx, TallyPtr tally) {
  Route route = co_await e->runtime->offload([&] { return plan_route(domain, e->routes, *e->dns); });
  if (route.kind != Route::Kind::ok) {
    ++tally->tried;
    route_failed(*env, route, idx);
    co_return;
  }
  bool have_slot = co_await acquire_slot(e, route.key, tally);
  if (!have_slot) {
    ++tally->postponed;  // the recipients stay pending, untouched
    co_return;
  }
  ++tally->tried;
  std::string failure;
  auto deadline = std::make_shared<Deadline>();
  asio::steady_timer timer(*e->strand);
  timer.expires_after(e->settings.transaction_timeout);
  timer.async_wait([deadline](const boost::system::error_code& ec) {
    if (ec) return;
    deadline->expired = true;
    if (deadline->conn) deadline->conn->close();
  });
  try {
    TlsPlan plan = co_await e->runtime->offload([&] { return plan_tls(*e, domain, route); });
    if (!plan.sts_note.empty()) log::info("queue.mta_sts", {{"id", env->id}, {"domain", domain}, {"policy", plan.sts_note}});
    co_await deliver_to_targets(e, env, route, std::move(plan), idx, deadline);
  } catch (const std::exception& ex) {
    failure = ex.what();
  }
  timer.cancel();
  release_slot(*e, route.key);
  if (!failure.empty())
    for (size_t i : idx)
      if (env->recipients[i].state == RecipientState::pending) set_temporary(*env, env->recipients[i], "4.3.0", failure);
}

net::awaitable<void> deliver_group(EnginePtr e, EnvelopePtr env, std::string domain, std::vector<size_t> idx, TallyPtr tally) {
  co_await deliver_group_body(e, env, std::move(domain), std::move(idx), tally);
  --tally->running;
  recount(*e, *tally);
}

// Runs tasks concurrently on the strand and waits for all of them.
net::awaitable<void> run_all(EnginePtr e, std::vector<net::awaitable<void>> tasks) {
  struct Join {
    explicit Join(const net::Executor& ex) : timer(ex, asio::steady_timer::time_point::max()) {}
    size_t pending = 0;
    asio::steady_timer timer;
  };
  auto join = std::make_shared<Join>(*e->strand);
  join->pending = tasks.size();
  for (auto& t : tasks) {
    asio::co_spawn(*e->strand, std::move(t), asio::bind_executor(*e->strand, [join](std::exception_ptr p) {
                     if (p) {
                       try {
                         std::rethrow_exception(p);
                       } catch (const std::exception& ex) {
                         log::error("queue.task_failed", {{"error", ex.what()}});
                       } catch (...) {
                       }
                     }
                     if (--join->pending == 0) join->timer.cancel();
                   }));
  }
  if (join->pending > 0) {
    boost::system::error_code ec;
    co_await join->timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
}

// --- after an attempt ---

net::awaitable<void> finish(EnginePtr e, EnvelopePtr env) {
  int64_t now = now_seconds();
  bool saved = co_await e->runtime->offload([&] { return e->spool.save(*env); });
  if (!saved) co_return;  // removed meanwhile
  std::vector<DsnRecipient> failed, relayed;
  for (const auto& r : env->recipients) {
    if (r.state == RecipientState::failed && wants_failure_notice(r.notify)) failed.push_back(dsn_recipient(r, "failed", env->last_attempt));
    if (r.state == RecipientState::delivered && r.success_notice_due) relayed.push_back(dsn_recipient(r, "relayed", env->last_attempt));
  }
  bool owed = !failed.empty() || !relayed.empty();
  if (owed && env->sender.empty()) {
    // RFC 3461 6.2 / RFC 5321 4.5.5: never a DSN about a DSN.
    log::info("queue.bounce_dropped", {{"id", env->id}, {"reason", "null sender"}});
    owed = false;
  }
  if (owed) {
    DsnReport report = make_report(*e, *env, failed.empty() ? NoticeKind::success : NoticeKind::failure, now);
    report.recipients = failed;
    report.recipients.insert(report.recipients.end(), relayed.begin(), relayed.end());
    Notification n = make_notification(e, env, std::move(report));
    bool ok = co_await e->runtime->offload([&] { return notify_blocking(e, n); });
    // A notice that cannot be handed over is retried, but not forever: one more day past the
    // message's lifetime, then it is dropped (logged) like Postfix drops an undeliverable bounce.
    bool give_up = now > e->policy.expiry(env->created) + 86400;
    if (!ok && give_up) log::error("queue.notice_abandoned", {{"id", env->id}, {"to", env->sender}});
    if (!ok && !give_up) {
      env->next_attempt = now + e->policy.backoff(1);
      co_await e->runtime->offload([&] { return e->spool.save(*env); });
      co_return;
    }
  }
  co_await e->runtime->offload([&] { return e->spool.remove(env->id); });
  // "bounced" says some recipient failed; the counts say whether others were delivered.
  size_t delivered = 0, failed_count = 0;
  for (const auto& r : env->recipients) {
    if (r.state == RecipientState::delivered) ++delivered;
    if (r.state == RecipientState::failed) ++failed_count;
  }
  log::info("queue.removed", {{"id", env->id}, {"state", to_string(env->state)}, {"delivered", delivered}, {"failed", failed_count}});
}

net::awaitable<void> maybe_warn_delay(EnginePtr e, EnvelopePtr env, int64_t now) {
  if (env->sender.empty() || !e->policy.delay_warning_due(env->created, now, env->delay_warned)) co_return;
  DsnReport report = make_report(*e, *env, NoticeKind::delay, now);
  for (const auto& r : env->recipients)
    if (r.state == RecipientState::pending && wants_delay_notice(r.notify))
      report.recipients.push_back(dsn_recipient(r, "delayed", env->last_attempt));
  if (report.recipients.empty()) {
    env->delay_warned = true;  // nobody asked to hear about delays
    co_return;
  }
  Notification n = make_notification(e, env, std::move(report));
  env->delay_warned = co_await e->runtime->offload([&] { return notify_blocking(e, n); });
}

net::awaitable<void> settle(EnginePtr e, EnvelopePtr env) {
  int64_t now = now_seconds();
  if (env->pending_count() == 0) {
    bool any_failed = false;
    for (const auto& r : env->recipients) any_failed = any_failed || r.state == RecipientState::failed;
    if (env->state != MessageState::expired) env->state = any_failed ? MessageState::bounced : MessageState::delivered;
    co_await finish(e, env);
    co_return;
  }
  if (e->policy.expired(env->created, now)) {
    // RFC 3463 X.4.7: delivery time expired; the last error stays as the diagnostic.
    for (auto& r : env->recipients)
      if (r.state == RecipientState::pending) {
        r.state = RecipientState::failed;
        r.status = "4.4.7";
        metrics::message(metrics::Message::bounced);
        if (r.diagnostic.empty()) r.diagnostic = "X-Kurier; delivery time expired";
      }
    env->state = MessageState::expired;
    log::info("queue.expired", {{"id", env->id}, {"age_days", (now - env->created) / 86400}});
    co_await finish(e, env);
    co_return;
  }
  env->state = MessageState::deferred;
  env->next_attempt = e->policy.next_attempt(env->created, now, env->attempts);
  co_await maybe_warn_delay(e, env, now);
  co_await e->runtime->offload([&] { return e->spool.save(*env); });
  log::info("queue.deferred", {{"id", env->id}, {"attempts", env->attempts}, {"next_in", env->next_attempt - now},
                               {"error", env->last_error}});
}

// Nothing was tried because every destination was saturated: back into the queue, soon, without
// counting an attempt (the message is not late, its destinations are busy).
net::awaitable<void> postpone(EnginePtr e, EnvelopePtr env) {
  env->state = env->attempts > 0 ? MessageState::deferred : MessageState::queued;
  env->next_attempt = now_seconds() + e->settings.busy_retry.count();
  co_await e->runtime->offload([&] { return e->spool.save(*env); });
  log::info("queue.postponed", {{"id", env->id}, {"reason", "destination busy"}, {"next_in", e->settings.busy_retry.count()}});
}

net::awaitable<void> attempt_body(EnginePtr e, std::string id, TallyPtr tally) {
  auto loaded = co_await e->runtime->offload([&] { return e->spool.load(id); });
  if (!loaded) co_return;
  auto env = std::make_shared<Envelope>(std::move(*loaded));
  if (env->pending_count() == 0) {  // a notification that could not be sent before
    co_await finish(e, env);
    co_return;
  }
  bool marked = co_await e->runtime->offload([&] { return e->spool.set_state(id, MessageState::delivering); });
  if (!marked) co_return;
  std::map<std::string, std::vector<size_t>> by_domain;
  for (size_t i = 0; i < env->recipients.size(); ++i)
    if (env->recipients[i].state == RecipientState::pending) by_domain[domain_of(env->recipients[i].address)].push_back(i);
  std::vector<net::awaitable<void>> tasks;
  tally->running = int(by_domain.size());
  for (auto& [domain, idx] : by_domain) tasks.push_back(deliver_group(e, env, domain, idx, tally));
  co_await run_all(e, std::move(tasks));
  if (tally->tried == 0 && tally->postponed > 0) {
    co_await postpone(e, env);
    co_return;
  }
  env->attempts += 1;
  env->last_attempt = now_seconds();
  co_await settle(e, env);
}

// The scheduler counted the attempt in e->active before starting it.
net::awaitable<void> attempt(EnginePtr e, std::string id) {
  auto tally = std::make_shared<AttemptTally>();
  bool failed = false;
  try {
    co_await attempt_body(e, id, tally);
  } catch (const std::exception& ex) {
    log::error("queue.attempt_failed", {{"id", id}, {"error", ex.what()}});
    failed = true;
  }
  if (failed) {
    // Keep the message and try again later rather than spin on a persistent local error.
    co_await e->runtime->offload([&] {
      try {
        if (auto env = e->spool.load(id)) {
          env->state = env->attempts > 0 ? MessageState::deferred : MessageState::queued;
          env->next_attempt = now_seconds() + e->policy.backoff(1);
          e->spool.save(*env);
        }
      } catch (const std::exception& ex) {
        log::error("queue.attempt_failed", {{"id", id}, {"error", ex.what()}});
      }
    });
  }
  if (tally->counted) --e->active;
  e->in_flight.erase(id);
  e->wake_on_strand();
}

net::awaitable<void> scheduler(EnginePtr e) {
  RecoveryReport report = co_await e->runtime->offload([&] { return e->spool.recover(now_seconds()); });
  log::info("queue.started", {{"messages", report.messages}, {"interrupted", report.interrupted},
                              {"orphans_removed", report.orphan_files}, {"missing_files", report.missing_files}});
  e->wake_timer = std::make_unique<asio::steady_timer>(*e->strand);
  while (!e->stopping) {
    e->wake_pending = false;
    if (e->active < e->settings.max_in_flight) {
      std::vector<std::string> due;
      try {
        due = co_await e->runtime->offload([&] { return e->spool.due(now_seconds(), e->settings.max_in_flight * 2); });
      } catch (const std::exception& ex) {
        log::error("queue.scan_failed", {{"error", ex.what()}});
      }
      for (const auto& id : due) {
        if (e->stopping || e->active >= e->settings.max_in_flight) break;
        if (!e->in_flight.insert(id).second) continue;
        ++e->active;
        asio::co_spawn(*e->strand, attempt(e, id), asio::detached);
      }
    }
    if (e->wake_pending) continue;
    e->wake_timer->expires_after(e->settings.poll_interval);
    boost::system::error_code ec;
    co_await e->wake_timer->async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
  log::info("queue.stopped");
}

}  // namespace

void Queue::start(net::Runtime& runtime) {
  auto& e = *engine_;
  if (e.started.exchange(true)) return;
  e.runtime = &runtime;
  e.strand = net::Executor(asio::make_strand(runtime.next_context()));
  e.client_tls = net::make_client_tls_context(false);
  asio::co_spawn(*e.strand, scheduler(engine_), asio::detached);
}

void Queue::stop() {
  auto& e = *engine_;
  if (!e.started.load() || e.stopping.exchange(true)) return;
  asio::post(*e.strand, [engine = engine_] {
    if (engine->wake_timer) engine->wake_timer->cancel();
  });
}

}  // namespace kurier::queue
