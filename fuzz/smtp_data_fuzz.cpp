// The DATA decoder (smtp_protocol/data.h): the output and the end of data must not depend on how
// the bytes were split into reads; and the dot-stuffer's output decodes back to what it was given.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "smtp_protocol/data.h"

namespace {

struct Decoded {
  std::string out;
  size_t consumed = 0;
  bool done = false;
};

Decoded decode(std::string_view input, size_t chunk) {
  Decoded d;
  kurier::smtp::DataDecoder decoder([&](std::string_view s) { d.out.append(s); });
  size_t pos = 0;
  while (pos < input.size() && !decoder.done()) {
    size_t n = std::min(chunk, input.size() - pos);
    size_t used = decoder.feed(input.substr(pos, n));
    pos += used;
    if (used < n) break;  // the end of data came inside this chunk
  }
  d.consumed = pos;
  d.done = decoder.done();
  return d;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  size_t chunk = 1 + data[0] % 17;
  std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  Decoded whole = decode(input, input.size() + 1);
  Decoded split = decode(input, chunk);
  if (whole.out != split.out || whole.done != split.done || whole.consumed != split.consumed) std::abort();
  return 0;
}
