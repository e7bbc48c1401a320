// Reading kurier.toml: parse with toml++, reject what the schema does not know, read each key
// through the schema, then check what spans keys (listener ports, the required hostname).
// The only file of kurier that includes toml++ (slow to compile).
#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
// toml++ 3.3 asserts, in debug builds, things its parser checks right after and reports as a
// parse error: "[." aborts a debug build on `is_bare_key_character(*cp) || ...` in parse_key().
// Release builds (NDEBUG) compile the asserts out; do the same here so that a typo in a
// configuration file is an error message in every build, never an abort.
#define TOML_ASSERT(expr) static_assert(true)
#include <toml++/toml.h>

#include "config/config.h"
#include "config/schema.h"
#include "config/toml_text.h"
#include "sqldb/dsn.h"

namespace kurier::config {
namespace {

namespace fs = std::filesystem;
using schema::Value;

constexpr uintmax_t kMaxFileBytes = 1024 * 1024;  // a configuration file is a few KiB

struct Problem {
  uint32_t line;  // 0 when no line applies
  std::string text;
};

std::string located(const fs::path& file, uint32_t line, std::string_view text) {
  if (line == 0) return fmt::format("{}: {}", file.string(), text);
  return fmt::format("{}:{}: {}", file.string(), line, text);
}

Value::Kind kind_of(const toml::node& n) {
  switch (n.type()) {
    case toml::node_type::string: return Value::Kind::string;
    case toml::node_type::integer: return Value::Kind::integer;
    case toml::node_type::floating_point: return Value::Kind::floating;
    case toml::node_type::boolean: return Value::Kind::boolean;
    case toml::node_type::array: return Value::Kind::array;
    case toml::node_type::table: return Value::Kind::table;
    default: return Value::Kind::date_time;
  }
}

Value to_value(const toml::node& n) {
  Value v;
  v.kind = kind_of(n);
  v.line = n.source().begin.line;
  if (auto s = n.as_string()) v.text = s->get();
  if (auto i = n.as_integer()) v.integer = i->get();
  if (auto b = n.as_boolean()) v.boolean = b->get();
  if (auto a = n.as_array())
    for (const toml::node& item : *a) v.items.push_back(to_value(item));
  return v;
}

// The table of section "a.b" in the document, or nullptr.
const toml::table* find_table(const toml::table& doc, std::string_view section) {
  const toml::table* t = &doc;
  size_t start = 0;
  while (t) {
    size_t dot = section.find('.', start);
    std::string_view part = section.substr(start, dot == std::string_view::npos ? dot : dot - start);
    const toml::node* n = t->get(part);
    t = n ? n->as_table() : nullptr;
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return t;
}

class Loader {
 public:
  Loader(const toml::table& doc, fs::path file)
      : doc_(doc), file_(std::move(file)), ctx_{schema::resolve_path(fs::current_path(), file_.parent_path())} {}

  Config run() {
    check_layout();
    Config c = defaults("", ctx_.base_dir);
    read_field(*schema::find_field("server", "data_dir"), c);
    c = defaults("", c.data_dir);  // tls and lmtp_socket defaults follow data_dir
    c.file = file_;
    for (const auto& f : schema::fields())
      if (!(f.section == "server" && f.key == "data_dir")) read_field(f, c);
    read_routes(c);
    if (problems_.empty()) place_listeners(c);
    if (problems_.empty()) check_directory(c);
    if (!lines_.count("server.hostname")) problems_.push_back({0, "[server] hostname is required"});
    throw_first_problem();
    return c;
  }

 private:
  void add(uint32_t line, std::string text) { problems_.push_back({line, std::move(text)}); }

  // Sections and keys the schema does not know; types are checked when keys are read.
  void check_layout() {
    for (auto&& [key, node] : doc_) {
      std::string name(key.str());
      if (schema::is_section(name)) check_section(name, node, key.source().begin.line);
      else if (node.is_table() && !node.as_table()->is_inline())
        add(key.source().begin.line, fmt::format("unknown section [{}]", toml_key(name)));
      else
        add(key.source().begin.line,
            fmt::format("unknown key {} at the top level (keys belong in a section such as [server])", shown(name)));
    }
  }

  void check_section(const std::string& section, const toml::node& node, uint32_t line) {
    const toml::table* table = node.as_table();
    if (!table) {
      add(line, fmt::format("{} must be a section [{}], not {}", section, section, schema::describe(kind_of(node))));
      return;
    }
    if (section == schema::kRoutesSection) return;  // any domain; checked by read_routes
    for (auto&& [key, child] : *table) {
      std::string name(key.str());
      std::string path = section + "." + name;
      if (schema::find_field(section, name)) continue;
      if (schema::is_section(path)) check_section(path, child, key.source().begin.line);
      else if (child.is_table() && !child.as_table()->is_inline())
        add(key.source().begin.line, fmt::format("unknown section [{}.{}]", section, toml_key(name)));
      else
        add(key.source().begin.line, fmt::format("unknown key {} in [{}]", shown(name), section));
    }
  }

  static std::string shown(const std::string& key) {
    std::string k = toml_key(key);
    return k.front() == '"' ? k : "'" + k + "'";
  }

  void read_field(const schema::Field& f, Config& c) {
    const toml::table* table = find_table(doc_, f.section);
    const toml::node* node = table ? table->get(f.key) : nullptr;
    if (!node) return;
    Value v = to_value(*node);
    lines_[fmt::format("{}.{}", f.section, f.key)] = v.line;
    if (std::string why = f.read(v, ctx_, c); !why.empty()) add(v.line, std::move(why));
  }

  void read_routes(Config& c) {
    const toml::table* table = find_table(doc_, schema::kRoutesSection);
    if (!table) return;
    // In file order, so that "listed twice" names the later of two spellings.
    std::vector<std::pair<const toml::key*, const toml::node*>> entries;
    for (auto&& [key, node] : *table) entries.emplace_back(&key, &node);
    std::stable_sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) {
      return a.first->source().begin.line < b.first->source().begin.line;
    });
    for (const auto& [key, node] : entries) {
      std::string why = schema::read_route(key->str(), to_value(*node), c);
      if (!why.empty()) add(key->source().begin.line, std::move(why));
    }
  }

