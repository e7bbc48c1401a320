// SMTP replies, both directions: format_reply() builds what the server sends (RFC 5321 4.2,
// multi-line form 4.2.1; enhanced status codes RFC 2034 / RFC 3463 on every line), and
// ReplyParser reads what a server sent, line by line, for kurier's outbound client and tests.
#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace kurier::smtp {

// A reply as the session decides it. `text` may hold several lines separated by '\n'.
struct Reply {
  int code = 0;
  std::string enhanced;  // "5.1.7"; empty for replies without one (greeting, EHLO: RFC 2034 3)
  std::string text;

  std::string wire() const;  // format_reply(code, enhanced, text)
  friend bool operator==(const Reply&, const Reply&) = default;
};

// Formats a reply with its CRLFs: every line but the last as "250-...", the last as "250 ...".
// Each line carries the enhanced code when one is given. CR and other control characters in
// `text` are replaced by spaces so a reply can never break the line structure.
std::string format_reply(int code, std::string_view enhanced, std::string_view text);

// A reply as read from the wire.
struct ParsedReply {
  int code = 0;
  std::string enhanced;            // empty when the first line had none
  std::vector<std::string> lines;  // text of each line, reply code and enhanced code removed

  std::string text() const;  // lines joined with '\n'
  bool positive() const { return code >= 200 && code < 400; }
  bool transient_failure() const { return code >= 400 && code < 500; }
  bool permanent_failure() const { return code >= 500; }
};

// Feed one line at a time (without CRLF; a trailing CR is tolerated). Bounded: a reply of more
// than kMaxLines lines, or a line longer than kMaxLineLength, is malformed.
class ReplyParser {
 public:
  static constexpr size_t kMaxLines = 200;
  // RFC 5321 4.5.3.1.5 says 512 including CRLF; real servers exceed it, so this is generous.
  static constexpr size_t kMaxLineLength = 4096;

  enum class Status { NeedMore, Complete, Malformed };

  Status feed_line(std::string_view line);
  // The reply completed by the last feed_line() that returned Complete; resets the parser.
  ParsedReply take();
  // Why the last feed_line() returned Malformed. The parser is reset after that too.
  const std::string& error() const { return error_; }
  void reset();

 private:
  Status fail(std::string why);

  ParsedReply current_;
  bool in_reply_ = false;
  bool complete_ = false;
  std::string error_;
};

}  // namespace kurier::smtp
