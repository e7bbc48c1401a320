// zlib raw-deflate wrappers for RFC 4978 (see deflate.h).
#include "net/deflate.h"

#include <zlib.h>

#include <stdexcept>

namespace kurier::net {
namespace {
// Negative window bits select raw DEFLATE (RFC 1951) without the zlib header (RFC 4978 §3).
constexpr int kRawWindowBits = -15;
constexpr int kMemLevel = 8;
}  // namespace

struct Deflater::State {
  z_stream z{};
};

Deflater::Deflater() : state_(std::make_unique<State>()) {
  if (deflateInit2(&state_->z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, kRawWindowBits, kMemLevel,
                   Z_DEFAULT_STRATEGY) != Z_OK)
    throw std::runtime_error("deflateInit2 failed");
}

Deflater::~Deflater() { deflateEnd(&state_->z); }

void Deflater::compress(std::string_view in, bool flush, std::string& out) {
  z_stream& z = state_->z;
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  const int mode = flush ? Z_SYNC_FLUSH : Z_NO_FLUSH;
  char chunk[16384];
  // zlib contract: call again while it fills the whole output buffer.
  do {
    z.next_out = reinterpret_cast<Bytef*>(chunk);
    z.avail_out = sizeof chunk;
    deflate(&z, mode);  // cannot fail with a valid stream and non-null buffers
    out.append(chunk, sizeof chunk - z.avail_out);
  } while (z.avail_out == 0 || z.avail_in > 0);
}

struct Inflater::State {
  z_stream z{};
  bool failed = false;
};

Inflater::Inflater() : state_(std::make_unique<State>()) {
  if (inflateInit2(&state_->z, kRawWindowBits) != Z_OK) throw std::runtime_error("inflateInit2 failed");
}

Inflater::~Inflater() { inflateEnd(&state_->z); }

void Inflater::feed(std::span<const char> in) {
  state_->z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  state_->z.avail_in = static_cast<uInt>(in.size());
}

bool Inflater::has_input() const { return state_->z.avail_in > 0; }

std::ptrdiff_t Inflater::inflate(std::span<char> out) {
  if (state_->failed) return -1;
  z_stream& z = state_->z;
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  const int rc = ::inflate(&z, Z_SYNC_FLUSH);
  const auto produced = static_cast<std::ptrdiff_t>(out.size() - z.avail_out);
  if (rc == Z_OK || (rc == Z_BUF_ERROR && produced == 0 && z.avail_in == 0)) return produced;
  if (rc == Z_BUF_ERROR) return produced;  // no progress possible right now; more input needed
  state_->failed = true;  // Z_STREAM_END, Z_DATA_ERROR, Z_NEED_DICT, Z_MEM_ERROR
  return produced > 0 ? produced : -1;
}

}  // namespace kurier::net