  // Ports not set in [listeners] are standard + port_offset; enabled ports must not collide.
  void place_listeners(Config& c) {
    auto standard = standard_ports();
    for (auto& l : c.listeners) {
      if (lines_.count("listeners." + l.name)) continue;
      int port = standard[l.name] + c.port_offset;
      if (port > 65535) {
        add(lines_["server.port_offset"],
            fmt::format("[server] port_offset {} puts {} on port {}, above 65535 (set [listeners] {} to a "
                        "port, or to 0 to disable it)",
                        c.port_offset, l.name, port, l.name));
        continue;
      }
      l = {l.name, uint16_t(port), true};
    }
    check_port_collisions(c);
  }

  // backend and dsn must agree: a server backend needs its DSN, SQLite none.
  void check_directory(const Config& c) {
    const auto& d = c.directory;
    uint32_t line = std::max(lines_["directory.backend"], lines_["directory.dsn"]);
    if (d.backend == "sqlite") {
      if (!d.dsn.empty()) add(line, "[directory] dsn is set but backend is \"sqlite\" (set backend to the DSN's server)");
      return;
    }
    if (d.dsn.empty()) {
      add(line, fmt::format("[directory] backend \"{}\" needs a dsn", d.backend));
      return;
    }
    if (d.backend == "sql") return;  // another application's database, on either server
    auto dialect = sqldb::parse_dsn(d.dsn).dialect;
    if (sqldb::dialect_name(dialect) != d.backend)
      add(line, fmt::format("[directory] backend \"{}\" but the dsn is a {} address", d.backend,
                            sqldb::dialect_name(dialect)));
  }

  void check_port_collisions(const Config& c) {
    std::map<uint16_t, std::string> taken;
    for (const auto& l : c.listeners) {
      if (!l.enabled) continue;
      auto [it, added] = taken.emplace(l.port, l.name);
      if (added) continue;
      uint32_t line = std::max(lines_["listeners." + it->second], lines_["listeners." + l.name]);
      add(line, fmt::format("[listeners] {} and {} both use port {}", it->second, l.name, l.port));
    }
  }

  void throw_first_problem() {
    if (problems_.empty()) return;
    // Line 0 (no line) sorts last; otherwise the first problem in file order.
    auto key = [](const Problem& p) { return p.line == 0 ? UINT32_MAX : p.line; };
    auto first = std::min_element(problems_.begin(), problems_.end(),
                                  [&](const Problem& a, const Problem& b) { return key(a) < key(b); });
    throw ConfigError(located(file_, first->line, first->text));
  }

  const toml::table& doc_;
  fs::path file_;
  schema::ReadContext ctx_;
  std::vector<Problem> problems_;
  std::map<std::string, uint32_t> lines_;  // "section.key" -> line, for every key present
};

std::string read_file(const fs::path& file) {
  std::error_code ec;
  if (fs::is_directory(file, ec)) throw ConfigError(located(file, 0, "is a folder, not a configuration file"));
  std::ifstream in(file, std::ios::binary);
  if (!in) throw ConfigError(located(file, 0, fmt::format("cannot read the configuration file: {}", std::strerror(errno))));
  std::string text;
  char buf[8192];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) {
    text.append(buf, size_t(in.gcount()));
    if (text.size() > kMaxFileBytes) throw ConfigError(located(file, 0, "is larger than 1 MiB; is it the right file?"));
  }
  if (in.bad()) throw ConfigError(located(file, 0, "cannot read the configuration file"));
  return text;
}

