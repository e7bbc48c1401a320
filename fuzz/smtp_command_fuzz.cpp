// SMTP/LMTP command lines (smtp_protocol/command.h), with and without SMTPUTF8, and addresses.
#include <cstdint>
#include <string_view>

#include "smtp_protocol/address.h"
#include "smtp_protocol/command.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view line(reinterpret_cast<const char*>(data), size);
  kurier::smtp::parse_command(line, false);
  kurier::smtp::parse_command(line, true);
  if (auto a = kurier::smtp::Address::parse(line, true)) {
    a->canonical();
    kurier::smtp::split_subaddress(a->local_part(), "+-");
  }
  return 0;
}
