// Token reader for the IMAP command parser (see reader.h).
#include "imap_protocol/reader.h"

#include "common/strings.h"
#include "imap_protocol/command.h"
#include "imap_protocol/quote.h"

namespace kurier::imap {

Reader::Reader(const RawCommand& raw, const ReaderLimits& limits) : raw_(raw), limits_(limits) {
  if (raw_.lines.empty()) fail("Empty command");
  if (raw_.lines.size() != raw_.literals.size() + 1) fail("Command lines and literals do not match");
}

bool Reader::at_line_end() const { return pos_ >= line().size(); }

bool Reader::at_end() const { return line_ + 1 >= raw_.lines.size() && at_line_end(); }

char Reader::peek() const { return at_line_end() ? '\0' : line()[pos_]; }

bool Reader::try_char(char c) {
  if (!peek_is(c)) return false;
  ++pos_;
  return true;
}

void Reader::expect_char(char c, std::string_view what) {
  if (!try_char(c)) fail(std::string("Expected '") + c + "' " + std::string(what));
}

void Reader::expect_sp(std::string_view what) {
  if (!try_char(' ')) fail("Expected a space before " + std::string(what));
}

void Reader::expect_end() {
  if (!at_end()) fail("Unexpected text after the command arguments");
}

void Reader::fail(std::string_view message) const { throw SyntaxError(std::string(message)); }

void Reader::count_token() {
  if (++tokens_ > limits_.max_tokens) fail("Command has too many arguments");
}

void Reader::enter_paren() {
  if (++depth_ > limits_.max_depth) fail("Parentheses nested too deeply");
}

std::string_view Reader::take_run(bool (*accept)(char)) {
  size_t start = pos_;
  while (!at_line_end() && accept(peek())) ++pos_;
  return line().substr(start, pos_ - start);
}

std::string Reader::take_required_run(bool (*accept)(char), std::string_view what) {
  std::string_view run = take_run(accept);
  if (run.empty()) fail("Expected " + std::string(what));
  return std::string(run);
}

std::string Reader::atom(std::string_view what) {
  count_token();
  return take_required_run(is_atom_char, what);
}

std::string Reader::atom_upper(std::string_view what) { return to_upper(atom(what)); }

bool Reader::peek_atom_is(std::string_view word) const {
  std::string_view rest = line().substr(std::min(pos_, line().size()));
  if (rest.size() < word.size() || !iequals(rest.substr(0, word.size()), word)) return false;
  return rest.size() == word.size() || !is_atom_char(rest[word.size()]);
}

bool Reader::try_keyword(std::string_view word) {
  if (!peek_atom_is(word)) return false;
  count_token();
  pos_ += word.size();
  return true;
}

bool Reader::literal_here(bool& binary, bool allow_binary) const {
  std::string_view rest = line().substr(std::min(pos_, line().size()));
  binary = allow_binary && rest.size() > 1 && rest[0] == '~' && rest[1] == '{';
  if (binary) rest.remove_prefix(1);
  return !rest.empty() && rest[0] == '{';
}

size_t Reader::consume_literal(std::string_view what, bool allow_binary) {
  count_token();
  std::string_view rest = line().substr(pos_);
  bool binary = allow_binary && !rest.empty() && rest[0] == '~';
  if (rest.rfind('{') != (binary ? 1u : 0u))
    fail("Malformed literal announcement in " + std::string(what));
  auto ann = literal_at_end(rest);
  if (!ann) fail("Literal announcement for " + std::string(what) + " must end the line");
  if (!ann->ok()) fail(ann->error_text);
  if (line_ >= raw_.literals.size() || line_ + 1 >= raw_.lines.size())
    fail("Literal data missing for " + std::string(what));
  const Literal& lit = raw_.literals[line_];
  if (lit.size != ann->size || (!lit.spooled() && lit.data.size() != ann->size) ||
      lit.binary != ann->binary)
    fail("Literal data does not match its announcement");
  size_t index = line_;
  ++line_;
  pos_ = 0;
  return index;
}

size_t Reader::take_message_literal(std::string_view what, bool& binary) {
  if (!literal_here(binary, true)) fail("Expected a literal with " + std::string(what));
  return consume_literal(what, true);
}

std::string Reader::quoted(std::string_view what) {
  count_token();
  ++pos_;  // opening DQUOTE
  std::string out;
  for (;;) {
    if (at_line_end()) fail("Unterminated quoted string in " + std::string(what));
    char c = line()[pos_++];
    if (c == '"') return out;
    if (c == '\0' || c == '\r' || c == '\n') fail("Invalid character in quoted string");
    if (c == '\\') {
      if (at_line_end() || (peek() != '"' && peek() != '\\'))
        fail("Only \\\" and \\\\ may be escaped in a quoted string");
      c = line()[pos_++];
    }
    out += c;
  }
}

std::string Reader::string(std::string_view what) {
  if (peek_is('"')) return quoted(what);
  bool binary = false;
  if (!literal_here(binary, false)) fail("Expected a string for " + std::string(what));
  const Literal& lit = raw_.literals.at(consume_literal(what, false));
  if (lit.spooled() || lit.size > limits_.max_inline_literal)
    fail("Literal too large for " + std::string(what));
  // RFC 9051 4.3: a literal is CHAR8, which excludes NUL.
  if (lit.data.find('\0') != std::string::npos) fail("NUL in literal for " + std::string(what));
  return lit.data;
}

std::string Reader::astring(std::string_view what) {
  if (peek_is('"') || peek_is('{')) return string(what);
  count_token();
  return take_required_run(is_astring_char, what);
}

std::string Reader::nstring_or_nil(std::string_view what, bool& is_nil) {
  is_nil = try_keyword("NIL");
  return is_nil ? std::string() : string(what);
}

std::string Reader::list_mailbox(std::string_view what) {
  if (peek_is('"') || peek_is('{')) return string(what);
  count_token();
  return take_required_run(is_list_char, what);
}

std::string Reader::mailbox(std::string_view what) { return normalize_inbox(astring(what)); }

std::string Reader::tag() {
  std::string_view tag = take_run([](char c) { return is_astring_char(c) && c != '+'; });
  if (tag.empty()) fail("Missing or invalid tag");
  return std::string(tag);
}

uint64_t Reader::number(std::string_view what, uint64_t max) {
  count_token();
  std::string_view digits = take_run([](char c) { return c >= '0' && c <= '9'; });
  if (digits.empty()) fail("Expected a number for " + std::string(what));
  auto n = parse_uint(digits);
  if (!n || *n > max) fail("Number out of range for " + std::string(what));
  return *n;
}

uint64_t Reader::nz_number(std::string_view what, uint64_t max) {
  if (peek_is('0')) fail("Expected a non-zero number for " + std::string(what));
  return number(what, max);
}

std::string Reader::flag(std::string_view what) {
  if (!try_char('\\')) return atom(what);
  std::string out = "\\";
  out += atom(what);
  return out;
}

std::string Reader::seqset_text(std::string_view what) {
  count_token();
  auto is_seq_char = [](char c) { return (c >= '0' && c <= '9') || c == ':' || c == ',' || c == '*' || c == '$'; };
  return take_required_run(is_seq_char, what);
}

}  // namespace kurier::imap
