#include "smtp_protocol/reply.h"

#include <string>

#include "common/strings.h"
#include "smtp_protocol/syntax.h"

namespace kurier::smtp {

namespace {

std::string sanitize_reply_line(std::string_view line) {
  std::string out(line);
  for (char& c : out)
    if (static_cast<unsigned char>(c) < 32 || c == 127) c = ' ';
  return out;
}

void append_reply_line(std::string& out, int code, char separator, std::string_view enhanced,
                       std::string_view line) {
  out += std::to_string(code);
  if (separator == ' ' && enhanced.empty() && line.empty()) {
    out += "\r\n";  // RFC 5321 4.2: Reply-code [ SP textstring ] CRLF
    return;
  }
  out.push_back(separator);
  out.append(enhanced);
  if (!enhanced.empty() && !line.empty()) out.push_back(' ');
  out += sanitize_reply_line(line);
  out += "\r\n";
}

// RFC 5321 4.2: Reply-code = %x32-35 %x30-35 %x30-39
bool parse_reply_code(std::string_view s, int& code) {
  if (s.size() < 3) return false;
  if (s[0] < '2' || s[0] > '5' || s[1] < '0' || s[1] > '5' || !is_digit(s[2])) return false;
  code = (s[0] - '0') * 100 + (s[1] - '0') * 10 + (s[2] - '0');
  return true;
}

// RFC 3463 2: status-code = class "." subject "." detail; class matches the reply's first digit;
// subject and detail are 1*3digit. Returns the length of the code plus its trailing space, or 0.
size_t enhanced_code_length(std::string_view text, int code) {
  if (text.size() < 5 || text[0] != char('0' + code / 100) || text[1] != '.') return 0;
  size_t i = 2;
  for (int part = 0; part < 2; ++part) {
    size_t start = i;
    while (i < text.size() && is_digit(text[i]) && i - start < 4) ++i;
    if (i == start || i - start > 3) return 0;
    if (part == 0) {
      if (i >= text.size() || text[i] != '.') return 0;
      ++i;
    }
  }
  if (i == text.size()) return i;
  return text[i] == ' ' ? i + 1 : 0;
}

}  // namespace

std::string Reply::wire() const { return format_reply(code, enhanced, text); }

std::string format_reply(int code, std::string_view enhanced, std::string_view text) {
  std::string out;
  auto lines = split(text, '\n');
  for (size_t i = 0; i < lines.size(); ++i) {
    std::string_view line = lines[i];
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    append_reply_line(out, code, i + 1 < lines.size() ? '-' : ' ', enhanced, line);
  }
  return out;
}

std::string ParsedReply::text() const {
  std::string out;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (i) out.push_back('\n');
    out += lines[i];
  }
  return out;
}

ReplyParser::Status ReplyParser::fail(std::string why) {
  reset();
  error_ = std::move(why);
  return Status::Malformed;
}

void ReplyParser::reset() {
  current_ = ParsedReply{};
  in_reply_ = false;
  complete_ = false;
}

ReplyParser::Status ReplyParser::feed_line(std::string_view line) {
  if (complete_) reset();
  error_.clear();
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (line.size() > kMaxLineLength) return fail("reply line too long");
  int code = 0;
  if (!parse_reply_code(line, code)) return fail("bad reply code: " + std::string(line.substr(0, 16)));
  // RFC 5321 4.2: Reply-code [ SP textstring ] CRLF, or Reply-code "-" [ textstring ] CRLF
  if (line.size() > 3 && line[3] != ' ' && line[3] != '-') return fail("bad separator after reply code");
  bool last = line.size() == 3 || line[3] == ' ';
  std::string_view text = line.size() > 4 ? line.substr(4) : std::string_view{};
  if (in_reply_ && code != current_.code) return fail("reply code changed within a multi-line reply");
  if (!in_reply_) {
    size_t n = enhanced_code_length(text, code);
    current_.code = code;
    if (n) current_.enhanced = std::string(trim(text.substr(0, n)));
    in_reply_ = true;
  }
  if (!current_.enhanced.empty()) {
    if (size_t n = enhanced_code_length(text, code)) text.remove_prefix(n);
  }
  if (current_.lines.size() >= kMaxLines) return fail("reply has too many lines");
  current_.lines.emplace_back(text);
  if (!last) return Status::NeedMore;
  complete_ = true;
  return Status::Complete;
}

ParsedReply ReplyParser::take() {
  ParsedReply out = std::move(current_);
  reset();
  return out;
}

}  // namespace kurier::smtp
