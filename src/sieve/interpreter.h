// The state of one Sieve execution and the functions that change it. Internal to src/sieve
// (callers use execute() in sieve.h); the work is split by kind over interpreter.cpp (control
// flow, variables, matching, the end of the script), interpreter_tests.cpp (the tests) and
// interpreter_actions.cpp (the actions). interpreter.cpp holds the notes every change must keep.
#pragma once
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "sieve/program.h"

namespace kurier::sieve::interp {

constexpr Position kNoPosition{0, 0};
constexpr std::string_view kInbox = "INBOX";  // where keep files (RFC 5228 4.3)  // an error of the whole execution, not of one line

struct RuntimeError {
  Position pos;
  std::string message;
};

struct ParsedAddress {
  std::string all, localpart, domain;
};

class Interpreter {
 public:
  Interpreter(const Program& program, const Environment& env)
      : main_(program), env_(env), limits_(program.limits), header_(env.message().header()) {}

  Result run();

 private:
  enum class Flow { next, stop, return_ };

  // One running script: its variables (RFC 6609 3.4: local unless declared global) and
  // match variables.
  struct Frame {
    const Program* program;
    std::string name;
    std::map<std::string, std::string> locals;
    std::set<std::string> globals;
    std::vector<std::string> match_vars;
    bool has(Extension e) const { return program->required.has(e); }
  };

  [[noreturn]] void fail(Position pos, std::string message) { throw RuntimeError{pos, std::move(message)}; }

  void step(const Node& n) {
    if (++steps_ > limits_.max_steps)
      fail(n.pos, "script ran too long (limit " + std::to_string(limits_.max_steps) + " steps)");
  }

  // ---- control flow ----

  Flow block(const std::vector<Node>& nodes, Frame& f);

  Flow command(const Node& n, Frame& f);

  // RFC 6609 3.2: include [LOCATION] [:once] [:optional] <value: string>.
  Flow include(const Node& n, Frame& f);

  // ---- variables (RFC 5229) ----

  std::string* variable(const std::string& lower_name, Frame& f, bool create);

  // Expands "${name}" and "${N}" references; unknown variables are empty, and a reference
  // that is not well formed (or names an unknown namespace) stays as written (RFC 5229 3).
  std::string expand(const Str& s, Frame& f, Position pos);

  std::optional<std::string> reference(const std::string& name, Frame& f);

  std::vector<std::string> expand_list(const Value& v, Frame& f);

  void set(const Node& n, Frame& f);

  // RFC 5435 6: :encodeurl percent-encodes all but the unreserved characters of RFC 3986.
  static std::string percent_encode(std::string_view s);

  void store(const std::string& lower_name, std::string value, Frame& f, Position pos);

  // ---- matching ----

  // Compares values against keys as the node's MatchSpec says. Sets match variables on a
  // successful :matches/:regex.
  bool match(const Node& n, const std::vector<std::string>& values, const Value& keys, Frame& f);

  // ---- the message header, as editheader left it ----

  // RFC 5260 6: with :index only the Nth field of that name (from the end with :last).
  std::vector<std::string> header_values(std::string_view name, const MatchSpec& m, bool decode);

  std::vector<std::string> all_header_values(std::string_view name);

  EditedHeader current_header();

  // ---- tests ----

  bool test(const Node& n, Frame& f);

  std::optional<std::string> address_part(const ParsedAddress& a, AddressPart part);

  bool address_test(const Node& n, Frame& f);

  // RFC 5228 5.4: envelope "from" and "to" (and "auth", RFC 5228 leaves others open); the
  // null reverse-path is the empty string.
  bool envelope_test(const Node& n, Frame& f);

  bool body_test(const Node& n, Frame& f);

  bool date_test(const Node& n, Frame& f);

  // RFC 7352 3: duplicate [:handle] [:header / :uniqueid] [:seconds] [:last].
  bool duplicate_test(const Node& n, Frame& f);

  // ---- actions ----

  void add(Position pos, Action a);

  std::vector<std::string> flags_for(const Node& n, Frame& f);

  bool merge_into_inbox(const std::vector<std::string>& flags);

  void keep(const Node& n, Frame& f);

  void fileinto(const Node& n, Frame& f);

  void redirect(const Node& n, Frame& f);

  // RFC 5429 2.1: at most one reject/ereject per execution; it cancels the implicit keep.
  void reject(const Node& n, Frame& f);

  std::vector<std::string> flags_of(const Value& variables, Frame& f, Position pos);

  // RFC 5232 3: setflag / addflag / removeflag on the internal variable or a named one.
  void flags_command(const Node& n, Frame& f);

  // RFC 5293 4: addheader [:last] <field-name> <value>; added at the top unless :last.
  void addheader(const Node& n, Frame& f);

  // RFC 5293 5: deleteheader [:index n [:last]] [COMPARATOR] [MATCH-TYPE] <field-name>
  // [<value-patterns>]: without patterns every field of that name goes.
  void deleteheader(const Node& n, Frame& f);

  void edited(HeaderEdit e);

  void vacation(const Node& n, Frame& f);

  // RFC 5230 4.1 (:days, at least 1) and RFC 6131 (:seconds), within the site's limits.
  uint64_t vacation_period(const Node& n);

  // RFC 5435 3: notify [:from] [:importance] [:options] [:message] <method>.
  void notify(const Node& n, Frame& f);

  // ---- the end of the script ----

  void finish(Result& r);

  const Program& main_;
  const Environment& env_;
  const Limits& limits_;
  std::vector<HeaderLine> header_;
  bool header_edited_ = false;
  EditedHeader edited_;
  std::vector<HeaderEdit> edits_;
  std::map<std::string, std::string> globals_;
  std::vector<std::string> flags_;
  std::vector<Action> actions_;
  std::vector<DuplicateMark> marks_;
  bool implicit_keep_ = true;
  size_t redirects_ = 0;
  uint64_t steps_ = 0;
  std::vector<std::string> include_stack_;
  std::set<std::string> included_;
  size_t include_count_ = 0;
  std::string error_prefix_;
};

}  // namespace kurier::sieve::interp
