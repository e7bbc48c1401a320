// The Sieve parser; see parser.h. Recursion is bounded by Limits::max_nesting, so no script
// can exhaust the stack.
#include "sieve/parser.h"

#include <optional>

#include "sieve/lexer.h"

namespace kurier::sieve::ast {
namespace {

struct ParseError {
  Diagnostic diagnostic;
};

class Parser {
 public:
  Parser(std::string_view script, const Limits& limits)
      : lexer_(script, limits.max_string_size), max_nesting_(limits.max_nesting) {}

  std::vector<Command> script() {
    load();
    std::vector<Command> commands = command_list(0);
    if (tok_.kind != TokenKind::end) unexpected("a command");
    return commands;
  }

 private:
  void load() {
    std::optional<Token> t = lexer_.next();
    if (!t) throw ParseError{lexer_.error()};
    tok_ = std::move(*t);
  }
  Token take() {
    Token t = std::move(tok_);
    load();
    return t;
  }
  [[noreturn]] void fail(Position pos, std::string message) { throw ParseError{Diagnostic{pos, std::move(message)}}; }
  [[noreturn]] void unexpected(std::string_view wanted) {
    fail(tok_.pos, "expected " + std::string(wanted) + " but found " + found());
  }
  std::string found() const {
    switch (tok_.kind) {
      case TokenKind::identifier: return "'" + tok_.text + "'";
      case TokenKind::tag: return "':" + tok_.text + "'";
      default: return std::string(describe(tok_.kind));
    }
  }
  void check_depth(size_t depth) {
    if (depth > max_nesting_) fail(tok_.pos, "nesting too deep (limit " + std::to_string(max_nesting_) + ")");
  }

  std::vector<Command> command_list(size_t depth) {
    std::vector<Command> out;
    while (tok_.kind == TokenKind::identifier) out.push_back(command(depth));
    return out;
  }

  Command command(size_t depth) {
    Command c;
    c.pos = tok_.pos;
    c.name = take().text;
    c.args = arguments();
    tests_of(c.tests, c.test_list, depth);
    if (tok_.kind == TokenKind::semicolon) {
      take();
    } else if (tok_.kind == TokenKind::lbrace) {
      check_depth(depth + 1);
      take();
      c.has_block = true;
      c.block = command_list(depth + 1);
      if (tok_.kind != TokenKind::rbrace) unexpected("a command or '}'");
      take();
    } else {
      unexpected("';' or '{' after '" + c.name + "'");
    }
    return c;
  }

  std::vector<Argument> arguments() {
    std::vector<Argument> args;
    while (true) {
      Argument a;
      a.pos = tok_.pos;
      if (tok_.kind == TokenKind::string) {
        a.strings.push_back(take().text);
      } else if (tok_.kind == TokenKind::lbracket) {
        a.bracketed = true;
        a.strings = string_list();
      } else if (tok_.kind == TokenKind::number) {
        a.kind = Argument::Kind::number;
        a.number = take().number;
      } else if (tok_.kind == TokenKind::tag) {
        a.kind = Argument::Kind::tag;
        a.tag = take().text;
      } else {
        return args;
      }
      args.push_back(std::move(a));
    }
  }

  std::vector<std::string> string_list() {
    take();  // '['
    std::vector<std::string> out;
    while (true) {
      if (tok_.kind != TokenKind::string) unexpected("a string in the list");
      out.push_back(take().text);
      if (tok_.kind == TokenKind::rbracket) break;
      if (tok_.kind != TokenKind::comma) unexpected("',' or ']'");
      take();
    }
    take();  // ']'
    return out;
  }

  // [ test / test-list ] after the arguments.
  void tests_of(std::vector<Test>& tests, bool& is_list, size_t depth) {
    if (tok_.kind == TokenKind::identifier) {
      check_depth(depth + 1);
      tests.push_back(test(depth + 1));
    } else if (tok_.kind == TokenKind::lparen) {
      check_depth(depth + 1);
      is_list = true;
      take();
      while (true) {
        if (tok_.kind != TokenKind::identifier) unexpected("a test");
        tests.push_back(test(depth + 1));
        if (tok_.kind == TokenKind::rparen) break;
        if (tok_.kind != TokenKind::comma) unexpected("',' or ')'");
        take();
      }
      take();
    }
  }

  Test test(size_t depth) {
    Test t;
    t.pos = tok_.pos;
    t.name = take().text;
    t.args = arguments();
    tests_of(t.tests, t.test_list, depth);
    return t;
  }

  Lexer lexer_;
  size_t max_nesting_;
  Token tok_;
};

}  // namespace

ParseResult parse(std::string_view script, const Limits& limits) {
  ParseResult r;
  if (script.size() > limits.max_script_size) {
    r.errors.push_back(Diagnostic{{1, 1}, "script too large (" + std::to_string(script.size()) +
                                              " bytes, limit " + std::to_string(limits.max_script_size) + ")"});
    return r;
  }
  try {
    r.commands = Parser(script, limits).script();
  } catch (const ParseError& e) {
    r.commands.clear();
    r.errors.push_back(e.diagnostic);
  }
  return r;
}

}  // namespace kurier::sieve::ast
