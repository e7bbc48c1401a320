// Cursor over a RawCommand for the IMAP command parser: reads the RFC 9051 formal-syntax
// tokens (atom, astring, string, number, ...) across lines and literals. A literal
// announcement "{N}" / "{N+}" / "~{N}" at the end of a line is where a string continues into
// RawCommand::literals. Syntax errors are thrown as SyntaxError and turned into a BAD reply
// by parse_command(). Internal to the parser; not for sessions.
#pragma once
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

#include "imap_protocol/literal.h"

namespace kurier::imap {

struct SyntaxError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct ReaderLimits {
  size_t max_tokens = 100000;
  size_t max_depth = 50;                   // nesting of parentheses
  size_t max_ranges = 10000;               // per sequence set
  uint64_t max_inline_literal = 1 << 20;   // strings other than APPEND messages
};

class Reader {
 public:
  Reader(const RawCommand& raw, const ReaderLimits& limits);

  // ---- position
  bool at_end() const;             // end of the whole command
  bool at_line_end() const;        // end of the current line (a literal may follow)
  char peek() const;               // '\0' at the end of a line
  bool peek_is(char c) const { return !at_line_end() && peek() == c; }
  bool try_char(char c);
  void expect_char(char c, std::string_view what);
  void expect_sp(std::string_view what);
  bool try_sp() { return try_char(' '); }
  void expect_end();

  // ---- tokens
  std::string atom(std::string_view what);         // 1*ATOM-CHAR
  std::string atom_upper(std::string_view what);
  bool peek_atom_is(std::string_view word) const;  // case-insensitive, whole atom
  bool try_keyword(std::string_view word);         // consumes when peek_atom_is
  std::string astring(std::string_view what);
  std::string string(std::string_view what);       // quoted or literal
  std::string nstring_or_nil(std::string_view what, bool& is_nil);
  std::string list_mailbox(std::string_view what); // RFC 9051 list-mailbox
  std::string mailbox(std::string_view what);      // astring, INBOX normalised
  std::string tag();
  uint64_t number(std::string_view what, uint64_t max);  // digits only
  uint64_t nz_number(std::string_view what, uint64_t max);
  std::string flag(std::string_view what);         // "\Seen", "\*" (when allowed) or keyword
  std::string seqset_text(std::string_view what);  // raw characters of a sequence-set
  // The next literal, without copying (APPEND). Returns its index in RawCommand::literals.
  size_t take_message_literal(std::string_view what, bool& binary);

  // ---- bounds
  void enter_paren();
  void leave_paren() { --depth_; }
  void count_token();
  const ReaderLimits& limits() const { return limits_; }

  [[noreturn]] void fail(std::string_view message) const;

 private:
  std::string_view line() const { return raw_.lines[line_]; }
  bool literal_here(bool& binary, bool allow_binary) const;  // at "{" / "~{" ending the line
  size_t consume_literal(std::string_view what, bool allow_binary);
  std::string quoted(std::string_view what);
  // The run of characters `accept` takes at the cursor (possibly empty), consumed.
  std::string_view take_run(bool (*accept)(char));
  // As take_run, but fails with "Expected <what>" when the run is empty.
  std::string take_required_run(bool (*accept)(char), std::string_view what);

  const RawCommand& raw_;
  ReaderLimits limits_;
  size_t line_ = 0;
  size_t pos_ = 0;
  size_t depth_ = 0;
  size_t tokens_ = 0;
};

}  // namespace kurier::imap
