// Writing settings back as TOML: render() for `kurier check-config` (every key, effective
// values) and initial_file() for `kurier init` (changed keys live, the others commented out with
// their defaults, each under its explanation). Both parse back to the same Config.
#include <fmt/format.h>

#include "config/config.h"
#include "config/schema.h"
#include "config/toml_text.h"

namespace kurier::config {
namespace {

using schema::Field;
using schema::Section;

std::string section_header(const Section& s) { return fmt::format("\n# {}\n[{}]\n", s.comment, s.name); }

std::string routes_lines(const Config& c) {
  std::string out;
  for (const auto& [domain, target] : c.outbound.routes)
    out += fmt::format("{} = {}\n", toml_quote(domain), toml_quote(target));
  return out;
}

// The defaults initial_file() compares against: those of a file naming only c's hostname and
// data_dir, except that listener ports follow c's port_offset (a listener at standard port +
// port_offset needs no line of its own).
Config baseline(const Config& c) {
  Config d = defaults(c.hostname, c.data_dir, c.port_offset);
  d.port_offset = 0;
  d.file = c.file;
  return d;
}

std::string initial_key(const Field& f, const Config& c, const Config& d) {
  std::string value = f.write(c);
  bool live = f.always_written || value != f.write(d);
  return fmt::format("# {}\n{}{} = {}\n", f.help, live ? "" : "#", f.key, value);
}

std::string initial_routes(const Config& c) {
  if (c.outbound.routes.empty()) return "#\"example.com\" = \"mx.example.net:25\"\n";
  return routes_lines(c);
}

}  // namespace

std::string render(const Config& c) {
  std::string out = "# kurier: the effective settings, every key shown. docs/CONFIG.md explains them.\n";
  for (const auto& s : schema::sections()) {
    out += section_header(s);
    if (s.name == schema::kRoutesSection) out += routes_lines(c);
    for (const auto& f : schema::fields())
      if (f.section == s.name) out += fmt::format("{} = {}\n", f.key, f.write(c));
  }
  return out;
}

std::string initial_file(const Config& c) {
  const Config d = baseline(c);
  std::string out =
      "# kurier configuration, written by `kurier init`.\n"
      "# A commented-out key shows its default; remove the '#' to change it.\n"
      "# docs/CONFIG.md explains every key; `kurier -c FILE check-config` validates the file.\n";
  for (const auto& s : schema::sections()) {
    out += section_header(s);
    if (s.name == schema::kRoutesSection) out += initial_routes(c);
    for (const auto& f : schema::fields())
      if (f.section == s.name) out += initial_key(f, c, d);
  }
  return out;
}

}  // namespace kurier::config
