// DeliveryService: RCPT checks and the one-transaction store of a received message
// (see delivery_service.h for the policies).
#include "delivery/delivery_service.h"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <unordered_map>

#include "common/log.h"
#include "common/metrics.h"
#include "common/strings.h"
#include "config/config.h"
#include "delivery/delivery_state.h"
#include "directory/directory.h"
#include "mime/cache.h"
#include "mime/header.h"
#include "mime/part.h"
#include "store/blob_store.h"
#include "store/errors.h"
#include "store/mail_store.h"

namespace kurier::delivery {
namespace {

constexpr size_t kMaxMessageIdLength = 998;  // RFC 5322 2.1.1 line limit
constexpr int kPruneEvery = 1000;            // deliveries between duplicate-record prunes

int64_t now_seconds() { return int64_t(std::time(nullptr)); }

int32_t local_utc_offset_minutes(int64_t when) {
  std::time_t t = std::time_t(when);
  std::tm tm{};
  localtime_r(&t, &tm);
  return int32_t(tm.tm_gmtoff / 60);
}

std::string bracketed(std::string_view address) { return "<" + std::string(address) + ">"; }

// The Message-ID value as written (brackets kept, folding removed), or "" when absent.
std::string message_id_of(std::string_view message, const mime::Part& root) {
  auto header = message.substr(root.header_offset, root.header_size);
  auto value = mime::header_value(header, "Message-ID");
  if (!value) return {};
  std::string id(trim(*value));
  if (id.size() > kMaxMessageIdLength) id.resize(kMaxMessageIdLength);
  return id;
}

}  // namespace

// ---- settings and statuses ----

DeliverySettings DeliverySettings::from_config(const config::Config& c) {
  DeliverySettings s;
  s.hostname = c.hostname;
  s.state_path = c.data_dir / "delivery.db";
  s.over_quota_permanent = c.delivery.over_quota == "permanent";
  s.duplicate_window_hours = c.delivery.duplicate_window_hours;
  s.quota_warning_percent = c.delivery.quota_warning_percent;
  s.subaddress_separators = c.delivery.subaddress_separator;
  s.postmaster = c.delivery.postmaster;
  s.max_message_size = c.limits.max_message_size;
  return s;
}

RecipientStatus RecipientStatus::success(int code, std::string enhanced, std::string text) {
  return {Kind::ok, code, std::move(enhanced), std::move(text)};
}
RecipientStatus RecipientStatus::temporary(int code, std::string enhanced, std::string text) {
  return {Kind::temporary, code, std::move(enhanced), std::move(text)};
}
RecipientStatus RecipientStatus::permanent(int code, std::string enhanced, std::string text) {
  return {Kind::permanent, code, std::move(enhanced), std::move(text)};
}

// ---- the one SMTP reply (delivery_service.h) ----

namespace {

const RecipientStatus* first_of(const std::vector<RecipientStatus>& results, RecipientStatus::Kind kind) {
  auto it = std::find_if(results.begin(), results.end(), [kind](const auto& s) { return s.kind == kind; });
  return it == results.end() ? nullptr : &*it;
}

}  // namespace

RecipientStatus message_reply(const std::vector<RecipientStatus>& results) {
  if (auto temporary = first_of(results, RecipientStatus::Kind::temporary)) return *temporary;
  auto permanent = first_of(results, RecipientStatus::Kind::permanent);
  if (permanent && !first_of(results, RecipientStatus::Kind::ok)) return *permanent;
  return RecipientStatus::success(250, "2.0.0", "Message accepted");
}

bool owes_failure_notice(const std::vector<RecipientStatus>& results) {
  return !first_of(results, RecipientStatus::Kind::temporary) && first_of(results, RecipientStatus::Kind::permanent) &&
         first_of(results, RecipientStatus::Kind::ok);
}

// ---- construction ----

DeliveryService::DeliveryService(DeliverySettings settings, directory::Directory& directory, store::MailStore& store,
                                 store::BlobStore& blobs)
    : settings_(std::move(settings)),
      directory_(directory),
      store_(store),
      blobs_(blobs),
      resolver_(directory, ResolverOptions{.subaddress_separators = settings_.subaddress_separators,
                                           .max_results = settings_.max_alias_targets,
                                           .max_lookups = std::max<size_t>(5000, 5 * settings_.max_alias_targets),
                                           .postmaster = settings_.postmaster}),
      state_(std::make_unique<DeliveryState>(settings_.state_path.empty() ? ":memory:" : settings_.state_path.string())) {
  if (settings_.duplicate_window_hours > 0) state_->prune(now_seconds() - int64_t(settings_.duplicate_window_hours) * 3600);
}

DeliveryService::~DeliveryService() = default;

void DeliveryService::set_filing_hook(FilingHook* hook) { filing_ = hook ? hook : &default_filing_; }
void DeliveryService::set_relay_hook(RelayHook* hook) { relay_ = hook; }
void DeliveryService::set_notice_hook(NoticeHook* hook) { notice_ = hook; }

// ---- RCPT ----

Resolution DeliveryService::resolve_recipient(std::string_view address) const { return resolver_.resolve(address); }

RecipientStatus DeliveryService::over_quota_status(const std::string& address) const {
  // RFC 3463 4.2.2 "mailbox full"; 5.2.2 when configured permanent, as Cyrus' lmtp_over_quota_perm_failure.
  if (settings_.over_quota_permanent) return RecipientStatus::permanent(552, "5.2.2", bracketed(address) + ": mailbox full");
  return RecipientStatus::temporary(452, "4.2.2", bracketed(address) + ": mailbox full, try again later");
}

RecipientCheck DeliveryService::check_recipient(std::string_view address) {
  RecipientCheck check{RecipientStatus{}, resolve_recipient(address)};
  Resolution& r = check.resolution;
  const std::string who = bracketed(r.address);
  switch (r.kind) {
    case Resolution::Kind::unknown:
      check.status = RecipientStatus::permanent(550, "5.1.1", who + ": no such user here");
      return check;
    case Resolution::Kind::loop:
      check.status = RecipientStatus::permanent(550, "5.4.6", who + ": alias loop or too many alias targets");
      return check;
    case Resolution::Kind::temporary:
      check.status = RecipientStatus::temporary(451, "4.3.0", who + ": directory temporarily unavailable, try again later");
      return check;
    case Resolution::Kind::not_local:
      if (!relay_) {
        check.status = RecipientStatus::permanent(550, "5.7.1", who + ": relaying not available");
        return check;
      }
      r.kind = Resolution::Kind::found;  // the whole address is relayed
      r.external = {r.address};
      break;
    case Resolution::Kind::found:
      break;
  }
  if (!r.external.empty() && !relay_) {
    check.status = RecipientStatus::permanent(550, "5.7.1", who + ": relaying not available");
    return check;
  }
  try {
    for (const auto& account : r.accounts)
      if (over_quota(account)) {
        check.status = over_quota_status(r.address);
        return check;
      }
  } catch (const std::exception& e) {
    log::warn("delivery.quota_check_failed", {{"rcpt", r.address}, {"error", e.what()}});
    check.status = RecipientStatus::temporary(451, "4.3.0", who + ": mail store temporarily unavailable");
    return check;
  }
  check.status = RecipientStatus::success(250, "2.1.5", who + " OK");
  return check;
}

void DeliveryService::forget_account(int64_t account) { state_->set_quota_warned(account, false, now_seconds()); }

uint64_t DeliveryService::usage_bytes(int64_t account) { return store_.quota_usage(store::AccountId(account)).bytes; }

// Cyrus semantics: at or over the limit is full; below it anything fits. Also clears the warning
// mark once usage is back under the warning threshold.
bool DeliveryService::over_quota(const LocalRecipient& account) {
  if (account.quota == 0) return false;
  uint64_t used = usage_bytes(account.account_id);
  int pct = settings_.quota_warning_percent;
  if (pct > 0 && (unsigned __int128)used * 100 < (unsigned __int128)account.quota * unsigned(pct) &&
      state_->quota_warned(account.account_id))
    state_->set_quota_warned(account.account_id, false, now_seconds());
  return used >= account.quota;
}

// ---- DATA ----

MessageSink DeliveryService::begin_message(MessageEnvelope envelope) {
  // The store's own bound leaves room for the trace headers written before the message.
  uint64_t blob_limit = settings_.max_message_size + envelope.received.size() + 64 * 1024;
  return MessageSink(blobs_.create(blob_limit), std::move(envelope), settings_.max_message_size);
}

struct DeliveryService::Transaction {
  struct AccountWork {
    LocalRecipient account;
    std::vector<size_t> recipients;  // indices into the transaction's recipients
    std::vector<store::MailboxId> mailboxes;  // where to store
    std::vector<store::Flags> flags;
    std::optional<RecipientStatus> failure;
    struct EditedCopy {  // a copy with a header edited by Sieve (RFC 5293): a blob of its own
      store::MailboxId mailbox;
      store::Flags flags;
      std::shared_ptr<const std::string> header;
    };
    std::vector<EditedCopy> edited;
    std::vector<RedirectTo> redirects;                 // Sieve redirect targets
    std::vector<std::function<void()>> after_delivery;  // the filing decision's side effects
  };

