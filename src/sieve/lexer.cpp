// The Sieve lexer; see lexer.h. Grammar references are to RFC 5228 8.1.
#include "sieve/lexer.h"

#include "common/strings.h"

namespace kurier::sieve {
namespace {

bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_ident_start(char c) { return is_alpha(c) || c == '_'; }
bool is_ident_char(char c) { return is_ident_start(c) || is_digit(c); }

}  // namespace

std::string_view describe(TokenKind kind) {
  switch (kind) {
    case TokenKind::identifier: return "an identifier";
    case TokenKind::tag: return "a tag";
    case TokenKind::number: return "a number";
    case TokenKind::string: return "a string";
    case TokenKind::semicolon: return "';'";
    case TokenKind::comma: return "','";
    case TokenKind::lbracket: return "'['";
    case TokenKind::rbracket: return "']'";
    case TokenKind::lparen: return "'('";
    case TokenKind::rparen: return "')'";
    case TokenKind::lbrace: return "'{'";
    case TokenKind::rbrace: return "'}'";
    case TokenKind::end: return "end of script";
  }
  return "?";
}

void Lexer::advance() {
  if (s_[pos_] == '\n') {
    ++line_;
    col_ = 1;
  } else {
    ++col_;
  }
  ++pos_;
}

std::optional<Token> Lexer::fail(Position pos, std::string message) {
  error_ = Diagnostic{pos, std::move(message)};
  return std::nullopt;
}

// White space, "#" comments to the end of the line and "/* */" comments (RFC 5228 2.3).
// False when a bracket comment is not closed.
bool Lexer::skip_blanks_and_comments() {
  while (!at_end()) {
    char c = peek();
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      advance();
    } else if (c == '#') {
      while (!at_end() && peek() != '\n') advance();
    } else if (c == '/' && peek(1) == '*') {
      Position start = here();
      advance();
      advance();
      while (!at_end() && !(peek() == '*' && peek(1) == '/')) advance();
      if (at_end()) {
        error_ = Diagnostic{start, "unterminated comment"};
        return false;
      }
      advance();
      advance();
    } else {
      return true;
    }
  }
  return true;
}

std::optional<Token> Lexer::next() {
  if (!skip_blanks_and_comments()) return std::nullopt;
  Token t;
  t.pos = here();
  if (at_end()) return t;
  char c = peek();
  auto single = [&](TokenKind k) { advance(); t.kind = k; return std::optional<Token>(t); };
  switch (c) {
    case ';': return single(TokenKind::semicolon);
    case ',': return single(TokenKind::comma);
    case '[': return single(TokenKind::lbracket);
    case ']': return single(TokenKind::rbracket);
    case '(': return single(TokenKind::lparen);
    case ')': return single(TokenKind::rparen);
    case '{': return single(TokenKind::lbrace);
    case '}': return single(TokenKind::rbrace);
    case '"': return read_quoted(t);
    default: break;
  }
  if (is_digit(c)) return read_number(t);
  if (c == ':') {
    advance();
    if (!is_ident_start(peek())) return fail(t.pos, "a tag needs a name after ':'");
    while (is_ident_char(peek())) t.text += ascii_lower(peek()), advance();
    t.kind = TokenKind::tag;
    return t;
  }
  if (is_ident_start(c)) {
    // Command, test and tag names are case-insensitive (as Pigeonhole reads them).
    while (is_ident_char(peek())) t.text += ascii_lower(peek()), advance();
    if (t.text == "text" && peek() == ':') {
      advance();
      return read_multiline(t);
    }
    t.kind = TokenKind::identifier;
    return t;
  }
  return fail(t.pos, "unexpected character '" + std::string(1, c) + "'");
}

// number = 1*DIGIT [ QUANTIFIER ]; QUANTIFIER = "K" / "M" / "G" (RFC 5228 2.4.1).
std::optional<Token> Lexer::read_number(Token t) {
  uint64_t value = 0;
  while (is_digit(peek())) {
    if (value > (UINT64_MAX - 9) / 10) return fail(t.pos, "number too large");
    value = value * 10 + uint64_t(peek() - '0');
    advance();
  }
  unsigned shift = 0;
  switch (peek()) {
    case 'K': case 'k': shift = 10; break;
    case 'M': case 'm': shift = 20; break;
    case 'G': case 'g': shift = 30; break;
    default: break;
  }
  if (shift) {
    advance();
    if (value > (UINT64_MAX >> shift)) return fail(t.pos, "number too large");
    value <<= shift;
  }
  if (is_ident_char(peek())) return fail(t.pos, "invalid number");
  t.kind = TokenKind::number;
  t.number = value;
  return t;
}

// quoted-string: "\" followed by any character stands for that character (RFC 5228 2.4.2).
std::optional<Token> Lexer::read_quoted(Token t) {
  advance();  // the opening quote
  while (true) {
    if (at_end()) return fail(t.pos, "unterminated string");
    char c = peek();
    if (c == '"') break;
    if (c == '\\') {
      advance();
      if (at_end()) return fail(t.pos, "unterminated string");
      c = peek();
    }
    t.text += c;
    advance();
    if (t.text.size() > max_string_) return fail(t.pos, "string too long");
  }
  advance();
  t.kind = TokenKind::string;
  return t;
}

// multi-line = "text:" *(SP / HTAB) (hash-comment / CRLF) *(multiline-literal /
// multiline-dotstart) "." CRLF. A line starting with ".." loses one dot (dot-unstuffing).
std::optional<Token> Lexer::read_multiline(Token t) {
  t.text.clear();  // held "text"
  while (peek() == ' ' || peek() == '\t') advance();
  if (peek() == '#') {
    while (!at_end() && peek() != '\n') advance();
  } else if (peek() == '\r' && peek(1) == '\n') {
    advance();
  } else if (peek() != '\n') {
    return fail(here(), "'text:' must be followed by the end of the line");
  }
  if (at_end()) return fail(t.pos, "unterminated multi-line string");
  advance();  // the line feed
  while (true) {
    if (at_end()) return fail(t.pos, "unterminated multi-line string");
    size_t line_end = s_.find('\n', pos_);
    std::string_view line = s_.substr(pos_, line_end == std::string_view::npos ? std::string_view::npos
                                                                               : line_end - pos_);
    std::string_view content = line;
    if (!content.empty() && content.back() == '\r') content.remove_suffix(1);
    if (content == ".") {
      while (!at_end() && peek() != '\n') advance();
      if (!at_end()) advance();
      break;
    }
    if (line_end == std::string_view::npos) return fail(t.pos, "unterminated multi-line string");
    if (content.substr(0, 2) == "..") content.remove_prefix(1);
    t.text.append(content);
    t.text += "\r\n";
    if (t.text.size() > max_string_) return fail(t.pos, "string too long");
    while (peek() != '\n') advance();
    advance();
  }
  t.kind = TokenKind::string;
  return t;
}

}  // namespace kurier::sieve
