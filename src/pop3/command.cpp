#include "pop3/command.h"

#include <array>
#include <vector>

#include "common/strings.h"

namespace kurier::pop3 {
namespace {

// How many arguments a command takes: [min, max]. PASS is handled on its own.
struct Spec {
  Verb verb;
  std::string_view name;
  int min_args;
  int max_args;
};

constexpr std::array<Spec, 15> kSpecs{{
    {Verb::user, "USER", 1, 1},
    {Verb::pass, "PASS", 1, 1},
    {Verb::apop, "APOP", 0, 2},  // parsed only to be refused clearly
    {Verb::auth, "AUTH", 0, 2},
    {Verb::stls, "STLS", 0, 0},
    {Verb::capa, "CAPA", 0, 0},
    {Verb::quit, "QUIT", 0, 0},
    {Verb::stat, "STAT", 0, 0},
    {Verb::list, "LIST", 0, 1},
    {Verb::retr, "RETR", 1, 1},
    {Verb::dele, "DELE", 1, 1},
    {Verb::noop, "NOOP", 0, 0},
    {Verb::rset, "RSET", 0, 0},
    {Verb::top, "TOP", 2, 2},
    {Verb::uidl, "UIDL", 0, 1},
}};

const Spec* find_spec(std::string_view keyword) {
  for (const auto& s : kSpecs)
    if (iequals(s.name, keyword)) return &s;
  return nullptr;
}

// RFC 1939 3: "Keywords and arguments consist of printable ASCII characters". 8-bit bytes are
// let through (UTF-8 user names and passwords); control characters are not.
bool has_control_characters(std::string_view s) {
  for (unsigned char c : s)
    if (c < 0x20 || c == 0x7f) return true;
  return false;
}

// What to show of a keyword the client sent: printable ASCII, at most 20 characters.
std::string shown(std::string_view keyword) {
  std::string out;
  for (unsigned char c : keyword.substr(0, 20)) out += (c > 0x20 && c < 0x7f) ? char(c) : '?';
  return out;
}

std::vector<std::string_view> arguments(std::string_view rest) {
  std::vector<std::string_view> out;
  for (auto part : split(rest, ' '))
    if (!part.empty()) out.push_back(part);
  return out;
}

// RFC 1939 3: a message number is a decimal number; no sign, no spaces.
std::optional<uint32_t> message_number(std::string_view s) {
  if (s.empty() || s.size() > 10) return std::nullopt;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + uint64_t(c - '0');
  }
  if (v > UINT32_MAX) return std::nullopt;
  return uint32_t(v);
}

// TOP's line count: any non-negative decimal number, saturated (a client asking for more lines
// than a message has gets the whole body).
std::optional<uint64_t> line_count(std::string_view s) {
  if (s.empty()) return std::nullopt;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    uint64_t digit = uint64_t(c - '0');
    v = v > (UINT64_MAX - digit) / 10 ? UINT64_MAX : v * 10 + digit;
  }
  return v;
}

ParseResult fail(std::string error) { return {std::nullopt, std::move(error)}; }

ParseResult with_message_arguments(Command cmd, const std::vector<std::string_view>& args) {
  std::string name(verb_name(cmd.verb));
  if (!args.empty()) {
    cmd.message = message_number(args[0]);
    if (!cmd.message) return fail(name + ": invalid message number \"" + shown(args[0]) + "\"");
  }
  if (cmd.verb == Verb::top) {
    auto n = line_count(args[1]);
    if (!n) return fail("TOP: invalid number of lines \"" + shown(args[1]) + "\"");
    cmd.lines = *n;
  }
  return {std::move(cmd), ""};
}

ParseResult with_text_arguments(Command cmd, const std::vector<std::string_view>& args) {
  // RFC 5034 4: an AUTH initial response may be longer than other arguments (the line length
  // bounds it); the mechanism name may not.
  if (!args.empty() && args[0].size() > kMaxArgument)
    return fail(std::string(verb_name(cmd.verb)) + ": argument too long");
  if (cmd.verb == Verb::user) cmd.text = std::string(args[0]);
  if (cmd.verb == Verb::auth && !args.empty()) {
    cmd.text = to_upper(args[0]);
    if (args.size() > 1) cmd.initial_response = std::string(args[1]);
  }
  return {std::move(cmd), ""};
}

}  // namespace

std::string_view verb_name(Verb verb) {
  for (const auto& s : kSpecs)
    if (s.verb == verb) return s.name;
  return "?";
}

ParseResult parse_command(std::string_view line) {
  size_t space = line.find(' ');
  std::string_view keyword = line.substr(0, space);
  std::string_view rest = space == std::string_view::npos ? std::string_view() : line.substr(space + 1);
  if (keyword.empty()) return fail("Empty command");
  const Spec* spec = find_spec(keyword);
  if (!spec) return fail("Unknown command: " + shown(keyword));
  if (has_control_characters(line)) return fail(std::string(spec->name) + ": control characters in the command");

  Command cmd;
  cmd.verb = spec->verb;
  if (cmd.verb == Verb::pass) {
    // RFC 1939 7: the password is everything after "PASS ", spaces included.
    if (rest.empty()) return fail("PASS needs a password");
    if (rest.size() > kMaxArgument) return fail("PASS: argument too long");
    cmd.text = std::string(rest);
    return {std::move(cmd), ""};
  }
  auto args = arguments(rest);
  int n = int(args.size());
  if (n < spec->min_args || n > spec->max_args) {
    std::string name(spec->name);
    if (spec->max_args == 0) return fail(name + " takes no arguments");
    if (n < spec->min_args) return fail(name + ": missing argument");
    return fail(name + ": too many arguments");
  }
  switch (cmd.verb) {
    case Verb::list:
    case Verb::uidl:
    case Verb::retr:
    case Verb::dele:
    case Verb::top: return with_message_arguments(std::move(cmd), args);
    default: return with_text_arguments(std::move(cmd), args);
  }
}

}  // namespace kurier::pop3
