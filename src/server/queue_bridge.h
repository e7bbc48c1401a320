// Wiring between the delivery service and the outbound queue, which know nothing of each other:
//  - delivery's RelayHook: recipients that aliases or Sieve send to other domains are queued
//    with their RFC 3461 parameters (RET/ENVID, NOTIFY/ORCPT as delivery computed them);
//  - delivery's NoticeHook: "delivered"/"expanded" success notices (RFC 3461 6.2) for local
//    deliveries, and "failed" DSNs for recipients that failed after SMTP accepted the message,
//    are written like the queue's DSNs (queue/dsn.h);
//  - the queue's notifier: DSNs and notices go into the sender's mailbox when the sender is
//    local, else back into the queue with the null sender.
//  - SRS (srs/codec.h, [srs]): a relayed message whose sender is outside the hosted domains is
//    forwarding (an alias or a Sieve redirect; submission only sends as hosted addresses), so
//    its envelope sender becomes SRS0=...@[srs] domain, as postsrsd would write it, and SPF
//    passes at the target. A DSN the queue owes such a message goes back to the original.
#pragma once
#include <string>

#include "delivery/hooks.h"

namespace kurier::directory {
class Directory;
}
namespace kurier::delivery {
class DeliveryService;
}
namespace kurier::queue {
class Queue;
struct Notification;
enum class NoticeKind;
}  // namespace kurier::queue

namespace kurier::srs {
class Codec;
}

namespace kurier::server {

class QueueBridge final : public delivery::RelayHook, public delivery::NoticeHook {
 public:
  // srs: nullptr = [srs] disabled.
  QueueBridge(queue::Queue& q, delivery::DeliveryService& d, directory::Directory& dir, std::string hostname,
              const srs::Codec* srs = nullptr)
      : queue_(q), delivery_(d), dir_(dir), hostname_(std::move(hostname)), srs_(srs) {}

  void relay(const delivery::RelayRequest& r) override;
  void success(const delivery::Notice& n) override;
  void failure(const delivery::Notice& n) override;
  // Delivers a DSN or notice from the queue (throws to make the queue retry it).
  void notify(const queue::Notification& n);

 private:
  void report(queue::NoticeKind kind, const delivery::Notice& n);
  queue::Queue& queue_;
  delivery::DeliveryService& delivery_;
  directory::Directory& dir_;
  std::string hostname_;
  const srs::Codec* srs_;

  std::string forwarding_sender(std::string_view sender) const;
  std::string notice_recipient(const std::string& recipient) const;
};

}  // namespace kurier::server
