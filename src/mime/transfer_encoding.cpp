// Lenient Content-Transfer-Encoding decoders (see transfer_encoding.h).
#include "mime/transfer_encoding.h"

#include "common/base64.h"
#include "common/hex.h"

namespace kurier::mime {
namespace {

constexpr size_t kMaxHeld = 1000;  // RFC 5322 2.1.1 line limit: longer blank runs are content

bool is_blank(char c) { return c == ' ' || c == '\t'; }
bool is_line_end(char c) { return c == '\r' || c == '\n'; }

}  // namespace

std::optional<TransferDecoder> TransferDecoder::for_encoding(std::string_view encoding) {
  if (encoding.empty() || encoding == "7bit" || encoding == "8bit" || encoding == "binary")
    return TransferDecoder(Kind::identity);
  if (encoding == "base64") return TransferDecoder(Kind::base64);
  if (encoding == "quoted-printable") return TransferDecoder(Kind::quoted_printable);
  return std::nullopt;
}

void TransferDecoder::feed(std::string_view in, std::string& out) {
  switch (kind_) {
    case Kind::identity: out.append(in); break;
    case Kind::base64: feed_base64(in, out); break;
    case Kind::quoted_printable: feed_qp(in, out); break;
  }
}

void TransferDecoder::feed_base64(std::string_view in, std::string& out) {
  for (char c : in) {
    if (done_) return;
    if (c == '=') {
      done_ = true;
      return;
    }
    int v = base64_value(c);
    if (v < 0) continue;
    acc_ = ((acc_ << 6) | uint32_t(v)) & 0xffffff;
    bits_ += 6;
    if (bits_ >= 8) {
      bits_ -= 8;
      out += char((acc_ >> bits_) & 0xff);
    }
  }
}

void TransferDecoder::feed_qp(std::string_view in, std::string& out) {
  for (char c : in) {
    if (escape_.empty()) qp_char(c, out);
    else qp_escape_char(c, out);
  }
}

// Outside an escape: blanks wait to see whether the line ends after them.
void TransferDecoder::qp_char(char c, std::string& out) {
  if (is_blank(c)) {
    blanks_ += c;
    if (blanks_.size() > kMaxHeld) {
      out += blanks_;
      blanks_.clear();
    }
    return;
  }
  if (is_line_end(c)) {
    blanks_.clear();  // RFC 2045 6.7 (3): trailing white space is transport padding
    out += c;
    return;
  }
  out += blanks_;
  blanks_.clear();
  if (c == '=') escape_ = "=";
  else out += c;
}

// After "=": two hex digits, or blanks up to a line end (a soft line break), else kept as is.
void TransferDecoder::qp_escape_char(char c, std::string& out) {
  bool soft_break = escape_.size() == 1 || is_blank(escape_[1]);  // "=" [blanks] so far
  if (soft_break && is_blank(c) && escape_.size() < kMaxHeld) {
    escape_ += c;
    return;
  }
  if (soft_break && is_line_end(c)) {
    // "=\r\n" or "=\n": the break and the "=" vanish; a CR waits for its LF.
    if (c == '\r') {
      escape_ = "=\r";
      return;
    }
    escape_.clear();
    return;
  }
  if (escape_ == "=\r") {  // a soft break ended by CR alone
    escape_.clear();
    if (c != '\n') qp_char(c, out);
    return;
  }
  if (escape_.size() == 1 && hex_value(c) >= 0) {
    escape_ += c;
    return;
  }
  if (escape_.size() == 2 && hex_value(escape_[1]) >= 0 && hex_value(c) >= 0) {
    out += char(hex_value(escape_[1]) * 16 + hex_value(c));
    escape_.clear();
    return;
  }
  // Malformed (RFC 2045 6.7 note 1): the "=" is kept, what followed it is read again.
  std::string rest = escape_.substr(1);
  escape_.clear();
  out += '=';
  for (char r : rest) qp_char(r, out);
  qp_char(c, out);
}

void TransferDecoder::finish(std::string& out) {
  if (kind_ != Kind::quoted_printable) return;
  if (escape_.size() >= 2 && hex_value(escape_[1]) >= 0) {
    out += escape_;  // "=4" at the end: an incomplete escape, kept
  }
  // "=" [blanks] at the very end is a soft break without its line ending: dropped.
  escape_.clear();
  out += blanks_;  // blanks at the end of the input are no line's trailing blanks
  blanks_.clear();
}

std::string decode_base64_lenient(std::string_view in) {
  std::string out;
  out.reserve(in.size() / 4 * 3);
  TransferDecoder d(TransferDecoder::Kind::base64);
  d.feed(in, out);
  d.finish(out);
  return out;
}

std::string decode_quoted_printable(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  TransferDecoder d(TransferDecoder::Kind::quoted_printable);
  d.feed(in, out);
  d.finish(out);
  return out;
}

std::optional<std::string> decode_transfer_encoding(std::string_view in, std::string_view encoding) {
  auto d = TransferDecoder::for_encoding(encoding);
  if (!d) return std::nullopt;
  std::string out;
  out.reserve(in.size());
  d->feed(in, out);
  d->finish(out);
  return out;
}

}  // namespace kurier::mime
