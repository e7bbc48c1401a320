// The ManageSieve protocol (RFC 5804), without sockets: the command grammar (section 4) and the
// response forms. A command is a name followed by arguments, each a string (quoted, or a literal
// "{n+}" CRLF followed by n octets) or a number; literals end a line, so a command may span
// several lines, and the tokenizer is fed line by line and literal by literal.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kurier::managesieve {

struct Argument {
  enum class Kind { string, number };
  Kind kind = Kind::string;
  std::string text;     // the string's value (unquoted), or the number's digits
  uint64_t number = 0;  // when kind == number
};

struct Command {
  std::string name;  // upper-case
  std::vector<Argument> args;
};

// Reads one command from its lines and literals.
class CommandTokenizer {
 public:
  struct Step {
    enum class Kind {
      complete,  // command() is ready
      literal,   // read literal_size octets and pass them to feed_literal(), then the next line
      error,     // malformed: error says why (the connection stays usable)
    };
    Kind kind = Kind::complete;
    uint64_t literal_size = 0;
    bool synchronizing = false;  // "{n}" rather than "{n+}": the client waits for nothing either
                                 // way in ManageSieve, so both are read the same
    std::string error;
  };

  // max_literal: the largest literal accepted; a larger one is an error (the caller decides how
  // to skip its bytes).
  explicit CommandTokenizer(uint64_t max_literal) : max_literal_(max_literal) {}

  // The first line, or the line after a literal (without its CRLF).
  Step feed_line(std::string_view line);
  void feed_literal(std::string bytes);
  Command& command() { return command_; }

 private:
  Step parse_arguments(std::string_view rest);

  uint64_t max_literal_;
  Command command_;
  bool have_name_ = false;
};

// Parses a literal announcement at the very end of a line, "{123+}" or "{123}": the size, or
// nullopt when the line does not end with one.
struct LiteralAnnouncement {
  uint64_t size = 0;
  bool synchronizing = false;
  size_t start = 0;  // where "{" is in the line
};
std::optional<LiteralAnnouncement> literal_at_end(std::string_view line);

// A string for a response (RFC 5804 4): quoted when it is short, UTF-8 and free of CR, LF and NUL;
// otherwise a literal "{n}" CRLF bytes.
std::string encode_string(std::string_view value);

// OK / NO / BYE with an optional response code such as "QUOTA/MAXSIZE" or "SASL \"...\"" and a
// human-readable text: `NO (QUOTA/MAXSIZE) "Script too big"` plus CRLF.
std::string response(std::string_view kind, std::string_view code, std::string_view text);

}  // namespace kurier::managesieve