  const MessageEnvelope& envelope;
  const std::vector<AcceptedRecipient>& recipients;
  std::vector<RecipientStatus> results;
  std::string_view message;   // the blob: local trace fields, Received, the message
  std::string_view received;  // the message as received: no Return-Path/Delivered-To
  mime::Part structure;
  std::string message_id;
  store::NewMessage new_message;
  std::vector<AccountWork> accounts;
  bool stored = false;
  std::optional<uint64_t> content_digest;  // of the client's bytes, for relay keys
};

namespace {

// Vacation replies are remembered this long: the longest period a script may ask for (90 days).
constexpr int64_t kVacationMemorySeconds = 90 * 86400;

std::vector<RecipientStatus> all(size_t n, const RecipientStatus& s) { return std::vector<RecipientStatus>(n, s); }

}  // namespace

std::vector<RecipientStatus> DeliveryService::deliver(MessageSink sink, const std::vector<AcceptedRecipient>& recipients,
                                                      ReplyStyle style) {
  const size_t n = recipients.size();
  if (n == 0) return {};
  if (sink.too_large())
    return all(n, RecipientStatus::permanent(552, "5.3.4", "message larger than " + std::to_string(settings_.max_message_size) + " bytes"));
  store::BlobId blob;
  try {
    sink.flush();
    // Placed unsynced: the store syncs all blobs of its group commit at once, before the rows
    // that reference them are committed, so 250 still means "on disk".
    blob = sink.writer_->commit_unsynced();
  } catch (const std::exception& e) {
    log::error("delivery.spool_failed", {{"error", e.what()}});
    return all(n, RecipientStatus::temporary(451, "4.3.0", "could not store the message, try again later"));
  }
  Transaction t{sink.envelope(), recipients, {}, {}, {}, {}, {}, {}, {}, false, {}};
  try {
    store::BlobView view = blobs_.open(blob);
    t.message = view.data();
    t.received = t.message.substr(std::min(t.message.size(), sink.local_trace_bytes()));
    t.structure = mime::parse_message(t.message);
    int64_t now = now_seconds();
    t.new_message = {blob, view.size(), now, local_utc_offset_minutes(now), mime::serialize(t.structure)};
    t.new_message.blob_synced = false;  // see commit_unsynced() above
    t.message_id = message_id_of(t.message, t.structure);
    t.results.resize(n);
    for (size_t i = 0; i < n; ++i)
      t.results[i] = RecipientStatus::success(250, "2.0.0", bracketed(recipients[i].resolution().address) + " delivered");
    refuse_loops(t, sink.trace());
    group_by_account(t);
    for (size_t a = 0; a < t.accounts.size(); ++a) file_for_account(t, a);
    store_targets(t);
    relay_external(t);  // after the local rows: see relay_external for why
    relay_redirects(t);
    send_success_notices(t);  // here: t.message (the blob view) is still open
    if (style == ReplyStyle::one_reply) send_failure_notice(t);
  } catch (const std::exception& e) {  // parsing/open failures: nothing was stored
    log::error("delivery.failed", {{"blob", blob.str()}, {"error", e.what()}});
    if (!t.stored) blobs_.remove(blob);
    return all(n, RecipientStatus::temporary(451, "4.3.0", "local delivery failed, try again later"));
  }
  if (!t.stored) blobs_.remove(blob);
  after_delivery(t);
  count_delivery(t);
  return t.results;
}

// /metrics and the dashboard: one message received, each local copy stored, each external
// target relayed.
void DeliveryService::count_delivery(const Transaction& t) {
  metrics::message(metrics::Message::received);
  if (t.stored) metrics::message(metrics::Message::delivered, t.accounts.size());
  size_t external = 0;
  for (const auto& r : t.recipients) external += r.resolution().external.size();
  if (external) metrics::message(metrics::Message::relayed, external);
}

namespace {

size_t target_count(const Resolution& r) { return r.accounts.size() + r.external.size(); }

// A header block (of the stored message, edited) without the trace lines delivery put on top of
// the stored message (Return-Path, Delivered-To: `local_trace`), wherever a script's addheader
// moved them: what is left is the header a relayed copy may carry.
std::string without_local_trace(std::string_view header, std::string_view local_trace) {
  std::string out(header);
  while (!local_trace.empty()) {
    size_t end = local_trace.find("\r\n");
    std::string line(local_trace.substr(0, end == std::string_view::npos ? local_trace.size() : end + 2));
    local_trace.remove_prefix(line.size());
    for (size_t at = 0; (at = out.find(line, at)) != std::string::npos; ++at) {
      if (at == 0 || out.compare(at - 2, 2, "\r\n") == 0) {
        out.erase(at, line.size());
        break;
      }
    }
  }
  return out;
}

// A reply text from a script (a Sieve reject reason): one line, at most 400 octets, so it fits
// an SMTP reply line (RFC 5321 4.5.3.1.5).
std::string single_line(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (out.size() >= 400) break;
    out += (c == '\r' || c == '\n' || c == '\t') ? ' ' : c;
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out.empty() ? "message refused by the recipient's filter" : out;
}

}  // namespace

// One AccountWork per account, however many recipients reach it (each account gets one copy);
// a hash index keeps this linear for aliases with thousands of targets.
void DeliveryService::group_by_account(Transaction& t) {
  std::unordered_map<int64_t, size_t> index;  // account id -> t.accounts
  for (size_t i = 0; i < t.recipients.size(); ++i) {
    if (!t.results[i].ok()) continue;
    for (const auto& account : t.recipients[i].resolution().accounts) {
      auto [it, fresh] = index.emplace(account.account_id, t.accounts.size());
      if (fresh) t.accounts.push_back({account, {}, {}, {}, std::nullopt, {}, {}, {}});
      t.accounts[it->second].recipients.push_back(i);
    }
  }
}

// RFC 5321 6.3 loop detection (trace.h), before anything is stored or relayed: too many
// Received fields refuse every recipient, a Delivered-To naming a recipient refuses that one.
void DeliveryService::refuse_loops(Transaction& t, const TraceScanner& trace) {
  for (size_t i = 0; i < t.recipients.size(); ++i) {
    const auto& rcpt = t.recipients[i];
    if (trace.too_many_hops()) {
      t.results[i] = RecipientStatus::permanent(554, "5.4.6", "Too many hops: more than " + std::to_string(kMaxReceivedFields) +
                                                                  " Received fields, mail forwarding loop");
    } else if (trace.delivered_to(rcpt.address) || trace.delivered_to(rcpt.resolution().address)) {
      t.results[i] = RecipientStatus::permanent(554, "5.4.6", bracketed(rcpt.resolution().address) +
                                                                  ": mail forwarding loop (Delivered-To names it)");
    } else {
      continue;
    }
    log::warn("delivery.loop", {{"rcpt", rcpt.address}, {"received", trace.received_fields()}});
  }
}

namespace {

// A recipient relayed as it is (not hosted here), rather than an alias or forward expanded here.
bool relayed_as_is(const Resolution& r) {
  return r.accounts.empty() && r.external.size() == 1 && r.external.front() == r.address;
}

}  // namespace

namespace {

// 64-bit FNV-1a: a stable digest for relay keys (the same bytes give the same key after an
// upgrade, unlike std::hash).
struct Fnv1a {
  uint64_t h = 14695981039346656037ull;
  Fnv1a& add(std::string_view s) {
    for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
    h = (h ^ 0xff) * 1099511628211ull;  // field separator: ("ab","c") differs from ("a","bc")
    return *this;
  }
};

}  // namespace

// What makes a relay request "the same" when a client retries the transaction: sender, the
// trace it carries, its targets, the Message-ID and the client's bytes (our Received field,
// which names the connection and time, excluded).
std::string DeliveryService::relay_key(Transaction& t, std::string_view trace,
                                       const std::vector<RelayRecipient>& targets) const {
  if (!t.content_digest) {  // once per transaction, however many requests it makes
    std::string_view client_bytes = t.received.substr(std::min(t.received.size(), t.envelope.received.size()));
    t.content_digest = Fnv1a().add(client_bytes).h;
  }
  Fnv1a d;
  d.add(t.envelope.sender).add(trace).add(t.message_id);
  for (const auto& r : targets) d.add(r.address);
  d.add(std::string_view(reinterpret_cast<const char*>(&*t.content_digest), sizeof(uint64_t)));
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(d.h));
  return hex;
}

