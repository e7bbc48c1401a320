// A compiled Sieve script: the validated command tree with every tag resolved, constant
// strings decoded (encoded-character) and constant regexes compiled. Made by compile(), read
// by the interpreter; immutable once made, so one Program serves any number of executions.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sieve/match.h"
#include "sieve/sieve.h"

namespace kurier::sieve {

enum class Kind {
  // control (RFC 5228 3, RFC 6609)
  if_, stop, include, return_, global,
  // actions
  keep, discard, redirect, fileinto, reject, ereject, vacation, setflag, addflag, removeflag,
  set, addheader, deleteheader, notify,
  // tests
  true_, false_, not_, allof, anyof, address, envelope, header, exists, size, body, string,
  hasflag, date, currentdate, mailboxexists, duplicate, valid_notify_method,
  notify_method_capability,
};

// A string of the script. `dynamic` strings hold "${...}" references that the variables
// extension expands at run time; the rest are final.
struct Str {
  std::string text;
  bool dynamic = false;
  std::shared_ptr<const Regex> regex;  // a constant :regex key, compiled once
};
using StrList = std::vector<Str>;

struct Value {
  Position pos;
  bool is_number = false;
  uint64_t number = 0;
  StrList strings;
};

// How a test compares (RFC 5228 2.7, RFC 5231, RFC 5233, RFC 5260 4).
struct MatchSpec {
  Comparator comparator = Comparator::ascii_casemap;
  MatchType type = MatchType::is;
  Relation relation = Relation::eq;
  AddressPart part = AddressPart::all;
  std::optional<uint64_t> index;  // :index, 1-based
  bool last = false;              // :last: count the index from the end
};

struct Node {
  Kind kind = Kind::true_;
  Position pos;
  std::vector<std::pair<std::string, Value>> tags;  // other tags, by name without ':'
  std::vector<Value> args;                          // positional arguments, all present
  MatchSpec match;
  std::vector<Node> tests;                 // not/allof/anyof operands; if: one per branch
  std::vector<std::vector<Node>> blocks;   // if: one per test, and one more for "else"

  const Value* tag(std::string_view name) const {
    for (const auto& [n, v] : tags)
      if (n == name) return &v;
    return nullptr;
  }
  bool has(std::string_view name) const { return tag(name) != nullptr; }
};

class Program {
 public:
  std::vector<Node> commands;
  ExtensionSet required;  // the extensions the script requires
  Limits limits;
};

}  // namespace kurier::sieve
