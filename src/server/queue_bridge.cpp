// QueueBridge: see queue_bridge.h.
#include "server/queue_bridge.h"

#include <algorithm>
#include <ctime>
#include <stdexcept>

#include "common/log.h"
#include "delivery/delivery_service.h"
#include "delivery/dsn_params.h"
#include "directory/directory.h"
#include "queue/dsn.h"
#include "queue/queue.h"
#include "srs/codec.h"

namespace kurier::server {
namespace {

bool is_local_domain(directory::Directory& dir, std::string_view address) {
  auto at = address.rfind('@');
  return dir.find_domain(at == std::string_view::npos ? address : address.substr(at + 1)).has_value();
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

bool has_8bit(std::string_view text) {
  return std::any_of(text.begin(), text.end(), [](unsigned char c) { return c >= 0x80; });
}

}  // namespace

// DSNs from the queue (and success notices from delivery): into the local mailbox when the
// original sender is local, else queued with the null sender (RFC 3461 6.2).
void QueueBridge::notify(const queue::Notification& n) {
  const std::string recipient = notice_recipient(n.recipient);
  if (!is_local_domain(dir_, recipient)) {
    auto writer = queue_.begin({"", {{recipient, 0, ""}}, queue::Ret::unspecified, "", false, "", ""});
    n.write([&](std::string_view s) { writer->write(s); });
    writer->commit();
    return;
  }
  auto check = delivery_.check_recipient(recipient);
  if (check.status.kind == delivery::RecipientStatus::Kind::permanent) {
    log::warn("queue.notice_dropped", {{"id", n.queue_id}, {"to", recipient}, {"reason", check.status.text}});
    return;  // no such local sender any more: like Postfix without a postmaster copy
  }
  if (!check.status.ok()) throw std::runtime_error(check.status.text);
  auto sink = delivery_.begin_message({"", "", {recipient}, {}, {}});
  n.write([&](std::string_view s) { sink.write(s); });
  auto results = delivery_.deliver(std::move(sink), {{recipient, check.resolution, {}}});
  if (!results.at(0).ok()) throw std::runtime_error(results[0].text);
}

// The envelope sender of a relayed copy: SRS-rewritten when it is someone else's (forwarding).
std::string QueueBridge::forwarding_sender(std::string_view sender) const {
  if (!srs_ || sender.empty() || is_local_domain(dir_, sender)) return std::string(sender);
  std::string rewritten = srs_->forward(sender, int64_t(std::time(nullptr)));
  if (rewritten != sender) log::info("queue.srs_forward", {{"from", sender}, {"srs", rewritten}});
  return rewritten;
}

// Where a DSN about a message goes: an SRS sender of ours is turned back into the original
// (SRS1 into the SRS0 address at the previous forwarder), which then gets the DSN as any
// remote sender would.
std::string QueueBridge::notice_recipient(const std::string& recipient) const {
  if (!srs_ || !srs::Codec::looks_like_srs(recipient)) return recipient;
  auto r = srs_->reverse(recipient, int64_t(std::time(nullptr)));
  return r.ok() ? r.address : recipient;
}

void QueueBridge::relay(const delivery::RelayRequest& r) {
  queue::EnqueueRequest req;
  req.sender = forwarding_sender(r.sender);
  req.ret = queue_ret(r.dsn.ret);
  req.envid = r.dsn.envid;
  req.authenticated_as = r.origin.authenticated_as;
  req.client_ip = r.origin.client_ip;
  for (const auto& a : r.recipients) req.recipients.push_back({a.address, a.dsn.notify, a.dsn.orcpt});
  auto writer = queue_.begin(std::move(req));
  writer->write(r.trace);  // Delivered-To of an alias or forward (delivery/trace.h)
  writer->write(r.message);
  writer->commit();
}

// Runs on the delivery thread after the message is stored; a local sender's notice is one
// more (nested) delivery, a remote one is queued. Failures return the whole message unless
// RET=HDRS (or it is too large); otherwise, and for success notices as Postfix does, the header
// section only — and never more: the sender may be forged, so a message without an empty line
// must not pass whole (queue::header_section keeps only header-field lines).
void QueueBridge::report(queue::NoticeKind kind, const delivery::Notice& n) {
  int64_t now = int64_t(std::time(nullptr));
  queue::DsnReport report;
  report.kind = kind;
  report.reporting_mta = hostname_;
  report.envid = n.dsn.envid;
  report.original_sender = std::string(n.sender);
  report.arrival = report.now = now;
  report.return_full_message = kind == queue::NoticeKind::failure && n.dsn.ret != delivery::DsnReturn::headers &&
                               n.message.size() <= queue::DsnReport::kMaxReturnedBytes;
  const std::string headers = queue::header_section(n.message);
  report.eight_bit = has_8bit(headers);
  for (const auto& r : n.recipients)
    report.recipients.push_back({r.address, r.orcpt, r.action, r.status, "", r.diagnostic, now});
  queue::Notification note;
  note.recipient = std::string(n.sender);
  note.kind = kind;
  std::string_view message = report.return_full_message ? n.message : std::string_view(headers);
  note.write = [&report, message](const queue::ByteSink& sink) {
    queue::write_dsn(report, sink, [message](const queue::ByteSink& s) { s(message); });
  };
  notify(note);
  log::info("delivery.notice", {{"kind", queue::to_string(kind)}, {"to", n.sender}, {"recipients", n.recipients.size()}});
}

void QueueBridge::success(const delivery::Notice& n) { report(queue::NoticeKind::success, n); }
void QueueBridge::failure(const delivery::Notice& n) { report(queue::NoticeKind::failure, n); }

}  // namespace kurier::server