bool DeliveryService::already_relayed(const std::string& key) {
  if (settings_.duplicate_window_hours <= 0) return false;
  try {
    return state_->relayed_since(key, now_seconds() - int64_t(settings_.duplicate_window_hours) * 3600);
  } catch (const std::exception& e) {  // a duplicate is better than a loss (RFC 5321 6.1)
    log::warn("delivery.relay_record_failed", {{"error", e.what()}});
    return false;
  }
}

void DeliveryService::record_relay(const std::string& key) {
  if (settings_.duplicate_window_hours <= 0) return;
  try {
    state_->record_relay(key, now_seconds());
  } catch (const std::exception& e) {
    log::warn("delivery.relay_record_failed", {{"error", e.what()}});
  }
}

// Recipients expanding to other domains go to the relay hook, each target with the NOTIFY/ORCPT
// RFC 3461 5.2.7 gives it (dsn_params.h); a target reached through several RCPTs is relayed once,
// with the parameters of the first. Addresses relayed as they are share one request; each alias
// or forward that expands to outside targets gets a request of its own, whose copy carries
// "Delivered-To: <alias>" (trace.h), so a forwarding loop through another server is recognised
// when the message comes back, and no alias's targets learn of the other recipients.
//
// One transaction, one outcome per recipient, nothing twice (the queue and the store are two
// databases, so they cannot commit together; instead):
//  1. relaying runs after the store's commit, and only for recipients whose local part was
//     stored: a recipient whose mailbox failed is retried by the client as a whole, local and
//     outside targets together, and was not queued yet;
//  2. every request has a key (relay_key: sender, trace, targets, Message-ID, the client's
//     bytes), recorded in delivery.db after the queue made it durable and remembered for
//     duplicate_window_hours. SMTP answers one reply, so a 4xx for another recipient makes the
//     client retry everything: the retry finds the key and does not queue the request again
//     (like the store's Message-ID suppression of the local copies).
// A crash between the queue's commit and the record can cost one duplicate, never a loss.
void DeliveryService::relay_external(Transaction& t) {
  struct Group {
    std::string trace;
    std::vector<RelayRecipient> targets;
    bool failed = false;
  };
  std::vector<Group> groups(1);                      // [0]: addresses relayed as they are
  std::unordered_map<std::string, size_t> group_of;  // target -> the group carrying it
  std::vector<std::pair<size_t, std::vector<size_t>>> needs;  // recipient -> groups with its targets
  for (size_t i = 0; i < t.recipients.size(); ++i) {
    const auto& rcpt = t.recipients[i];
    if (!t.results[i].ok() || rcpt.resolution().external.empty()) continue;
    size_t mine = 0;
    if (!relayed_as_is(rcpt.resolution())) {
      mine = groups.size();
      groups.push_back({delivered_to_field(rcpt.address), {}});
    }
    size_t targets = target_count(rcpt.resolution());
    std::vector<size_t> used;
    for (const auto& e : rcpt.resolution().external) {
      auto [it, fresh] = group_of.emplace(e, mine);
      if (fresh) groups[mine].targets.push_back({e, expanded_dsn(rcpt.dsn, rcpt.address, e, targets)});
      used.push_back(it->second);
    }
    needs.push_back({i, std::move(used)});
  }
  for (auto& g : groups) {
    if (g.targets.empty()) continue;
    std::string key = relay_key(t, g.trace, g.targets);
    if (already_relayed(key)) {
      log::info("delivery.relay_retried", {{"key", key}, {"recipients", g.targets.size()}});
      continue;  // queued by an earlier attempt of this transaction
    }
    try {
      if (!relay_) throw std::runtime_error("no relay configured");
      relay_->relay({t.envelope.sender, g.targets, t.received, t.envelope.dsn, t.envelope.origin, g.trace});
      record_relay(key);
    } catch (const std::exception& e) {
      log::warn("delivery.relay_failed", {{"recipients", g.targets.size()}, {"error", e.what()}});
      g.failed = true;
    }
  }
  for (const auto& [i, used] : needs)
    if (std::any_of(used.begin(), used.end(), [&](size_t g) { return groups[g].failed; }))
      t.results[i] = RecipientStatus::temporary(451, "4.3.0", "relaying failed, try again later");
}

