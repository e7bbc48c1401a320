// The config loader (config/config.h parse): any text gives a Config or a ConfigError, and a
// Config that parsed renders to TOML that parses to the same settings.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "config/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    auto c = kurier::config::parse(text, "/fuzz/kurier.toml");
    auto again = kurier::config::parse(kurier::config::render(c), "/fuzz/kurier.toml");
    if (kurier::config::render(again) != kurier::config::render(c)) std::abort();
  } catch (const kurier::config::ConfigError&) {
  }
  return 0;
}
