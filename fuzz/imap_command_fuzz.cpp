// IMAP command assembly and parsing (imap_protocol/literal.h, imap_protocol/parser.h): any bytes
// give either a command or a BAD whose text is safe to send (no CR, LF or NUL), never a crash or
// a hang.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "imap_protocol/literal.h"
#include "imap_protocol/parser.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view wire(reinterpret_cast<const char*>(data), size);
  auto raw = kurier::imap::raw_command_from_wire(wire);
  if (!raw) return 0;
  auto result = kurier::imap::parse_command(*raw);
  if (!result.ok()) {
    if (!result.error) std::abort();  // neither a command nor an error
    for (char c : result.error->message)
      if (c == '\r' || c == '\n' || c == '\0') std::abort();  // would inject a response line
  }
  kurier::imap::read_tag(raw->lines.front());
  return 0;
}
