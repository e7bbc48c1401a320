#include "smtp_protocol/data.h"

#include <gtest/gtest.h>

#include <string>

namespace kurier::smtp {
namespace {

struct Decoded {
  std::string message;
  DataStats stats;
  size_t consumed = 0;
  bool done = false;
};

Decoded decode(std::string_view wire, size_t chunk_size, uint64_t max_bytes = UINT64_MAX) {
  Decoded out;
  DataDecoder decoder([&](std::string_view bytes) { out.message.append(bytes); }, max_bytes);
  for (size_t pos = 0; pos < wire.size() && !decoder.done(); pos += chunk_size)
    out.consumed += decoder.feed(wire.substr(pos, chunk_size));
  out.stats = decoder.stats();
  out.done = decoder.done();
  return out;
}

// Decodes with every chunk size from 1 to the whole input and checks all agree.
Decoded decode_all_ways(std::string_view wire) {
  Decoded whole = decode(wire, wire.size() ? wire.size() : 1);
  for (size_t n = 1; n <= wire.size(); ++n) {
    Decoded chunked = decode(wire, n);
    EXPECT_EQ(chunked.message, whole.message) << "chunk size " << n;
    EXPECT_EQ(chunked.consumed, whole.consumed) << "chunk size " << n;
    EXPECT_EQ(chunked.done, whole.done) << "chunk size " << n;
    EXPECT_EQ(chunked.stats.header_bytes, whole.stats.header_bytes) << "chunk size " << n;
    EXPECT_EQ(chunked.stats.bare_lf, whole.stats.bare_lf) << "chunk size " << n;
    EXPECT_EQ(chunked.stats.bare_cr, whole.stats.bare_cr) << "chunk size " << n;
    EXPECT_EQ(chunked.stats.suspicious_dot_line, whole.stats.suspicious_dot_line) << "chunk size " << n;
  }
  return whole;
}

TEST(DataDecoder, SimpleMessage) {
  Decoded d = decode_all_ways("Subject: hi\r\n\r\nbody\r\n.\r\n");
  EXPECT_TRUE(d.done);
  EXPECT_EQ(d.message, "Subject: hi\r\n\r\nbody\r\n");
  EXPECT_EQ(d.stats.message_bytes, d.message.size());
  EXPECT_EQ(d.stats.raw_bytes, 24u);
  EXPECT_TRUE(d.stats.header_complete);
  EXPECT_EQ(d.stats.header_bytes, 15u);  // "Subject: hi\r\n\r\n"
  EXPECT_FALSE(d.stats.bare_lf);
  EXPECT_FALSE(d.stats.bare_cr);
  EXPECT_FALSE(d.stats.suspicious_dot_line);
  EXPECT_EQ(d.stats.longest_line, 11u);
}

TEST(DataDecoder, EmptyMessageEndsAtTheVeryStart) {
  Decoded d = decode_all_ways(".\r\n");
  EXPECT_TRUE(d.done);
  EXPECT_EQ(d.message, "");
  EXPECT_EQ(d.consumed, 3u);
  EXPECT_EQ(d.stats.header_bytes, 0u);
  EXPECT_FALSE(d.stats.header_complete);
}

TEST(DataDecoder, MessageWithOnlyHeaders) {
  Decoded d = decode_all_ways("From: a@b.example\r\nSubject: x\r\n.\r\n");
  EXPECT_EQ(d.message, "From: a@b.example\r\nSubject: x\r\n");
  EXPECT_FALSE(d.stats.header_complete);
  EXPECT_EQ(d.stats.header_bytes, d.message.size());
}

TEST(DataDecoder, Unstuffing) {
  EXPECT_EQ(decode_all_ways("..hello\r\n.\r\n").message, ".hello\r\n");
  EXPECT_EQ(decode_all_ways("a\r\n..\r\n.\r\n").message, "a\r\n.\r\n");
  EXPECT_EQ(decode_all_ways("a\r\n...\r\n.\r\n").message, "a\r\n..\r\n");
  EXPECT_EQ(decode_all_ways("a.b\r\n .c\r\n.\r\n").message, "a.b\r\n .c\r\n");  // only at line start
  EXPECT_EQ(decode_all_ways(".x\r\n.\r\n").message, "x\r\n");  // unstuffed even if not stuffed
}

TEST(DataDecoder, EndMarkerNeedsFullCrlfDotCrlf) {
  Decoded d = decode_all_ways("a\r\n.x\r\n. \r\n.\r\n");
  EXPECT_EQ(d.message, "a\r\nx\r\n \r\n");
  EXPECT_FALSE(d.stats.suspicious_dot_line);
  // Not finished: no end marker yet.
  Decoded partial = decode_all_ways("a\r\n.\r");
  EXPECT_FALSE(partial.done);
  EXPECT_EQ(partial.message, "a\r\n");
}

TEST(DataDecoder, LeavesPipelinedCommandsUnconsumed) {
  std::string wire = "x\r\n.\r\nQUIT\r\n";
  Decoded d = decode_all_ways(wire);
  EXPECT_EQ(d.consumed, 6u);
  EXPECT_EQ(d.message, "x\r\n");
  DataDecoder decoder(nullptr);
  EXPECT_EQ(decoder.feed(wire), 6u);
  EXPECT_EQ(decoder.feed("more"), 0u);
}

TEST(DataDecoder, BareLfIsALineEndAndNormalised) {
  Decoded d = decode_all_ways("a\nb\r\n\nc\n.\r\n");
  // The "\n.\r\n" is not an end marker: the dot line follows a bare LF.
  EXPECT_FALSE(d.done);
  EXPECT_EQ(d.message, "a\r\nb\r\n\r\nc\r\n\r\n");
  EXPECT_TRUE(d.stats.bare_lf);
  EXPECT_TRUE(d.stats.suspicious_dot_line);
  Decoded ok = decode_all_ways("a\nb\r\n.\r\n");
  EXPECT_TRUE(ok.done);
  EXPECT_EQ(ok.message, "a\r\nb\r\n");
  EXPECT_TRUE(ok.stats.bare_lf);
  EXPECT_FALSE(ok.stats.suspicious_dot_line);
}

TEST(DataDecoder, SmugglingPatternsAreNotEndMarkers) {
  // <LF>.<LF>
  Decoded lf = decode_all_ways("a\r\n.\nMAIL FROM:<x@y>\r\n.\r\n");
  EXPECT_TRUE(lf.done);
  EXPECT_EQ(lf.message, "a\r\n\r\nMAIL FROM:<x@y>\r\n");
  EXPECT_TRUE(lf.stats.suspicious_dot_line);
  // <LF>.<CR><LF>
  Decoded lf_crlf = decode_all_ways("a\n.\r\nb\r\n.\r\n");
  EXPECT_EQ(lf_crlf.message, "a\r\n\r\nb\r\n");
  EXPECT_TRUE(lf_crlf.stats.suspicious_dot_line);
  // <CR><LF>.<CR> followed by something else
  Decoded dot_cr = decode_all_ways("a\r\n.\rb\r\n.\r\n");
  EXPECT_EQ(dot_cr.message, "a\r\n\rb\r\n");
  EXPECT_TRUE(dot_cr.stats.suspicious_dot_line);
  EXPECT_TRUE(dot_cr.stats.bare_cr);
  // <CR>.<CR>
  Decoded cr = decode_all_ways("a\r.\rb\r\n.\r\n");
  EXPECT_EQ(cr.message, "a\r.\rb\r\n");
  EXPECT_TRUE(cr.stats.bare_cr);
  EXPECT_TRUE(cr.stats.suspicious_dot_line);
}

TEST(DataDecoder, BareCrIsKeptAsData) {
  Decoded d = decode_all_ways("a\rb\r\n\r\r\n.\r\n");
  EXPECT_EQ(d.message, "a\rb\r\n\r\r\n");
  EXPECT_TRUE(d.stats.bare_cr);
  EXPECT_FALSE(d.stats.bare_lf);
  EXPECT_FALSE(d.stats.suspicious_dot_line);
}

TEST(DataDecoder, HeaderBytesWithBody) {
  Decoded d = decode_all_ways("A: 1\r\nB: 2\r\n\r\nbody\r\n\r\nmore\r\n.\r\n");
  EXPECT_EQ(d.stats.header_bytes, 14u);
  EXPECT_TRUE(d.stats.header_complete);
  Decoded no_headers = decode_all_ways("\r\nbody\r\n.\r\n");
  EXPECT_EQ(no_headers.stats.header_bytes, 2u);
}

TEST(DataDecoder, SizeLimit) {
  Decoded d = decode("0123456789\r\n.\r\n", 3, 5);
  EXPECT_TRUE(d.done);
  EXPECT_EQ(d.message, "01234");
  EXPECT_TRUE(d.stats.too_large);
  EXPECT_EQ(d.stats.message_bytes, 12u);
  Decoded exact = decode("0123\r\n.\r\n", 2, 6);
  EXPECT_FALSE(exact.stats.too_large);
  EXPECT_EQ(exact.message, "0123\r\n");
}

TEST(DataDecoder, OutputComesInBoundedPieces) {
  std::string wire;
  for (int i = 0; i < 2000; ++i) wire += "line " + std::to_string(i) + " ..............................\r\n";
  wire += ".\r\n";
  size_t largest = 0, total = 0;
  DataDecoder decoder([&](std::string_view bytes) {
    largest = std::max(largest, bytes.size());
    total += bytes.size();
  });
  EXPECT_EQ(decoder.feed(wire), wire.size());
  EXPECT_TRUE(decoder.done());
  EXPECT_LE(largest, 4096u);
  EXPECT_EQ(total, wire.size() - 3);
}

TEST(DataDecoder, LongestLine) {
  Decoded d = decode("ab\r\n" + std::string(1500, 'x') + "\r\nc\r\n.\r\n", 100);
  EXPECT_EQ(d.stats.longest_line, 1500u);
}

// ---------------------------------------------------------------- DotStuffer

std::string stuff(std::string_view message, size_t chunk_size) {
  std::string out;
  DotStuffer stuffer([&](std::string_view bytes) { out.append(bytes); });
  for (size_t pos = 0; pos < message.size(); pos += chunk_size) stuffer.feed(message.substr(pos, chunk_size));
  stuffer.finish();
  return out;
}

TEST(DotStuffer, StuffsAndTerminates) {
  const std::string message = "a\n.b\r\n..c\rd";
  const std::string expected = "a\r\n..b\r\n...c\r\nd\r\n.\r\n";
  for (size_t n = 1; n <= message.size(); ++n) EXPECT_EQ(stuff(message, n), expected) << "chunk size " << n;
}

TEST(DotStuffer, EdgeCases) {
  EXPECT_EQ(stuff("", 1), ".\r\n");
  EXPECT_EQ(stuff(".", 1), "..\r\n.\r\n");
  EXPECT_EQ(stuff("x\r\n", 1), "x\r\n.\r\n");
  EXPECT_EQ(stuff("x\r", 1), "x\r\n.\r\n");
  EXPECT_EQ(stuff("\r\n.\r\n", 2), "\r\n..\r\n.\r\n");
}

TEST(DotStuffer, RoundTripsThroughDecoder) {
  const std::string message = "From: a@b\r\n\r\n.\r\n..\r\n.x\r\nend\r\n";
  for (size_t n = 1; n <= message.size(); ++n) {
    std::string wire = stuff(message, n);
    Decoded d = decode_all_ways(wire);
    EXPECT_TRUE(d.done);
    EXPECT_EQ(d.message, message);
    EXPECT_EQ(d.consumed, wire.size());
  }
}

}  // namespace
}  // namespace kurier::smtp
