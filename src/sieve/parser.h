// The Sieve parser (RFC 5228 8.2): the syntax tree of a script, before any meaning is given to
// command names. Validation and compilation into a Program happen in compile.cpp.
//   command   = identifier arguments (";" / block)
//   arguments = *argument [ test / test-list ]
//   argument  = string-list / number / tag
//   test      = identifier arguments;  test-list = "(" test *("," test) ")"
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "sieve/sieve.h"

namespace kurier::sieve::ast {

struct Argument {
  enum class Kind { strings, number, tag } kind = Kind::strings;
  Position pos;
  std::vector<std::string> strings;  // one string, or a bracketed list
  bool bracketed = false;            // written as [ ... ]
  uint64_t number = 0;
  std::string tag;                   // without the ':'
};

struct Test {
  std::string name;
  Position pos;
  std::vector<Argument> args;
  std::vector<Test> tests;  // a single test or a test-list
  bool test_list = false;   // written as ( ... )
};

struct Command {
  std::string name;
  Position pos;
  std::vector<Argument> args;
  std::vector<Test> tests;
  bool test_list = false;
  bool has_block = false;
  std::vector<Command> block;
};

struct ParseResult {
  std::vector<Command> commands;
  std::vector<Diagnostic> errors;  // at most one: parsing stops at the first error
};

ParseResult parse(std::string_view script, const Limits& limits);

}  // namespace kurier::sieve::ast
