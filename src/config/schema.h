// The list of kurier.toml's sections and keys, each key with its one-line explanation, how it is
// read from a TOML value (type, range, syntax) and how it is written back. load.cpp walks it to
// read a file, render.cpp to write one, so a new setting is one entry in schema.cpp (plus its
// field in config.h and its paragraph in docs/CONFIG.md). Internal to the config module.
#pragma once
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"

namespace kurier::config::schema {

// A TOML value detached from toml++ (only load.cpp knows toml++).
struct Value {
  enum class Kind { string, integer, floating, boolean, array, table, date_time };
  Kind kind = Kind::string;
  std::string text;          // string
  int64_t integer = 0;       // integer
  bool boolean = false;      // boolean
  std::vector<Value> items;  // array
  uint32_t line = 0;         // 1-based line in the file, 0 when unknown
};

// "a string", "an integer", ... for "must be X, not Y" messages.
std::string_view describe(Value::Kind kind);

struct ReadContext {
  std::filesystem::path base_dir;  // folder of the configuration file, absolute
};

struct Field {
  std::string_view section;  // "server", "limits", ...
  std::string key;
  std::string help;          // one line, shown above the key by initial_file()
  bool always_written = false;  // initial_file() writes it live even when it is the default
  // Stores the value into the Config; returns "" or what is wrong (without "FILE:LINE: ").
  std::function<std::string(const Value&, const ReadContext&, Config&)> read;
  // The setting as TOML value text ("25", "\"info\"", "[\"0.0.0.0\"]").
  std::function<std::string(const Config&)> write;
};

struct Section {
  std::string_view name;     // "server", "outbound.routes", ...
  std::string_view comment;  // one line, written above the section header
};

inline constexpr std::string_view kRoutesSection = "outbound.routes";

const std::vector<Section>& sections();
const std::vector<Field>& fields();
const Field* find_field(std::string_view section, std::string_view key);
bool is_section(std::string_view name);

// Reads one [outbound.routes] entry (`domain` as written in the file) into c.outbound.routes.
std::string read_route(std::string_view domain, const Value& value, Config& c);

// `p` made absolute against `base` and normalized, without a trailing separator.
std::filesystem::path resolve_path(const std::filesystem::path& base, const std::filesystem::path& p);

// Standard port and one-line description of each service, in Config::listeners order.
struct Service {
  std::string_view name;
  uint16_t port;
  std::string_view help;
};
const std::vector<Service>& services();

}  // namespace kurier::config::schema