// Sieve redirects (RFC 5228 4.2), each account's to its targets, through the same relay hook as
// aliases and with the same retry keys, so a 4xx and the client's retry queue them once. The
// copy carries Delivered-To: <account>, so a redirect that comes back is refused as a loop.
// Copies whose header Sieve edited (RFC 5293) leave with that header: it replaces the received
// header section, written before the body as the relay's trace, so the body is never copied.
void DeliveryService::relay_redirects(Transaction& t) {
  for (size_t a = 0; a < t.accounts.size(); ++a) {
    auto& w = t.accounts[a];
    std::vector<std::vector<RedirectTo>> groups;  // one per distinct header (null first)
    for (const auto& r : w.redirects) {
      auto same = std::find_if(groups.begin(), groups.end(), [&](const auto& g) { return g.front().header == r.header; });
      if (same == groups.end()) groups.push_back({r});
      else same->push_back(r);
    }
    for (const auto& group : groups) {
      if (w.failure) break;
      relay_redirect_group(t, a, group);
    }
  }
}

void DeliveryService::relay_redirect_group(Transaction& t, size_t account_index, const std::vector<RedirectTo>& group) {
  auto& w = t.accounts[account_index];
  std::vector<RelayRecipient> targets;
  for (const auto& r : group) targets.push_back({r.address, {}});
  std::string trace = delivered_to_field(w.account.address);
  std::string_view message = t.received;
  if (group.front().header) {
    // The edited block is of the stored message: its fields, less our own trace fields on top,
    // go out as the trace; then the received message from its empty line on.
    std::string_view local_trace = t.message.substr(0, t.message.size() - t.received.size());
    std::string fields = without_local_trace(*group.front().header, local_trace);
    if (fields.size() >= 2 && fields.compare(fields.size() - 2, 2, "\r\n") == 0) fields.resize(fields.size() - 2);
    trace += fields;
    size_t end = t.received.find("\r\n\r\n");
    message = end == std::string_view::npos ? std::string_view("\r\n") : t.received.substr(end + 2);
  }
  std::string key = relay_key(t, trace, targets);
  if (already_relayed(key)) return;
  try {
    if (!relay_) throw std::runtime_error("no relay configured");
    relay_->relay({t.envelope.sender, targets, message, t.envelope.dsn, t.envelope.origin, trace});
    record_relay(key);
    log::info("delivery.sieve_redirect", {{"account", w.account.address}, {"targets", targets.size()}});
  } catch (const std::exception& e) {
    log::warn("delivery.redirect_failed", {{"account", w.account.address}, {"error", e.what()}});
    w.failure = RecipientStatus::temporary(451, "4.3.0", bracketed(w.account.address) + ": redirect failed, try again later");
    for (size_t i : w.recipients)
      if (t.results[i].ok()) t.results[i] = *w.failure;
  }
}

