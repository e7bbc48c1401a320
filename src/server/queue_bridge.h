// Wiring between the delivery service and the outbound queue, which know nothing of each other:
//  - delivery's RelayHook: recipients that aliases or Sieve send to other domains are queued
//    with their RFC 3461 parameters (RET/ENVID, NOTIFY/ORCPT as delivery computed them);
//  - delivery's NoticeHook: "delivered"/"expanded" success notices (RFC 3461 6.2) for local
//    deliveries, and "failed" DSNs for recipients that failed after SMTP accepted the message,
//    are written like the queue's DSNs (queue/dsn.h);
//  - the queue's notifier: DSNs and notices go into the sender's mailbox when the sender is
//    local, else back into the queue with the null sender.
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

namespace kurier::server {

class QueueBridge final : public delivery::RelayHook, public delivery::NoticeHook {
 public:
  QueueBridge(queue::Queue& q, delivery::DeliveryService& d, directory::Directory& dir, std::string hostname)
      : queue_(q), delivery_(d), dir_(dir), hostname_(std::move(hostname)) {}

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
};

}  // namespace kurier::server
