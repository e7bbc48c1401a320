// Raw DEFLATE streams for COMPRESS=DEFLATE (RFC 4978): no zlib/gzip header (RFC 4978 §3: "raw
// deflate, without any zlib header"), and every write ends with a sync flush so the peer can
// decode each response as soon as it arrives. Pure zlib wrappers, no I/O: Connection drives them.
#pragma once
#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <string_view>

namespace kurier::net {

// Compresses the outgoing byte stream.
class Deflater {
 public:
  Deflater();
  ~Deflater();
  Deflater(const Deflater&) = delete;
  Deflater& operator=(const Deflater&) = delete;

  // Appends the compressed form of `in` to `out`; with `flush` the output ends at a byte
  // boundary (Z_SYNC_FLUSH) so everything written so far can be decoded by the peer.
  void compress(std::string_view in, bool flush, std::string& out);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// Decompresses the incoming byte stream. Output is produced into the caller's buffer, so memory
// stays bounded however well the input compresses.
class Inflater {
 public:
  Inflater();
  ~Inflater();
  Inflater(const Inflater&) = delete;
  Inflater& operator=(const Inflater&) = delete;

  // Hands over the next compressed bytes; they must stay valid until has_input() is false.
  void feed(std::span<const char> in);
  bool has_input() const;
  // Decompresses into `out`; returns bytes produced, or -1 if the input is not valid DEFLATE data
  // or the peer ended the stream (there is no "end" in RFC 4978: compression lasts until close).
  std::ptrdiff_t inflate(std::span<char> out);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace kurier::net
