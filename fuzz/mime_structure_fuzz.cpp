// MIME structure (mime/part.h) and what IMAP derives from it: ENVELOPE, BODY, BODYSTRUCTURE,
// section offsets. Offsets must stay inside the message.
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <string_view>

#include "mime/bodystructure.h"
#include "mime/envelope.h"
#include "mime/part.h"

namespace {

void check_bounds(const kurier::mime::Part& p, size_t size) {
  if (p.header_offset + p.header_size > size || p.body_offset > size || p.end() > size) std::abort();
  if (p.header_offset > p.body_offset) std::abort();
  for (const auto& child : p.children) check_bounds(child, size);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view msg(reinterpret_cast<const char*>(data), size);
  auto part = kurier::mime::parse_message(msg);
  check_bounds(part, size);
  kurier::mime::imap_bodystructure(part, msg);
  kurier::mime::imap_body(part, msg);
  kurier::mime::imap_envelope(msg.substr(part.header_offset, part.header_size));
  return 0;
}
