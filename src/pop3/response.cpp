#include "pop3/response.h"

#include <algorithm>

namespace kurier::pop3 {
namespace {

std::string_view code_text(ErrCode code) {
  switch (code) {
    case ErrCode::none: return "";
    case ErrCode::in_use: return "[IN-USE] ";
    case ErrCode::auth: return "[AUTH] ";
    case ErrCode::sys_temp: return "[SYS/TEMP] ";
    case ErrCode::sys_perm: return "[SYS/PERM] ";
  }
  return "";
}

// Where the line after the one starting at pos begins (message.size() for a last line).
size_t next_line(std::string_view message, size_t pos) {
  size_t lf = message.find('\n', pos);
  return lf == std::string_view::npos ? message.size() : lf + 1;
}

bool is_blank_line(std::string_view message, size_t pos) {
  return message.substr(pos, 2) == "\r\n" || message.substr(pos, 1) == "\n";
}

}  // namespace

std::string ok_line(std::string_view text) {
  std::string out = "+OK";
  if (!text.empty()) out.append(" ").append(text);
  return out + "\r\n";
}

std::string err_line(std::string_view text, ErrCode code) {
  std::string out = "-ERR ";
  out.append(code_text(code)).append(text);
  return out + "\r\n";
}

std::string multiline_item(std::string_view line) {
  std::string out;
  if (!line.empty() && line[0] == '.') out += '.';
  out.append(line).append("\r\n");
  return out;
}

std::string printable(std::string_view text, size_t max_len) {
  std::string out;
  for (unsigned char c : text.substr(0, max_len)) out += (c >= 0x20 && c < 0x7f) ? char(c) : '?';
  return out;
}

size_t top_length(std::string_view message, uint64_t body_lines) {
  size_t pos = 0;
  while (pos < message.size() && !is_blank_line(message, pos)) pos = next_line(message, pos);
  if (pos >= message.size()) return message.size();  // no body: all of it is header
  pos = next_line(message, pos);                      // the blank line itself
  for (uint64_t n = 0; n < body_lines && pos < message.size(); ++n) pos = next_line(message, pos);
  return pos;
}

MessageStream::MessageStream(std::string_view message, std::optional<uint64_t> top_lines)
    : rest_(top_lines ? message.substr(0, top_length(message, *top_lines)) : message),
      stuffer_([this](std::string_view bytes) { out_->append(bytes); }) {}

bool MessageStream::next(std::string& out, size_t max_input) {
  if (finished_) return false;
  out_ = &out;
  size_t n = std::min(rest_.size(), std::max<size_t>(max_input, 1));
  stuffer_.feed(rest_.substr(0, n));
  rest_.remove_prefix(n);
  if (rest_.empty()) {
    stuffer_.finish();
    finished_ = true;
  }
  out_ = nullptr;
  return true;
}

}  // namespace kurier::pop3
