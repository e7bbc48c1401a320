// IMAP command assembly without I/O: a command arrives as lines, every line but the last
// ending in a literal announcement, each followed by the literal's bytes.
//   RFC 3501 / RFC 9051 4.3   literal  = "{" number64 ["+"] "}" CRLF *CHAR8
//   RFC 7888                  LITERAL+ / LITERAL- non-synchronizing literals "{N+}"
//   RFC 3516 4.1              literal8 = "~{" number64 "}" CRLF *OCTET
// The session reads a line, asks literal_at_end() whether a literal follows (and whether it
// must send "+ go ahead" first), reads the bytes, and repeats; then hands RawCommand to
// parse_command() in parser.h.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kurier::imap {

// RFC 9051 number64: 0 .. 2^63-1.
inline constexpr uint64_t kMaxNumber64 = 9223372036854775807ull;
// RFC 7888 section 5: with LITERAL- a non-synchronizing literal may be at most 4096 octets.
inline constexpr uint64_t kLiteralMinusMax = 4096;

struct LiteralAnnouncement {
  enum class Error { none, malformed, too_large };
  uint64_t size = 0;
  bool non_synchronizing = false;  // "{N+}": the client does not wait for a continuation
  bool binary = false;             // "~{N}": literal8, may contain NUL (RFC 3516)
  Error error = Error::none;
  std::string error_text;          // for a BAD reply when error != none
  bool ok() const { return error == Error::none; }
};

// Looks at the end of one command line (without CRLF). nullopt: the line ends the command.
// Otherwise the announcement, which may carry an error: a malformed "{...}" at the end of the
// line, or a size above max_size (e.g. the server's APPENDLIMIT, or kMaxNumber64).
std::optional<LiteralAnnouncement> literal_at_end(std::string_view line,
                                                  uint64_t max_size = kMaxNumber64);

// One literal of a command. A large literal (typically an APPEND message) is spooled by the
// session to a file: then spool_path is set, data is empty and size is the byte count.
struct Literal {
  std::string data;
  std::string spool_path;
  uint64_t size = 0;
  bool binary = false;
  bool spooled() const { return !spool_path.empty(); }
};

// A whole command as received: literals[i] follows lines[i]; lines keep their literal
// announcement text ("... {5}") and have no CRLF. lines.size() == literals.size() + 1.
struct RawCommand {
  std::vector<std::string> lines;
  std::vector<Literal> literals;
};

// Convenience for tests and simple callers: splits "a LOGIN {3}\r\nbob x" style text whose
// literals are all in memory. Returns nullopt when announcements and data disagree.
std::optional<RawCommand> raw_command_from_wire(std::string_view wire);

}  // namespace kurier::imap
