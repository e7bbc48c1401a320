// POP3 command lines (pop3/command.h), and the first line's arguments reused as a message for
// the RETR/TOP byte-stuffer (pop3/response.h), which must end every answer with CRLF "." CRLF.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "pop3/command.h"
#include "pop3/response.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  auto parsed = kurier::pop3::parse_command(input);
  if (!parsed && parsed.error.empty()) std::abort();  // every refusal says why
  uint64_t lines = parsed && parsed.command->verb == kurier::pop3::Verb::top ? parsed.command->lines : 3;
  for (std::optional<uint64_t> top : {std::optional<uint64_t>(), std::optional<uint64_t>(lines)}) {
    kurier::pop3::MessageStream stream(input, top);
    std::string out;
    while (stream.next(out, 16)) {
    }
    if (out.size() < 3 || out.compare(out.size() - 3, 3, ".\r\n") != 0) std::abort();
    if (out.size() > 3 && (out.size() < 5 || out.compare(out.size() - 5, 2, "\r\n") != 0)) std::abort();
  }
  return 0;
}
