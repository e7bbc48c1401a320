// ManageSieve grammar and response forms; see protocol.h.
#include "managesieve/protocol.h"

#include <cctype>
#include <charconv>

namespace kurier::managesieve {
namespace {

constexpr size_t kMaxQuotedOctets = 1024;  // RFC 5804 4: quoted = DQUOTE *1024QUOTED-CHAR DQUOTE
constexpr uint64_t kMaxNumber = 4294967295u;  // RFC 5804 4: number < 4294967296

bool is_atom_char(char c) { return std::isalpha(static_cast<unsigned char>(c)) != 0; }

CommandTokenizer::Step error(std::string text) {
  CommandTokenizer::Step s;
  s.kind = CommandTokenizer::Step::Kind::error;
  s.error = std::move(text);
  return s;
}

// A quoted string starting at text[0] == '"': its value and the octets it took, or nullopt.
std::optional<std::pair<std::string, size_t>> read_quoted(std::string_view text) {
  std::string value;
  for (size_t i = 1; i < text.size(); ++i) {
    char c = text[i];
    if (c == '"') return std::make_pair(std::move(value), i + 1);
    if (c == '\\') {
      // QUOTED-SPECIALS = DQUOTE / "\": nothing else may be escaped.
      if (i + 1 >= text.size() || (text[i + 1] != '"' && text[i + 1] != '\\')) return std::nullopt;
      c = text[++i];
    } else if (c == '\r' || c == '\n' || c == '\0') {
      return std::nullopt;
    }
    if (value.size() >= kMaxQuotedOctets) return std::nullopt;
    value += c;
  }
  return std::nullopt;
}

bool safe_to_quote(std::string_view value) {
  if (value.size() > kMaxQuotedOctets) return false;
  for (char c : value)
    if (c == '\r' || c == '\n' || c == '\0') return false;
  return true;
}

}  // namespace

std::optional<LiteralAnnouncement> literal_at_end(std::string_view line) {
  if (line.empty() || line.back() != '}') return std::nullopt;
  size_t open = line.rfind('{');
  if (open == std::string_view::npos) return std::nullopt;
  std::string_view inside = line.substr(open + 1, line.size() - open - 2);
  LiteralAnnouncement a;
  a.start = open;
  a.synchronizing = inside.empty() || inside.back() != '+';
  if (!a.synchronizing) inside.remove_suffix(1);
  if (inside.empty() || inside.size() > 10) return std::nullopt;
  for (char c : inside)
    if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
  std::from_chars(inside.data(), inside.data() + inside.size(), a.size);
  return a;
}

CommandTokenizer::Step CommandTokenizer::feed_line(std::string_view line) {
  if (!have_name_) {
    size_t end = 0;
    while (end < line.size() && is_atom_char(line[end])) ++end;
    if (end == 0) return error(line.empty() ? "Empty command" : "A command starts with its name");
    command_.name.assign(line.substr(0, end));
    for (auto& c : command_.name) c = char(std::toupper(static_cast<unsigned char>(c)));
    have_name_ = true;
    return parse_arguments(line.substr(end));
  }
  return parse_arguments(line);
}

void CommandTokenizer::feed_literal(std::string bytes) {
  command_.args.push_back({Argument::Kind::string, std::move(bytes), 0});
}

// rest: what follows the name or a literal: (SP argument)* and possibly a literal announcement.
CommandTokenizer::Step CommandTokenizer::parse_arguments(std::string_view rest) {
  while (!rest.empty()) {
    if (rest.front() != ' ') return error("Arguments are separated by one space");
    rest.remove_prefix(1);
    if (rest.empty()) return error("Trailing space after the arguments");
    char c = rest.front();
    if (c == '"') {
      auto quoted = read_quoted(rest);
      if (!quoted) return error("Invalid quoted string");
      command_.args.push_back({Argument::Kind::string, std::move(quoted->first), 0});
      rest.remove_prefix(quoted->second);
    } else if (c == '{') {
      auto literal = literal_at_end(rest);
      if (!literal || literal->start != 0) return error("Invalid literal");
      if (literal->size > max_literal_) return error("Literal too large");
      Step s;
      s.kind = Step::Kind::literal;
      s.literal_size = literal->size;
      s.synchronizing = literal->synchronizing;
      return s;
    } else if (std::isdigit(static_cast<unsigned char>(c))) {
      size_t end = 0;
      while (end < rest.size() && std::isdigit(static_cast<unsigned char>(rest[end]))) ++end;
      uint64_t n = 0;
      auto [ptr, ec] = std::from_chars(rest.data(), rest.data() + end, n);
      if (ec != std::errc() || n > kMaxNumber) return error("Number out of range");
      command_.args.push_back({Argument::Kind::number, std::string(rest.substr(0, end)), n});
      rest.remove_prefix(end);
    } else {
      return error("Arguments are strings (quoted or literal) or numbers");
    }
  }
  return {};
}

std::string encode_string(std::string_view value) {
  if (!safe_to_quote(value)) return "{" + std::to_string(value.size()) + "}\r\n" + std::string(value);
  std::string out = "\"";
  for (char c : value) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += '"';
  return out;
}

std::string response(std::string_view kind, std::string_view code, std::string_view text) {
  std::string out(kind);
  if (!code.empty()) {
    out += " (";
    out += code;
    out += ')';
  }
  if (!text.empty()) {
    out += ' ';
    out += encode_string(text);
  }
  out += "\r\n";
  return out;
}

}  // namespace kurier::managesieve
