// Trace fields and mail loops (RFC 5321 6.3, RFC 5322 3.6.7):
//  - delivered_to_field: the "Delivered-To:" line delivery writes into a local copy (one
//    recipient) and into a copy it relays for an alias or forward, naming the address that was
//    expanded. Postfix's local and virtual delivery write the same field.
//  - TraceScanner: reads the header section of a message as it streams in and notes how many
//    Received fields it has and which addresses its Delivered-To fields name.
// A message is a loop (554 5.4.6, Postfix: "mail forwarding loop") when it has more than
// kMaxReceivedFields Received fields (RFC 5321 6.3: "a simple counting of the number of
// Received: header fields in a message has proven to be an effective ... means of detecting
// loops in mail systems"; Postfix's hopcount_limit is 50), or, for one recipient, when a
// Delivered-To field names it: this server delivered or forwarded it for that address before.
#pragma once
#include <cstddef>
#include <string>
#include <string_view>
#include <unordered_set>

namespace kurier::delivery {

constexpr size_t kMaxReceivedFields = 50;

// "Delivered-To: address\r\n", with control characters of the address made spaces.
std::string delivered_to_field(std::string_view address);

class TraceScanner {
 public:
  // Feeds message bytes from the start; ignores everything after the header section.
  void feed(std::string_view bytes);
  bool header_done() const { return done_; }
  size_t received_fields() const { return received_; }
  bool too_many_hops() const { return received_ > kMaxReceivedFields; }
  // Whether a Delivered-To field names address (compared without case, <> and spaces).
  bool delivered_to(std::string_view address) const;

 private:
  static constexpr size_t kMaxFieldStart = 1024;    // bytes of a field kept for matching
  static constexpr size_t kMaxDeliveredTo = 1000;   // addresses remembered
  void end_line();
  void end_field();

  std::string field_;   // the current field, unfolded, up to kMaxFieldStart bytes
  std::string line_;    // the current line, up to kMaxFieldStart bytes
  std::unordered_set<std::string> delivered_to_;
  size_t received_ = 0;
  bool done_ = false;
};

}  // namespace kurier::delivery
