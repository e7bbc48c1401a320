// Delivery status notifications to the envelope sender: RFC 3464 (message/delivery-status)
// inside an RFC 6522 multipart/report, in the shape Postfix sends (clients and people know it):
//   1. text/plain: what happened, one line per recipient with the remote server's answer;
//   2. message/delivery-status: Reporting-MTA, Original-Envelope-Id, Arrival-Date, then per
//      recipient Original-Recipient, Final-Recipient, Action, Status, Remote-MTA,
//      Diagnostic-Code, Last-Attempt-Date, Will-Retry-Until (delays);
//   3. the original: message/rfc822 (RET=FULL, or failures without RET) or text/rfc822-headers
//      (RET=HDRS, delay notices, and originals larger than kMaxReturnedBytes).
// The original is streamed from the spool: never held in memory. A DSN is sent with a null
// reverse-path (RFC 3461 6.2, RFC 5321 4.5.5), so it can never cause another one.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace kurier::queue {

using ByteSink = std::function<void(std::string_view)>;
// Writes the original message (DKIM prefix + spool file) into the sink it is given.
using OriginalWriter = std::function<void(const ByteSink&)>;

enum class NoticeKind { failure, delay, success };
const char* to_string(NoticeKind k);

struct DsnRecipient {
  std::string address;     // Final-Recipient
  std::string orcpt;       // ORCPT as given ("rfc822;a+2Bb@x"); "" = none
  std::string action;      // "failed", "delayed", "relayed", "delivered", "expanded"
  std::string status;      // "5.1.1"
  std::string remote_mta;  // host name; "" = none reached
  std::string diagnostic;  // "smtp; 550 5.1.1 no such user" or "X-Kurier; ..."
  int64_t last_attempt = 0;
};

struct DsnReport {
  static constexpr uint64_t kMaxReturnedBytes = 10 * 1024 * 1024;

  NoticeKind kind = NoticeKind::failure;
  std::string reporting_mta;    // our host name
  std::string queue_id;         // "" for notices about local deliveries (no queue entry)
  std::string envid;            // ENVID as given (xtext); "" = none
  std::string original_sender;  // the DSN's To:
  int64_t arrival = 0;
  int64_t now = 0;
  int64_t retry_until = 0;      // delay notices: Will-Retry-Until
  std::vector<DsnRecipient> recipients;
  bool return_full_message = true;  // false: headers only
  bool eight_bit = false;           // the original has 8-bit bytes
  std::string boundary;             // generated when empty
  std::string message_id;           // generated when empty ("<...@reporting_mta>")
};

// Writes the whole DSN (header fields, CRLF line ends) to out.
void write_dsn(const DsnReport& report, const ByteSink& out, const OriginalWriter& original);

// The header section of a message, for text/rfc822-headers and success notices: never any
// body. The header section ends at the first empty line (CRLF or LF, RFC 5322 2.1), which is
// passed on; a message without one (a forged or broken one) yields only the leading lines that
// are header fields ("name:" with a printable field name, RFC 5322 2.2, or a folded
// continuation of one, 2.2.3), up to the first line that is not. At most kMaxBytes pass, cut at
// a line end. Streams: the body is never buffered, only the current line (bounded too).
class HeaderSectionFilter {
 public:
  static constexpr size_t kMaxBytes = 256 * 1024;

  explicit HeaderSectionFilter(ByteSink sink) : sink_(std::move(sink)) {}
  void feed(std::string_view chunk);
  // The message ended: a last header line without a line end is passed on.
  void finish();
  bool done() const { return done_; }

 private:
  void take_line(std::string_view line);  // one whole line, its line end included if any

  ByteSink sink_;
  std::string line_;      // the line being read
  size_t passed_ = 0;     // bytes given to sink_
  bool in_field_ = false; // the previous line was a header field (a continuation may follow)
  bool done_ = false;
};

// The bytes HeaderSectionFilter passes on, for a message in memory.
std::string header_section(std::string_view message);

// "Name: value" folded at spaces to lines of about 78 characters, CRLF-terminated; control
// characters in value become spaces.
std::string folded_field(std::string_view name, std::string_view value);

}  // namespace kurier::queue
