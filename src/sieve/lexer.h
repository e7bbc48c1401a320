// The Sieve lexer (RFC 5228 8.1): identifiers, tags, numbers with K/M/G quantifiers, quoted
// strings with backslash escapes, multi-line "text:" strings with dot-unstuffing, hash and
// bracket comments. Every token carries its line and column for error messages.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "sieve/sieve.h"

namespace kurier::sieve {

enum class TokenKind {
  identifier, tag, number, string, semicolon, comma, lbracket, rbracket, lparen, rparen,
  lbrace, rbrace, end
};

struct Token {
  TokenKind kind = TokenKind::end;
  Position pos;
  std::string text;     // identifier / tag name (without ':') / string contents
  uint64_t number = 0;
};

// What a token kind is called in error messages ("'{'", "a string", "end of script").
std::string_view describe(TokenKind kind);

class Lexer {
 public:
  Lexer(std::string_view script, size_t max_string_size)
      : s_(script), max_string_(max_string_size) {}
  // The next token; nullopt with error() set on malformed input.
  std::optional<Token> next();
  const Diagnostic& error() const { return error_; }

 private:
  bool skip_blanks_and_comments();
  std::optional<Token> read_number(Token t);
  std::optional<Token> read_quoted(Token t);
  std::optional<Token> read_multiline(Token t);
  std::optional<Token> fail(Position pos, std::string message);
  char peek(size_t ahead = 0) const { return pos_ + ahead < s_.size() ? s_[pos_ + ahead] : '\0'; }
  bool at_end() const { return pos_ >= s_.size(); }
  void advance();
  Position here() const { return Position{line_, col_}; }

  std::string_view s_;
  size_t max_string_;
  size_t pos_ = 0;
  int line_ = 1;
  int col_ = 1;
  Diagnostic error_;
};

}  // namespace kurier::sieve
