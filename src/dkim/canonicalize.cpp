#include "dkim/canonicalize.h"

#include "common/strings.h"

namespace kurier::dkim {
namespace {

constexpr size_t kFlushAt = 16 * 1024;

bool is_wsp(char c) { return c == ' ' || c == '\t'; }

// Unfolds (drops CR and LF), reduces WSP runs to one SP and trims both ends.
std::string compress_value(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  bool wsp = false;
  for (char c : value) {
    if (c == '\r' || c == '\n') continue;
    if (is_wsp(c)) {
      wsp = true;
      continue;
    }
    if (wsp && !out.empty()) out += ' ';
    wsp = false;
    out += c;
  }
  return out;
}

}  // namespace

std::string relaxed_header(std::string_view name, std::string_view value) {
  std::string out = to_lower(trim(name));
  out += ':';
  out += compress_value(value);
  out += "\r\n";
  return out;
}

std::string relaxed_header_field(std::string_view field) {
  auto colon = field.find(':');
  if (colon == std::string_view::npos) return relaxed_header(field.substr(0, field.find_first_of("\r\n")), "");
  return relaxed_header(field.substr(0, colon), field.substr(colon + 1));
}

void RelaxedBody::feed(std::string_view chunk) {
  for (char c : chunk) {
    if (pending_cr_) {
      pending_cr_ = false;
      end_line();  // CRLF or a bare CR: either way the line ends here
      if (c == '\n') continue;
    }
    if (c == '\r') {
      pending_cr_ = true;
    } else if (c == '\n') {
      end_line();
    } else if (is_wsp(c)) {
      wsp_pending_ = true;
      line_started_ = true;
    } else {
      content(c);
    }
  }
  if (out_.size() >= kFlushAt) flush();
}

void RelaxedBody::finish() {
  if (pending_cr_) {
    pending_cr_ = false;
    end_line();
  }
  if (line_started_) end_line();  // the DotStuffer ends an unterminated last line
  flush();
}

void RelaxedBody::content(char c) {
  for (; empty_lines_ > 0; --empty_lines_) out_ += "\r\n";
  if (wsp_pending_) out_ += ' ';
  wsp_pending_ = false;
  line_has_content_ = true;
  line_started_ = true;
  out_ += c;
}

void RelaxedBody::end_line() {
  if (line_has_content_)
    out_ += "\r\n";  // WSP at the end of the line is dropped
  else
    ++empty_lines_;  // a line of only WSP is empty too; held back in case the body ends
  wsp_pending_ = false;
  line_has_content_ = false;
  line_started_ = false;
}

void RelaxedBody::flush() {
  if (out_.empty()) return;
  sink_(out_);
  out_.clear();
}

}  // namespace kurier::dkim
