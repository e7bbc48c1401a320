// Streaming codecs for the SMTP DATA body (RFC 5321 4.5.2 transparency, 4.1.1.4 end of data).
//
// DataDecoder (server side): takes the bytes after "354" in chunks of any size and emits the
// message with leading dots removed and every line ending as CRLF, stopping at CRLF "." CRLF.
// Policy, following RFC 5321 2.3.8 and Postfix's "smtpd_forbid_bare_newline = normalize":
//  - a bare LF ends a line (it is recorded and normalised to CRLF in the output);
//  - a bare CR is not a line end: it is kept as data and recorded;
//  - only CRLF "." CRLF ends the data (the first CRLF may be the start of the data). A "." line
//    next to a bare LF or CR is not an end marker; it is recorded as `suspicious_dot_line`
//    (the SMTP smuggling pattern) so the session can refuse the message.
// It holds only a fixed-size output buffer; no line is buffered whole.
//
// DotStuffer (client side): the reverse, for kurier's outbound client: doubles leading dots,
// turns bare LF and bare CR into CRLF, and finish() closes with CRLF "." CRLF.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <string_view>

namespace kurier::smtp {

using ByteSink = std::function<void(std::string_view)>;

struct DataStats {
  uint64_t raw_bytes = 0;       // bytes consumed from the wire, end marker included
  uint64_t message_bytes = 0;   // bytes of the decoded message (counted even past max_bytes)
  // Bytes of the header section including the empty line that ends it; the whole message when
  // there is no empty line (a message with only headers).
  uint64_t header_bytes = 0;
  bool header_complete = false;  // an empty line was seen
  bool bare_lf = false;
  bool bare_cr = false;
  bool suspicious_dot_line = false;
  bool too_large = false;        // message_bytes exceeded max_bytes; the excess was not emitted
  uint64_t longest_line = 0;     // without its line ending (RFC 5321 4.5.3.1.6 allows 998)
};

class DataDecoder {
 public:
  explicit DataDecoder(ByteSink sink, uint64_t max_bytes = std::numeric_limits<uint64_t>::max());

  // Consumes bytes up to and including the end marker; returns how many were consumed. Bytes after
  // the marker are the next commands (RFC 2920 pipelining) and are left to the caller.
  size_t feed(std::string_view chunk);
  bool done() const { return state_ == State::Done; }
  const DataStats& stats() const { return stats_; }

 private:
  enum class State { LineStart, Dot, DotCr, Middle, Cr, Done };

  void step(char c);
  void step_line_start(char c);
  void step_dot(char c);
  void step_dot_cr(char c);
  void step_middle(char c);
  void step_cr(char c);
  void end_line(bool crlf);
  void emit(char c);
  void flush();

  ByteSink sink_;
  uint64_t max_bytes_;
  State state_ = State::LineStart;
  bool prev_line_crlf_ = true;  // the data starts as if after a CRLF (RFC 5321 4.1.1.4)
  bool dot_after_bare_cr_ = false;
  uint64_t line_length_ = 0;
  DataStats stats_;
  std::array<char, 4096> buffer_{};
  size_t buffered_ = 0;
};

class DotStuffer {
 public:
  explicit DotStuffer(ByteSink sink) : sink_(std::move(sink)) {}

  void feed(std::string_view chunk);
  // Terminates the last line if needed and writes the end marker "." CRLF.
  void finish();

 private:
  void emit(std::string_view s);
  void flush();

  ByteSink sink_;
  bool at_line_start_ = true;
  bool pending_cr_ = false;
  std::array<char, 4096> buffer_{};
  size_t buffered_ = 0;
};

}  // namespace kurier::smtp
