// The mbox reader (import/mbox.h) fed the input line by line: it never emits content before a
// message started, and keeps no more than one held blank line of state between lines.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "import/mbox.h"

using namespace kurier::mail_import;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  MboxReader reader;
  size_t start = 0, messages = 0, out_bytes = 0;
  while (start < input.size()) {
    size_t nl = input.find('\n', start);
    size_t end = nl == std::string_view::npos ? input.size() : nl + 1;
    auto step = reader.feed(input.substr(start, end - start));
    if (step.event == MboxReader::Event::message_start) ++messages;
    if (step.event == MboxReader::Event::content) {
      if (messages == 0) std::abort();
      out_bytes += step.out.size();
    }
    start = end;
  }
  auto last = reader.finish();
  out_bytes += last.out.size();
  if (out_bytes > input.size()) std::abort();  // unquoting and dropping only ever shrink
  parse_from_line_date(input);
  return 0;
}
