// Lets GoogleTest show a Config as the TOML render() writes instead of a byte dump.
#pragma once
#include <ostream>

#include "config/config.h"

namespace kurier::config {
inline void PrintTo(const Config& c, std::ostream* os) { *os << "\n" << render(c); }
}  // namespace kurier::config
