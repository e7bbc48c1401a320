// cyrus.index and cyrus.header (import/cyrus.h): any bytes give a parse or a reason, never a
// read past the end; records come out with ascending UIDs.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "import/cyrus.h"

using namespace kurier::mail_import;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  std::string error;
  auto index = parse_cyrus_index(input, error);
  if (!index && error.empty()) std::abort();
  CyrusHeader header;
  if (auto h = parse_cyrus_header(input, error)) header = *h;
  if (index) {
    kurier::store::Uid last = 0;
    for (const auto& r : index->records) {
      if (r.uid <= last) std::abort();
      last = r.uid;
      cyrus_flags(r, header);
    }
  }
  return 0;
}
