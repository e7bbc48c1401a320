// Implementation of imap_protocol/quote.h.
#include "imap_protocol/quote.h"

namespace kurier::imap {

bool is_astring_char(char c) { return is_atom_char(c) || c == ']'; }

bool is_list_char(char c) { return is_astring_char(c) || c == '%' || c == '*'; }

bool can_quote(std::string_view s, const QuoteOptions& opt) {
  if (s.size() > opt.max_quoted) return false;
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (u == 0 || c == '\r' || c == '\n') return false;
    if (u >= 0x80 && !opt.utf8_quoted) return false;
  }
  return true;
}

std::string quoted(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  out += '"';
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += '"';
  return out;
}

std::string literal(std::string_view s, bool binary) {
  std::string out = binary ? "~{" : "{";
  out += std::to_string(s.size());
  out += "}\r\n";
  out.append(s);
  return out;
}

std::string imap_string(std::string_view s, const QuoteOptions& opt) {
  return can_quote(s, opt) ? quoted(s) : literal(s);
}

std::string imap_nstring(std::optional<std::string_view> s, const QuoteOptions& opt) {
  return s ? imap_string(*s, opt) : std::string("NIL");
}

std::string imap_astring(std::string_view s, const QuoteOptions& opt) {
  if (s.empty()) return quoted(s);
  for (char c : s)
    if (!is_astring_char(c)) return imap_string(s, opt);
  return std::string(s);
}

std::string imap_binary_literal(std::string_view data) {
  return literal(data, data.find('\0') != std::string_view::npos);
}

std::string format_flag_list(const std::vector<std::string>& flags) {
  std::string out = "(";
  for (size_t i = 0; i < flags.size(); ++i) {
    if (i) out += ' ';
    out += flags[i];
  }
  out += ')';
  return out;
}

std::string sanitize_text(std::string_view s, size_t max_length) {
  std::string out;
  for (char c : s) {
    if (out.size() >= max_length) break;
    auto u = static_cast<unsigned char>(c);
    out += u < 0x20 || u == 0x7f ? ' ' : u >= 0x80 ? '?' : c;
  }
  return out;
}

}  // namespace kurier::imap
