// Deflater/Inflater: raw DEFLATE (RFC 4978 §3) interoperating with plain zlib, bounded output.
#include "net/deflate.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <string>

namespace kurier::net {
namespace {

std::string zlib_raw_inflate(const std::string& in) {
  z_stream z{};
  EXPECT_EQ(inflateInit2(&z, -15), Z_OK);
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  std::string out;
  char buf[4096];
  do {
    z.next_out = reinterpret_cast<Bytef*>(buf);
    z.avail_out = sizeof buf;
    int rc = inflate(&z, Z_SYNC_FLUSH);
    EXPECT_TRUE(rc == Z_OK || rc == Z_BUF_ERROR) << rc;
    out.append(buf, sizeof buf - z.avail_out);
  } while (z.avail_out == 0);
  inflateEnd(&z);
  return out;
}

std::string zlib_raw_deflate(const std::string& in) {
  z_stream z{};
  EXPECT_EQ(deflateInit2(&z, 6, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY), Z_OK);
  std::string out(deflateBound(&z, in.size()) + 64, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&z, Z_SYNC_FLUSH), Z_OK);
  out.resize(out.size() - z.avail_out);
  deflateEnd(&z);
  return out;
}

TEST(Deflate, EachFlushedWriteDecodesOnItsOwn) {
  Deflater d;
  std::string stream;
  d.compress("* OK first\r\n", true, stream);
  EXPECT_EQ(zlib_raw_inflate(stream), "* OK first\r\n");
  d.compress("* OK second\r\n", true, stream);
  EXPECT_EQ(zlib_raw_inflate(stream), "* OK first\r\n* OK second\r\n");
}

TEST(Deflate, InflatesZlibOutputIntoSmallBuffers) {
  std::string text;
  for (int i = 0; i < 20000; ++i) text += "a1 FETCH 1:* (FLAGS)\r\n";
  const std::string compressed = zlib_raw_deflate(text);
  Inflater inf;
  inf.feed(compressed);
  std::string out;
  char buf[100];  // output is bounded by the caller's buffer, however well the input compresses
  for (;;) {
    std::ptrdiff_t n = inf.inflate(buf);
    ASSERT_GE(n, 0);
    if (n == 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  EXPECT_EQ(out, text);
}

TEST(Deflate, GarbageIsAnError) {
  Inflater inf;
  std::string garbage(64, '\xff');
  inf.feed(garbage);
  char buf[256];
  EXPECT_EQ(inf.inflate(buf), -1);
  EXPECT_EQ(inf.inflate(buf), -1);  // stays failed
}

TEST(Deflate, RoundTripInPieces) {
  Deflater d;
  Inflater inf;
  std::string compressed;
  std::string big(300000, 'z');
  d.compress(big.substr(0, 100000), false, compressed);
  d.compress(big.substr(100000), true, compressed);
  std::string out;
  char buf[8192];
  for (std::size_t pos = 0; pos < compressed.size(); pos += 7) {  // fed 7 bytes at a time
    std::string_view piece = std::string_view(compressed).substr(pos, 7);
    inf.feed(piece);
    std::ptrdiff_t n;
    while ((n = inf.inflate(buf)) > 0) out.append(buf, static_cast<std::size_t>(n));
    ASSERT_EQ(n, 0);
  }
  EXPECT_EQ(out, big);
}

}  // namespace
}  // namespace kurier::net
