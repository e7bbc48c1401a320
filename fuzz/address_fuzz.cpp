// RFC 5322 address lists (mime/envelope.h) as FROM/TO/CC headers carry them, with RFC 2047
// encoded words in display names.
#include <cstdint>
#include <string_view>

#include "mime/envelope.h"
#include "mime/header.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view value(reinterpret_cast<const char*>(data), size);
  for (const auto& a : kurier::mime::parse_address_list(value)) (void)a;
  return 0;
}
