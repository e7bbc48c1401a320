// IMAP command parser: RawCommand (literal.h) -> Command (command.h) or a BAD reply.
// Follows the formal syntax of RFC 9051 section 9 and RFC 3501 section 9, with the
// extension grammars listed in command.h. Pure: no I/O, no state between calls.
//   parse_command(raw)  ok  -> result.command, dispatch on command->kind
//                       bad -> result.error: "<tag> BAD <text>" when error->tag is set,
//                              "* BAD <text>" when no tag could be read.
// Bounded: nesting depth, tokens, ranges per sequence set, inline literal size (ParseLimits).
#pragma once
#include <optional>
#include <string>

#include "imap_protocol/command.h"
#include "imap_protocol/literal.h"

namespace kurier::imap {

struct ParseLimits {
  size_t max_depth = 50;                 // parentheses (search keys, lists)
  size_t max_tokens = 100000;            // tokens in one command
  size_t max_ranges = 10000;             // ranges in one sequence set
  uint64_t max_inline_literal = 1 << 20; // literals other than APPEND messages
  size_t max_append_messages = 1000;     // MULTIAPPEND
  bool allow_saved_result = true;        // "$" (SEARCHRES, RFC 5182)
};

struct ParseError {
  std::optional<std::string> tag;  // nullopt: reply with an untagged "* BAD"
  std::string message;             // safe for resp-text (no CR/LF, printable)
};

struct ParseResult {
  std::optional<Command> command;
  std::optional<ParseError> error;
  bool ok() const { return command.has_value(); }
  explicit operator bool() const { return ok(); }
};

ParseResult parse_command(const RawCommand& raw, const ParseLimits& limits = {});
// As above, but APPEND message literals are moved out of raw instead of copied.
ParseResult parse_command(RawCommand&& raw, const ParseLimits& limits = {});

// The tag at the start of a command's first line, when it is a valid tag followed by SP.
// Lets a session answer "<tag> BAD" / "<tag> NO [TOOBIG]" to a literal announcement it
// refuses (literal_at_end() error) before the command is complete.
std::optional<std::string> read_tag(std::string_view first_line);

// Statuses of STATUS and LIST RETURN (STATUS ...), RFC 9051 6.3.11 / RFC 9208 / RFC 7889.
std::string_view status_item_name(StatusItem item);

}  // namespace kurier::imap