// toml++ 3.3's whitespace classifier reaches __builtin_unreachable() for many non-ASCII code
// points (found by fuzz/config_fuzz, e.g. `b= 3i` U+FEF5 `-`): undefined behaviour, not an error,
// and its parser runs that classifier on characters it looks ahead at, strings included. So
// toml++ only ever sees ASCII: non-ASCII characters in strings become \uXXXX / \UXXXXXXXX escapes
// (a literal string becomes the equal basic string), in comments they become '?', and anywhere
// else they are an error, as TOML allows them only in strings and comments (toml.io v1.0.0).
class AsciiToml {
 public:
  explicit AsciiToml(std::string_view text) : text_(text) {}

  // The ASCII text, or throws Problem (its line, and what is wrong).
  std::string run() {
    while (pos_ < text_.size()) {
      char c = text_[pos_];
      if (c == '"' || c == '\'') {
        string();
      } else if (c == '#') {
        while (pos_ < text_.size() && text_[pos_] != '\n') out_ += ascii(text_[pos_]) ? text_[pos_++] : skip_code_point('?');
      } else if (!ascii(c)) {
        throw Problem{line_, "non-ASCII character outside a string or comment"};
      } else {
        take(c);
      }
    }
    return std::move(out_);
  }

 private:
  static bool ascii(char c) { return static_cast<unsigned char>(c) < 0x80; }
  bool at(std::string_view s) const { return text_.substr(pos_, s.size()) == s; }
  void take(char c) {
    if (c == '\n') ++line_;
    out_ += c;
    ++pos_;
  }

  // One string of any of the four kinds, written as a basic string of the same kind.
  void string() {
    char quote = text_[pos_];
    bool literal = quote == '\'';
    std::string delim(at(std::string(3, quote)) ? 3 : 1, quote);
    std::string basic(delim.size(), '"');
    out_ += basic;
    pos_ += delim.size();
    while (pos_ < text_.size()) {
      char c = text_[pos_];
      if (at(delim)) {
        pos_ += delim.size();
        out_ += basic;
        return;
      }
      if (delim.size() == 1 && c == '\n') return;  // unterminated: toml++ reports it
      if (!ascii(c)) {
        out_ += escape(decode_code_point());
      } else if (!literal && c == '\\' && pos_ + 1 < text_.size() && ascii(text_[pos_ + 1])) {
        take(c);
        take(text_[pos_]);  // an escape of the basic string, kept as it is
      } else if (literal && (c == '\\' || c == '"')) {
        out_ += '\\';
        take(c);
      } else {
        take(c);
      }
    }
  }

  char skip_code_point(char replacement) {
    decode_code_point();
    return replacement;
  }

  // Strict UTF-8 (RFC 3629: no overlongs, surrogates or values above U+10FFFF).
  char32_t decode_code_point() {
    auto byte = [&](size_t i) { return static_cast<unsigned char>(pos_ + i < text_.size() ? text_[pos_ + i] : 0); };
    unsigned char b0 = byte(0);
    size_t len = b0 >= 0xF0 ? 4 : b0 >= 0xE0 ? 3 : b0 >= 0xC0 ? 2 : 0;
    if (len == 0 || b0 > 0xF4) throw Problem{line_, "invalid UTF-8"};
    char32_t cp = b0 & (0x7F >> len);
    for (size_t i = 1; i < len; ++i) {
      if ((byte(i) & 0xC0) != 0x80) throw Problem{line_, "invalid UTF-8"};
      cp = (cp << 6) | (byte(i) & 0x3F);
    }
    static constexpr char32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) throw Problem{line_, "invalid UTF-8"};
    pos_ += len;
    return cp;
  }

  static std::string escape(char32_t cp) {
    return cp <= 0xFFFF ? fmt::format("\\u{:04X}", uint32_t(cp)) : fmt::format("\\U{:08X}", uint32_t(cp));
  }

  std::string_view text_;
  size_t pos_ = 0;
  uint32_t line_ = 1;
  std::string out_;
};

}  // namespace

Config parse(std::string_view toml_text, const fs::path& file) {
  if (toml_text.size() > kMaxFileBytes) throw ConfigError(located(file, 0, "is larger than 1 MiB; is it the right file?"));
  std::string ascii;
  try {
    ascii = AsciiToml(toml_text).run();
  } catch (const Problem& p) {
    throw ConfigError(located(file, p.line, p.text));
  }
  toml::table doc;
  try {
    doc = toml::parse(ascii, file.string());
  } catch (const toml::parse_error& e) {
    throw ConfigError(located(file, e.source().begin.line, e.description()));
  }
  return Loader(doc, file).run();
}

Config load(const fs::path& file) { return parse(read_file(file), file); }

}  // namespace kurier::config