// fileinto :create (RFC 5490 3.2): the mailbox is made, and subscribed like the user's own.
std::optional<store::MailboxInfo> DeliveryService::create_for_fileinto(const LocalRecipient& account,
                                                                        const std::string& name) {
  store::AccountId id(account.account_id);
  try {
    auto box = store_.create_mailbox(id, name);
    log::info("delivery.mailbox_created", {{"account", account.address}, {"mailbox", name}});
    return box;
  } catch (const store::StoreError& e) {
    if (e.code() != store::StoreErrc::already_exists) {
      log::warn("delivery.mailbox_create_failed", {{"account", account.address}, {"mailbox", name}, {"error", e.what()}});
      return std::nullopt;  // fileinto falls back to INBOX, as for any missing mailbox
    }
    return store_.find_mailbox(id, name);
  }
}

// RFC 3461 NOTIFY=SUCCESS for what was settled here: "delivered" into one local mailbox
// (5.2.3), "expanded" for an alias with several targets (5.2.7.3). A single outside target is
// the queue's to report. Never for the null sender (a notice about a notice), never fatal.
void DeliveryService::send_success_notices(Transaction& t) {
  if (!notice_ || t.envelope.sender.empty()) return;
  std::vector<NoticeRecipient> owed;
  for (size_t i = 0; i < t.recipients.size(); ++i) {
    const auto& rcpt = t.recipients[i];
    if (!t.results[i].ok() || !wants_success(rcpt.dsn)) continue;
    size_t targets = target_count(rcpt.resolution());
    if (targets > 1)
      owed.push_back({rcpt.address, rcpt.dsn.orcpt, "expanded", "2.0.0", ""});
    else if (rcpt.resolution().accounts.size() == 1)
      owed.push_back({rcpt.address, rcpt.dsn.orcpt, "delivered", "2.0.0", ""});
  }
  if (owed.empty()) return;
  try {
    notice_->success({t.envelope.sender, t.envelope.dsn, owed, t.message});
  } catch (const std::exception& e) {
    log::warn("delivery.notice_failed", {{"to", t.envelope.sender}, {"recipients", owed.size()}, {"error", e.what()}});
  }
}

