// mbox reading and writing, pure: a line-at-a-time state machine, so a message of any size
// streams through it (the caller reads lines and writes what it is told to a blob).
// Formats (RFC 4155; "mboxo/mboxrd" in qmail's mbox(5) and Dovecot's docs):
// - a message starts with a "From " line (the From_ line: envelope sender and an asctime
//   date) at the start of the file or after an empty line;
// - mboxrd quotes every body line matching /^>*From / with one more '>', and reading removes
//   one; mboxo quoted only /^From / — removing one '>' from /^>+From / reads both formats
//   right, except a mboxo body line that really began with ">From " (unrecoverable there);
// - the empty line before the next From_ line belongs to the file, not the message;
// - metadata headers other servers wrote into the header block are read and removed from
//   the stored copy: Status (R seen, O old), X-Status (A answered, F flagged, T draft,
//   D deleted), X-Keywords (keywords, comma- or space-separated), and the ones Dovecot and
//   UW-IMAP also hide: X-UID, X-IMAP, X-IMAPbase, Content-Length (never trusted: a wrong one
//   would split messages in the wrong place, so messages are split on From_ lines only).
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/types.h"

namespace kurier::mail_import {

// "From sender@example.com Thu Jan  1 00:00:00 1970" -> seconds since the epoch (the date is
// in local time by convention; read as UTC). nullopt when the line carries no readable date.
std::optional<int64_t> parse_from_line_date(std::string_view from_line);
// The From_ line an export writes: "From SENDER DAY MON DD HH:MM:SS YYYY" (UTC).
std::string format_from_line(std::string_view sender, int64_t date);
// mboxrd quoting for export: ">"-prefixed when the line matches /^>*From /.
bool needs_from_quote(std::string_view line);

// Flags of the Status / X-Status / X-Keywords headers (values without the name).
void apply_status(std::string_view value, store::Flags& flags);
void apply_x_status(std::string_view value, store::Flags& flags);
void apply_x_keywords(std::string_view value, store::Flags& flags);

class MboxReader {
 public:
  enum class Event {
    message_start,  // a From_ line: the previous message (if any) is complete
    content,        // `out` holds bytes of the current message (header or body, LF kept)
    none,           // nothing for the caller (a metadata header, a held blank line, junk)
  };
  struct Step {
    Event event = Event::none;
    std::string out;
  };
  // One line including its "\n" (the last line of a file may lack it).
  Step feed(std::string_view line);
  // End of file: a header field still being assembled is returned; a blank line held back
  // is dropped (an mbox ends each message with one, like the one before a From_ line).
  Step finish();

  // The current message's metadata, complete once its header block ended.
  const store::Flags& flags() const { return flags_; }
  std::optional<int64_t> from_line_date() const { return date_; }
  bool in_message() const { return in_message_; }
  bool in_header() const { return in_message_ && in_header_; }
  size_t junk_lines() const { return junk_lines_; }  // text before the first From_ line

 private:
  Step header_line(std::string_view line);
  Step body_line(std::string_view line);
  Step flush_header_field();

  bool in_message_ = false;
  bool in_header_ = false;
  bool header_just_ended_ = false;
  bool held_blank_ = false;   // an empty body line not yet known to be the message's
  std::string held_blank_text_;
  std::string field_;         // header field being assembled (continuation lines)
  store::Flags flags_;
  std::optional<int64_t> date_;
  size_t junk_lines_ = 0;
};

}  // namespace kurier::mail_import
