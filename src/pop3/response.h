// What a POP3 server sends: status lines (RFC 1939 3) with the extended response codes of
// RFC 2449 8 and RFC 3206, multi-line answers ending in "." (RFC 1939 3), and the byte-stuffed
// message a RETR or TOP sends (RFC 1939 7 TOP, 3 byte-stuffing). Pure: no sockets, no storage.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "smtp_protocol/data.h"

namespace kurier::pop3 {

// RFC 2449 8 and RFC 3206: the bracketed code after "-ERR ", for clients that act on it.
enum class ErrCode {
  none,
  in_use,    // [IN-USE] the maildrop is locked by another session (RFC 2449 8.1.1)
  auth,      // [AUTH] the credentials were refused (RFC 3206)
  sys_temp,  // [SYS/TEMP] a temporary system problem; try again later (RFC 3206)
  sys_perm,  // [SYS/PERM] a permanent system problem (RFC 3206)
};

std::string ok_line(std::string_view text);                                 // "+OK text\r\n"
std::string err_line(std::string_view text, ErrCode code = ErrCode::none);  // "-ERR [CODE] text\r\n"
inline constexpr std::string_view kEndOfMultiline = ".\r\n";

// A line of a multi-line answer (CAPA, LIST, UIDL): byte-stuffed if it starts with ".".
std::string multiline_item(std::string_view line);

// Text that may be echoed in a reply: printable ASCII, at most max_len characters.
std::string printable(std::string_view text, size_t max_len = 60);

// RFC 1939 7 TOP: the length of the prefix of `message` that is "the headers of the message,
// the blank line separating the headers from the body, and then the number of lines of the
// indicated message's body". A message without a blank line is all header. Lines end in CRLF
// or a bare LF.
size_t top_length(std::string_view message, uint64_t body_lines);

// Sends `message` (or its TOP prefix) as a multi-line answer's body: every line ends in CRLF,
// a line starting with "." gets another (RFC 1939 3), and the answer ends with ".\r\n". The
// message is fed in pieces, so a big (mmap'd) message is never copied whole.
class MessageStream {
 public:
  // top_lines: TOP's line count; nullopt for RETR (the whole message).
  explicit MessageStream(std::string_view message, std::optional<uint64_t> top_lines = std::nullopt);
  MessageStream(const MessageStream&) = delete;  // the stuffer's sink points into this object
  MessageStream& operator=(const MessageStream&) = delete;
  // Appends the stuffed form of the next max_input message bytes to out (the last call also
  // the final ".\r\n") and returns true; returns false, appending nothing, once all was given.
  bool next(std::string& out, size_t max_input);

 private:
  std::string_view rest_;
  std::string* out_ = nullptr;
  smtp::DotStuffer stuffer_;  // the same byte-stuffing the SMTP client sends with (RFC 5321 4.5.2)
  bool finished_ = false;
};

}  // namespace kurier::pop3
