#include "http/gzip.h"

#include <zlib.h>

#include <cstdlib>
#include <stdexcept>

#include "common/strings.h"

namespace kurier::http {

std::string gzip_compress(std::string_view data) {
  z_stream zs{};
  // windowBits 15 + 16: a gzip header and trailer instead of zlib's.
  if (deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    throw std::runtime_error("gzip: deflateInit2 failed");
  std::string out(deflateBound(&zs, uLong(data.size())) + 32, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = uInt(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = uInt(out.size());
  int rc = deflate(&zs, Z_FINISH);
  deflateEnd(&zs);
  if (rc != Z_STREAM_END) throw std::runtime_error("gzip: deflate failed");
  out.resize(zs.total_out);
  return out;
}

bool accepts_gzip(std::string_view accept_encoding) {
  for (auto item : split(accept_encoding, ',')) {
    auto parts = split(item, ';');
    if (parts.empty()) continue;
    auto coding = to_lower(trim(parts[0]));
    if (coding != "gzip" && coding != "x-gzip" && coding != "*") continue;
    bool zero = false;
    for (size_t i = 1; i < parts.size(); ++i) {
      auto p = trim(parts[i]);
      if (p.size() > 2 && (p[0] == 'q' || p[0] == 'Q') && p[1] == '=') zero = std::strtod(std::string(p.substr(2)).c_str(), nullptr) <= 0.0;
    }
    if (!zero) return true;
  }
  return false;
}

}  // namespace kurier::http
