// ManageSieve commands (managesieve/protocol.h): the input is cut into lines, and a literal the
// tokenizer asks for takes its bytes from what follows, as the session does. Every refusal says
// why, and every string the parser returns goes back out through encode_string unchanged in
// meaning: a quoted form never carries CR or LF.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "managesieve/protocol.h"

using kurier::managesieve::CommandTokenizer;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  CommandTokenizer tokenizer(4096);
  for (int lines = 0; lines < 64; ++lines) {
    size_t end = input.find("\r\n");
    std::string_view line = input.substr(0, end);
    input.remove_prefix(end == std::string_view::npos ? input.size() : end + 2);
    auto step = tokenizer.feed_line(line);
    if (step.kind == CommandTokenizer::Step::Kind::error) {
      if (step.error.empty()) std::abort();
      return 0;
    }
    if (step.kind == CommandTokenizer::Step::Kind::complete) break;
    if (step.literal_size > 4096) std::abort();  // the limit holds before any byte is read
    size_t take = std::min<size_t>(size_t(step.literal_size), input.size());
    tokenizer.feed_literal(std::string(input.substr(0, take)));
    input.remove_prefix(take);
  }
  for (const auto& arg : tokenizer.command().args) {
    std::string encoded = kurier::managesieve::encode_string(arg.text);
    if (encoded.front() == '"' && encoded.find_first_of("\r\n") != std::string::npos) std::abort();
  }
  return 0;
}
