// Message-header helpers for the SMTP/LMTP session:
//  - build_received(): the trace field a server prepends (RFC 5321 4.4), with the "with"
//    protocol names of RFC 3848 (ESMTPSA, LMTPS, ...) and an RFC 5322 3.3 date;
//  - HeaderScanner: reads the top of a message (RFC 5322 2.2, 3.6) to find where the header
//    section ends and whether Message-ID, Date and From are there, with From's addresses.
// The scanner holds at most max_header_bytes; past that it stops and reports too_large.
#pragma once
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace kurier::smtp {

// RFC 5322 3.3 date-time, e.g. "Fri, 27 Nov 2026 00:49:31 +0100", in the given UTC offset.
std::string format_rfc5322_date(std::chrono::system_clock::time_point when, int utc_offset_minutes = 0);

// RFC 3848 / RFC 5321 4.4 "with" keyword: SMTP, ESMTP, ESMTPA, ESMTPS, ESMTPSA, LMTP, LMTPA, LMTPS,
// LMTPSA; for a transaction with SMTPUTF8, RFC 6531 4.3 UTF8SMTP[S][A] / UTF8LMTP[S][A].
// `esmtp` is false for a client that said HELO (ignored for LMTP).
std::string received_protocol(bool lmtp, bool esmtp, bool tls, bool authenticated, bool smtputf8 = false);

struct ReceivedInfo {
  std::string helo;            // the client's HELO/EHLO/LHLO argument as sent
  std::string reverse_dns;     // verified client host name; empty when unknown
  std::string ip;              // "192.0.2.1" or "2001:db8::1"
  std::string by_host;         // this server's name
  bool lmtp = false;
  bool esmtp = true;
  bool tls = false;
  bool authenticated = false;
  bool smtputf8 = false;       // MAIL carried SMTPUTF8: UTF-8 allowed in "for" (RFC 6531 3.7.3)
  std::string tls_details;     // e.g. "using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384"; optional
  std::string id;              // queue or message id
  std::string recipient;       // set only when the message has exactly one recipient
  std::chrono::system_clock::time_point time;
  int utc_offset_minutes = 0;
};

// The whole field, "Received: from ... ; date" folded over several lines, ending in CRLF.
// Client-supplied text (HELO) is reduced to printable ASCII without "()[];\\\"" so it cannot
// fake a comment or clause, and is truncated to 255 characters.
std::string build_received(const ReceivedInfo& info);

struct HeaderSummary {
  bool complete = false;       // the end of the header section was found (or the message ended)
  uint64_t header_bytes = 0;   // bytes of the header section, the empty line included if any
  bool too_large = false;      // no end found within max_header_bytes
  bool malformed = false;      // a line that is neither a field nor a continuation
  bool has_message_id = false;
  bool has_date = false;
  bool has_from = false;
  unsigned from_fields = 0;    // RFC 5322 3.6 allows exactly one
  std::vector<std::string> from_addresses;  // addr-specs from From, comments and brackets removed
};

class HeaderScanner {
 public:
  static constexpr size_t kDefaultMaxHeaderBytes = 256 * 1024;
  static constexpr size_t kMaxFromAddresses = 100;

  explicit HeaderScanner(size_t max_header_bytes = kDefaultMaxHeaderBytes) : max_(max_header_bytes) {}

  // Feed message bytes (CRLF or LF line ends). Returns how many bytes of `chunk` were header;
  // once done(), further calls consume nothing.
  size_t feed(std::string_view chunk);
  // Tells the scanner the message ended: a header section without an empty line ends here.
  void finish();
  bool done() const { return done_; }
  const HeaderSummary& summary() const { return summary_; }

 private:
  bool on_line(std::string_view line, size_t line_bytes);  // false: the line is not header
  void finish_field();
  void stop(bool complete);

  size_t max_;
  bool done_ = false;
  std::string line_;   // the current, unterminated line
  std::string field_;  // the current field, unfolded
  HeaderSummary summary_;
};

// Scans a whole message (or its beginning) at once.
HeaderSummary scan_headers(std::string_view message, size_t max_header_bytes = HeaderScanner::kDefaultMaxHeaderBytes);

// Addr-specs of an RFC 5322 3.4 address-list / mailbox-list ("A <a@x>, b@y (c), g: c@z;").
std::vector<std::string> extract_addresses(std::string_view value, size_t max_addresses = HeaderScanner::kMaxFromAddresses);

}  // namespace kurier::smtp