// RFC 5321 6.1: "If there is a delivery failure after acceptance of a message, the
// receiver-SMTP MUST formulate and mail a notification message ... unless the reverse-path is
// null". SMTP is about to answer 250 with these permanent failures, so the sender gets one DSN
// (RFC 3464) naming them, unless their NOTIFY excludes FAILURE (RFC 3461 4.1). If it cannot be
// made durable, the failures become temporary and the client retries the whole message.
void DeliveryService::send_failure_notice(Transaction& t) {
  if (!owes_failure_notice(t.results)) return;
  std::vector<NoticeRecipient> owed;
  std::vector<size_t> who;
  for (size_t i = 0; i < t.recipients.size(); ++i) {
    const auto& s = t.results[i];
    if (s.kind != RecipientStatus::Kind::permanent || !wants_failure(t.recipients[i].dsn)) continue;
    std::string diagnostic = "X-Kurier; " + std::to_string(s.code) + " " + s.enhanced + " " + s.text;
    owed.push_back({t.recipients[i].address, t.recipients[i].dsn.orcpt, "failed", s.enhanced, diagnostic});
    who.push_back(i);
  }
  if (owed.empty()) return;
  if (t.envelope.sender.empty()) {
    log::info("delivery.failure_not_reported", {{"recipients", owed.size()}, {"reason", "null sender"}});
    return;
  }
  try {
    if (!notice_) throw std::runtime_error("no notice hook to send the DSN with");
    notice_->failure({t.envelope.sender, t.envelope.dsn, owed, t.received});
    log::info("delivery.failure_notice", {{"to", t.envelope.sender}, {"recipients", owed.size()}});
  } catch (const std::exception& e) {
    log::warn("delivery.failure_notice_failed", {{"to", t.envelope.sender}, {"error", e.what()}});
    for (size_t i : who)
      t.results[i] = RecipientStatus::temporary(451, "4.3.0", bracketed(t.recipients[i].address) +
                                                                  ": delivery failed and could not be reported, try again later");
  }
}

