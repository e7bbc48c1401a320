// DKIM "relaxed" canonicalization (RFC 6376 3.4.2 header, 3.4.4 body), the only one kurier signs
// with: it survives the re-folding and trailing-space changes relays commonly make.
//
// Line ends in the body follow what kurier's SMTP client puts on the wire (smtp::DotStuffer):
// CRLF, a bare LF and a bare CR each end a line. A last line without its line end is ended, as
// the DotStuffer ends it, so the hash is the one a receiver computes.
#pragma once
#include <functional>
#include <string>
#include <string_view>

namespace kurier::dkim {

// RFC 6376 3.4.2: "name:value\r\n" with the name lower-cased, the value unfolded, runs of WSP
// reduced to one SP, and WSP before and after the colon and at the end of the value removed.
std::string relaxed_header(std::string_view name, std::string_view value);
// The same for a whole field as it appears in a message ("Subject: a\r\n  b\r\n"). A field
// without a colon canonicalizes as a name with an empty value.
std::string relaxed_header_field(std::string_view field);

// RFC 6376 3.4.4, streaming: feed() the body in chunks of any size, then finish(). The
// canonical bytes go to the sink as they are known; only the count of pending empty lines
// (3.4.4 "ignore all empty lines at the end of the message body") is held back.
class RelaxedBody {
 public:
  using Sink = std::function<void(std::string_view)>;
  explicit RelaxedBody(Sink sink) : sink_(std::move(sink)) {}

  void feed(std::string_view chunk);
  void finish();

 private:
  void end_line();
  void content(char c);
  void flush();

  Sink sink_;
  std::string out_;
  bool pending_cr_ = false;
  bool wsp_pending_ = false;
  bool line_has_content_ = false;
  bool line_started_ = false;  // any byte (WSP included) on the current line
  unsigned long long empty_lines_ = 0;
};

}  // namespace kurier::dkim
