// RFC 2047 encoded words (mime/header.h decode_encoded_words): any charset name, any B/Q text.
#include <cstdint>
#include <string_view>

#include "mime/header.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  kurier::mime::decode_encoded_words(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