store::MailboxId DeliveryService::inbox_of(const LocalRecipient& account) {
  auto inbox = store_.find_mailbox(store::AccountId(account.account_id), "INBOX");
  if (!inbox || inbox->noselect) {
    store_.create_default_mailboxes(store::AccountId(account.account_id));  // first delivery
    inbox = store_.find_mailbox(store::AccountId(account.account_id), "INBOX");
  }
  if (!inbox) throw store::StoreError(store::StoreErrc::not_found, "no INBOX for " + account.address);
  return inbox->id;
}

// Quota, filing decision, mailbox ids and duplicate check for one account.
void DeliveryService::file_for_account(Transaction& t, size_t index) {
  auto& w = t.accounts[index];
  try {
    if (over_quota(w.account)) {
      w.failure = over_quota_status(w.account.address);
      return;
    }
    const auto& first = t.recipients[w.recipients.front()];
    FilingDecision decision = filing_->decide({w.account, first.address, t.envelope.sender, t.message, t.structure});
    if (decision.reject) {
      // RFC 5429 2.1: "550 5.7.1" with the script's reason; the MDN is the DSN SMTP sends.
      w.failure = RecipientStatus::permanent(550, "5.7.1", single_line(*decision.reject));
      log::info("delivery.sieve_reject", {{"account", w.account.address}});
      return;
    }
    w.redirects = std::move(decision.redirect);
    w.after_delivery = std::move(decision.after_delivery);
    if (decision.file_into.empty() && !decision.discard && decision.redirect.empty())
      decision.file_into.push_back(FileInto{});
    int64_t since = now_seconds() - int64_t(settings_.duplicate_window_hours) * 3600;
    store::MailboxId inbox = inbox_of(w.account);  // also creates the default mailboxes at first
    for (const auto& f : decision.file_into) {
      auto box = iequals(f.mailbox, "INBOX") ? std::nullopt : store_.find_mailbox(store::AccountId(w.account.account_id), f.mailbox);
      if (!box && f.create && !iequals(f.mailbox, "INBOX")) box = create_for_fileinto(w.account, f.mailbox);
      store::MailboxId id = box && !box->noselect ? box->id : inbox;
      if (f.header) {
        w.edited.push_back({id, f.flags, f.header});
        continue;
      }
      if (std::find(w.mailboxes.begin(), w.mailboxes.end(), id) != w.mailboxes.end()) continue;
      if (settings_.duplicate_window_hours > 0 && !t.message_id.empty() && state_->delivered_since(t.message_id, id, since)) {
        log::info("delivery.duplicate", {{"account", w.account.address}, {"message_id", t.message_id}});
        continue;  // Cyrus duplicate delivery suppression: reported delivered, stored once
      }
      w.mailboxes.push_back(id);
      w.flags.push_back(f.flags);
    }
  } catch (const std::exception& e) {
    log::warn("delivery.account_failed", {{"account", w.account.address}, {"error", e.what()}});
    w.failure = RecipientStatus::temporary(451, "4.3.0", bracketed(w.account.address) + ": temporary local problem");
    w.mailboxes.clear();
  }
}

