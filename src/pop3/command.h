// Parser for one POP3 command line (RFC 1939 3, RFC 2449 3 and 4, RFC 5034 4, RFC 2595 4):
// a case-insensitive keyword of three or four characters, then arguments separated by a space.
// Errors come back as the text a client should see after "-ERR ". The parser knows nothing of
// session state: the session decides whether a command is allowed now (USER only before login,
// RETR only after it). Pure: no sockets, no storage; fuzzed by fuzz/pop3_command_fuzz.cpp.
//
// Leniency, as Dovecot and Cyrus: a keyword is matched case-insensitively, runs of spaces and
// trailing spaces between arguments are accepted, and PASS takes the rest of the line verbatim
// (RFC 1939 7: "a POP3 server may treat spaces in the argument as part of the password").
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace kurier::pop3 {

enum class Verb {
  // AUTHORIZATION state (RFC 1939 4, RFC 2449 5, RFC 5034 4, RFC 2595 4)
  user, pass, apop, auth, stls,
  // either state
  capa, quit,
  // TRANSACTION state (RFC 1939 5 and 7)
  stat, list, retr, dele, noop, rset, top, uidl,
};

std::string_view verb_name(Verb verb);  // "USER", "RETR", ...

// RFC 2449 4: arguments are at most 40 octets; we accept up to this many for names and
// passwords (long passwords exist), and the whole line is bounded by the reader.
inline constexpr size_t kMaxArgument = 255;

struct Command {
  Verb verb = Verb::noop;
  // USER: the name; PASS: the password (may hold spaces); AUTH: the mechanism, upper-cased
  // ("" for a bare AUTH, which lists the mechanisms as Cyrus and Dovecot do).
  std::string text;
  // AUTH: the initial response, still base64 ("=" is an empty one, RFC 5034 4).
  std::optional<std::string> initial_response;
  // LIST/UIDL: optional; RETR/DELE/TOP: required. 1-based; 0 is syntactically valid and
  // names no message.
  std::optional<uint32_t> message;
  uint64_t lines = 0;  // TOP: body lines wanted (saturated at UINT64_MAX)
};

struct ParseResult {
  std::optional<Command> command;
  std::string error;  // when !command: what is wrong, for "-ERR <error>"
  explicit operator bool() const { return command.has_value(); }
};

ParseResult parse_command(std::string_view line);

}  // namespace kurier::pop3
