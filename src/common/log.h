// Structured logging: one event per line on stderr, "TIME LEVEL event key=value ...".
// Values with spaces, quotes or control characters are quoted and escaped so a line is
// always one line and machine-parsable. Thread-safe; secrets must never be passed in.
#pragma once
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <type_traits>

namespace kurier::log {

enum class Level { debug = 0, info = 1, warn = 2, error = 3 };

struct Field {
  std::string_view key;
  std::string value;
  Field(std::string_view k, std::string_view v) : key(k), value(v) {}
  Field(std::string_view k, const std::string& v) : key(k), value(v) {}
  Field(std::string_view k, const char* v) : key(k), value(v ? v : "") {}
  Field(std::string_view k, bool v) : key(k), value(v ? "yes" : "no") {}
  template <class T, std::enable_if_t<std::is_arithmetic_v<T>, int> = 0>
  Field(std::string_view k, T v) : key(k), value(std::to_string(v)) {}
};
using Fields = std::initializer_list<Field>;

void set_level(Level level);
bool parse_level(std::string_view name, Level& out);
bool enabled(Level level);
void write(Level level, std::string_view event, Fields fields);
// Formats one line (without the newline); exposed for tests.
std::string format_line(Level level, std::string_view event, Fields fields);

inline void debug(std::string_view event, Fields f = {}) { if (enabled(Level::debug)) write(Level::debug, event, f); }
inline void info(std::string_view event, Fields f = {}) { if (enabled(Level::info)) write(Level::info, event, f); }
inline void warn(std::string_view event, Fields f = {}) { if (enabled(Level::warn)) write(Level::warn, event, f); }
inline void error(std::string_view event, Fields f = {}) { write(Level::error, event, f); }

}  // namespace kurier::log