// ONE MailStore::deliver for every target of the transaction; then per-recipient results.
void DeliveryService::store_targets(Transaction& t) {
  std::vector<store::DeliveryTarget> targets;
  for (const auto& w : t.accounts)
    for (size_t i = 0; i < w.mailboxes.size(); ++i) targets.push_back({w.mailboxes[i], w.flags[i]});
  if (!targets.empty()) {
    try {
      store_.deliver(targets, t.new_message);
      t.stored = true;
    } catch (const std::exception& e) {
      log::error("delivery.store_failed", {{"targets", targets.size()}, {"error", e.what()}});
      for (auto& w : t.accounts)
        if (!w.mailboxes.empty() && !w.failure)
          w.failure = RecipientStatus::temporary(451, "4.3.0", bracketed(w.account.address) + ": mail store unavailable, try again later");
    }
  }
  for (auto& w : t.accounts)
    if (!w.failure && !w.edited.empty()) store_edited_copies(t, size_t(&w - t.accounts.data()));
  for (const auto& w : t.accounts) {
    if (!w.failure) continue;
    for (size_t i : w.recipients)
      if (t.results[i].ok()) t.results[i] = *w.failure;
  }
}

// Copies whose header a Sieve script edited: each its own blob (the new header, then the body as
// received, streamed from the stored message) and its own store transaction.
void DeliveryService::store_edited_copies(Transaction& t, size_t account_index) {
  auto& w = t.accounts[account_index];
  size_t body = t.message.find("\r\n\r\n");
  std::string_view rest = body == std::string_view::npos ? std::string_view() : t.message.substr(body + 4);
  for (const auto& copy : w.edited) {
    std::optional<store::BlobId> blob;
    try {
      auto writer = blobs_.create();
      writer->write(*copy.header);
      constexpr size_t kPiece = 1 << 20;
      for (size_t pos = 0; pos < rest.size(); pos += kPiece) writer->write(rest.substr(pos, kPiece));
      uint64_t size = writer->bytes_written();
      blob = writer->commit_unsynced();
      store::BlobView view = blobs_.open(*blob);
      mime::Part structure = mime::parse_message(view.data());
      store::NewMessage m{*blob, size, t.new_message.internal_date, t.new_message.internal_tz, mime::serialize(structure)};
      m.blob_synced = false;
      store_.deliver({store::DeliveryTarget{copy.mailbox, copy.flags}}, m);
      w.mailboxes.push_back(copy.mailbox);  // for the duplicate records and the quota warning
    } catch (const std::exception& e) {
      log::error("delivery.edited_copy_failed", {{"account", w.account.address}, {"error", e.what()}});
      if (blob) blobs_.remove(*blob);
      w.failure = RecipientStatus::temporary(451, "4.3.0", bracketed(w.account.address) + ": mail store unavailable, try again later");
      return;
    }
  }
}

// The filing decisions' side effects, duplicate records and quota warnings; failures here are
// logged, the delivery stands.
void DeliveryService::after_delivery(Transaction& t) {
  int64_t now = now_seconds();
  for (const auto& w : t.accounts) {
    if (w.failure) continue;
    for (const auto& effect : w.after_delivery) {
      try {
        effect();
      } catch (const std::exception& e) {
        log::warn("delivery.sieve_effect_failed", {{"account", w.account.address}, {"error", e.what()}});
      }
    }
    if (w.mailboxes.empty()) continue;  // nothing stored (a failure was skipped above)
    try {
      if (settings_.duplicate_window_hours > 0 && !t.message_id.empty())
        for (auto id : w.mailboxes) state_->record_delivery(t.message_id, id, now);
      maybe_warn_quota(w.account);
    } catch (const std::exception& e) {
      log::warn("delivery.bookkeeping_failed", {{"account", w.account.address}, {"error", e.what()}});
    }
  }
  try {
    if (++deliveries_ % kPruneEvery == 0) {
      if (settings_.duplicate_window_hours > 0) state_->prune(now - int64_t(settings_.duplicate_window_hours) * 3600);
      state_->prune_sieve(now, now - kVacationMemorySeconds);
    }
  } catch (const std::exception& e) {
    log::warn("delivery.prune_failed", {{"error", e.what()}});
  }
}

}  // namespace kurier::delivery
