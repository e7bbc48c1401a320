// DKIM relaxed canonicalization (dkim/canonicalize.h): the body's canonical form must not depend
// on how it was split into chunks (the signer streams the body as it is spooled).
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "dkim/canonicalize.h"

namespace {

std::string canonical_body(std::string_view body, size_t chunk) {
  std::string out;
  kurier::dkim::RelaxedBody canon([&](std::string_view s) { out.append(s); });
  for (size_t pos = 0; pos < body.size(); pos += chunk) canon.feed(body.substr(pos, chunk));
  canon.finish();
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  size_t chunk = 1 + data[0] % 13;
  std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (canonical_body(input, input.size() + 1) != canonical_body(input, chunk)) std::abort();
  kurier::dkim::relaxed_header_field(input);
  return 0;
}
