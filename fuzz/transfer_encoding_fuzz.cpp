// Content-Transfer-Encoding decoders (mime/transfer_encoding.h). The first byte picks the
// encoding, the second where to cut the rest in two: decoding the pieces must give what decoding
// the whole gives (FETCH BINARY decodes piece by piece), and the output is never longer than
// the input.
#include <array>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "mime/transfer_encoding.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  static constexpr std::array<std::string_view, 3> kEncodings = {"quoted-printable", "base64", "8bit"};
  std::string_view encoding = kEncodings[data[0] % kEncodings.size()];
  std::string_view in(reinterpret_cast<const char*>(data + 2), size - 2);
  size_t cut = data[1] % (in.size() + 1);
  auto whole = kurier::mime::decode_transfer_encoding(in, encoding);
  auto decoder = kurier::mime::TransferDecoder::for_encoding(encoding);
  if (!whole || !decoder) abort();
  std::string pieces;
  decoder->feed(in.substr(0, cut), pieces);
  decoder->feed(in.substr(cut), pieces);
  decoder->finish(pieces);
  if (pieces != *whole || whole->size() > in.size()) abort();
  return 0;
}
