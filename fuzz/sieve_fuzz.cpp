// Sieve scripts (sieve/sieve.h): the lexer, parser and compile-time validation with every
// extension enabled; a script that compiles is also run against a small fixed message, so the
// interpreter's matching, variables and editheader code see the same inputs.
#include <cstdint>
#include <string_view>

#include "sieve/sieve.h"

namespace {

constexpr std::string_view kMessage =
    "From: Alice <alice@example.org>\r\n"
    "To: bob+x@example.com\r\n"
    "Subject: =?UTF-8?Q?hello_w=C3=B6rld?=\r\n"
    "Date: Tue, 1 Dec 2026 09:30:15 -0800\r\n"
    "Message-ID: <1@example.org>\r\n"
    "Content-Type: multipart/mixed; boundary=b\r\n"
    "\r\n"
    "--b\r\n"
    "Content-Type: text/plain\r\n"
    "\r\n"
    "hello\r\n"
    "--b--\r\n";

class FuzzEnv : public kurier::sieve::Environment {
 public:
  FuzzEnv() : message_(kMessage) {}
  const kurier::sieve::Message& message() const override { return message_; }
  kurier::sieve::Envelope envelope() const override { return {"alice@example.org", "bob@example.com", ""}; }
  std::vector<std::string> user_addresses() const override { return {"bob@example.com"}; }
  std::time_t now() const override { return 1796637600; }

 private:
  kurier::sieve::ParsedMessage message_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view script(reinterpret_cast<const char*>(data), size);
  kurier::sieve::Limits limits;
  limits.max_steps = 2000;
  auto compiled = kurier::sieve::compile(script, kurier::sieve::ExtensionSet::all(), limits);
  if (!compiled.ok()) return 0;
  static const FuzzEnv env;
  kurier::sieve::Result r = kurier::sieve::execute(*compiled.program, env);
  (void)r;
  return 0;
}
