// Deterministic random inputs through every parser of the module: nothing may crash (the suite
// runs under ASan/UBSan), and a few invariants must hold whatever the input.
#include <gtest/gtest.h>

#include <random>
#include <string>

#include "smtp_protocol/address.h"
#include "smtp_protocol/command.h"
#include "smtp_protocol/data.h"
#include "smtp_protocol/headers.h"
#include "smtp_protocol/reply.h"

namespace kurier::smtp {
namespace {

class Noise {
 public:
  explicit Noise(uint32_t seed) : rng_(seed) {}

  // Random text made of protocol-looking pieces and random bytes.
  std::string text(size_t max_pieces) {
    static const char* kPieces[] = {"MAIL", "RCPT", "FROM:", "TO:", "<", ">", "@", ".", "\"", "\\", " ",
                                    "\r", "\n", "\r\n", ".\r\n", "\r\n.\r\n", "=", "+", "+2B", "\\x{",
                                    "}", "SIZE=", "ORCPT=", "utf-8;", "[", "]", "IPv6:", ":", ",", ";",
                                    "(", ")", "\xC3\xA9", "\xFF", "postmaster", "a", "example.com", "250",
                                    "-", "5.1.1", "From:", "\t"};
    std::string out;
    size_t pieces = pick(max_pieces + 1);
    for (size_t i = 0; i < pieces; ++i) {
      if (pick(4) == 0) out.push_back(static_cast<char>(pick(256)));
      else out += kPieces[pick(std::size(kPieces))];
    }
    return out;
  }
  size_t pick(size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng_); }

 private:
  std::mt19937 rng_;
};

// What DotStuffer + DataDecoder must give back: every bare CR or LF made a CRLF, last line ended.
std::string normalize_line_ends(std::string_view in) {
  std::string out;
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '\r' && i + 1 < in.size() && in[i + 1] == '\n') continue;
    if (in[i] == '\r' || in[i] == '\n') out += "\r\n";
    else out.push_back(in[i]);
  }
  if (!out.empty() && (out.size() < 2 || out.substr(out.size() - 2) != "\r\n")) out += "\r\n";
  return out;
}

TEST(Robustness, CommandParser) {
  Noise noise(1);
  for (int i = 0; i < 20000; ++i) {
    std::string line = (i % 2 ? "MAIL FROM:" : "RCPT TO:") + noise.text(12);
    for (bool utf8 : {false, true}) {
      ParseResult r = parse_command(line, utf8);
      if (!r) {
        EXPECT_GE(r.error.code, 500);
        EXPECT_FALSE(r.error.enhanced.empty());
      } else if (r.command->mailbox) {
        EXPECT_LE(r.command->mailbox->str().size(), 254u);
        EXPECT_TRUE(utf8 || !r.command->mailbox->is_utf8());
      }
    }
  }
}

TEST(Robustness, AddressParser) {
  Noise noise(2);
  for (int i = 0; i < 20000; ++i) {
    std::string text = noise.text(8);
    auto a = Address::parse(text, i % 2);
    if (a) {
      EXPECT_EQ(Address::parse(a->str(), true), a);  // str() parses back to the same address
      EXPECT_LE(a->local_part().size(), 64u);
    }
  }
}

TEST(Robustness, ReplyParser) {
  Noise noise(3);
  ReplyParser parser;
  for (int i = 0; i < 20000; ++i) {
    if (parser.feed_line(noise.text(6)) == ReplyParser::Status::Complete) {
      ParsedReply r = parser.take();
      EXPECT_GE(r.code, 200);
      EXPECT_LT(r.code, 600);
    }
  }
}

TEST(Robustness, DataCodecRoundTrip) {
  Noise noise(4);
  for (int i = 0; i < 3000; ++i) {
    std::string message = noise.text(40);
    std::string wire;
    DotStuffer stuffer([&](std::string_view b) { wire.append(b); });
    size_t chunk = 1 + noise.pick(16);
    for (size_t pos = 0; pos < message.size(); pos += chunk) stuffer.feed(std::string_view(message).substr(pos, chunk));
    stuffer.finish();

    std::string decoded;
    DataDecoder decoder([&](std::string_view b) { decoded.append(b); });
    size_t consumed = 0;
    for (size_t pos = 0; pos < wire.size(); pos += chunk) consumed += decoder.feed(std::string_view(wire).substr(pos, chunk));
    ASSERT_TRUE(decoder.done());
    EXPECT_EQ(consumed, wire.size());
    EXPECT_EQ(decoded, normalize_line_ends(message));
    EXPECT_FALSE(decoder.stats().bare_lf);
    EXPECT_FALSE(decoder.stats().bare_cr);
    EXPECT_FALSE(decoder.stats().suspicious_dot_line);
  }
}

TEST(Robustness, DataDecoderOnRawNoise) {
  Noise noise(5);
  for (int i = 0; i < 3000; ++i) {
    std::string wire = noise.text(60);
    uint64_t out = 0;
    DataDecoder decoder([&](std::string_view b) { out += b.size(); });
    size_t consumed = decoder.feed(wire);
    EXPECT_LE(consumed, wire.size());
    EXPECT_EQ(out, decoder.stats().message_bytes);
    EXPECT_LE(decoder.stats().header_bytes, decoder.stats().message_bytes);
    EXPECT_LE(out, 2 * consumed);
  }
}

TEST(Robustness, HeaderScanner) {
  Noise noise(6);
  for (int i = 0; i < 5000; ++i) {
    std::string msg = noise.text(40);
    HeaderSummary s = scan_headers(msg, 1 + noise.pick(200));
    EXPECT_LE(s.header_bytes, msg.size());
    EXPECT_LE(s.from_addresses.size(), HeaderScanner::kMaxFromAddresses);
  }
}

}  // namespace
}  // namespace kurier::smtp
