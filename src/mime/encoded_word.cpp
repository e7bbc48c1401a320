// RFC 2047 encoded-word decoding and charset conversion to UTF-8 (glibc iconv); see header.h.
#include <iconv.h>

#include <algorithm>
#include <cerrno>

#include "common/base64.h"
#include "common/hex.h"
#include "common/strings.h"
#include "mime/header.h"
#include "mime/transfer_encoding.h"

namespace kurier::mime {
namespace {

constexpr size_t kMaxEncodedWord = 1000;  // RFC 2047 2 says 75; be generous but bounded

struct EncodedWord {
  std::string_view charset;  // without an RFC 2231 "*language" suffix
  char encoding = 0;         // 'B' or 'Q'
  std::string_view text;
  size_t end = 0;            // position just after "?="
};

// RFC 2047 2: charset and encoding are tokens: no SPACE, CTLs or especials.
bool is_token(std::string_view s) {
  if (s.empty()) return false;
  for (unsigned char c : s) {
    if (c <= 32 || c >= 127) return false;
    if (std::string_view("()<>@,;:\"/[]?.=").find(char(c)) != std::string_view::npos) return false;
  }
  return true;
}

// Matches "=?charset?X?text?=" starting at pos (which points at "=?").
// Searches only a bounded window so that a long header full of "=?" stays linear.
std::optional<EncodedWord> match_word(std::string_view text, size_t start) {
  std::string_view s = text.substr(0, std::min(text.size(), start + kMaxEncodedWord));
  size_t pos = start;
  size_t q1 = s.find('?', pos + 2);
  if (q1 == std::string_view::npos || q1 + 3 >= s.size() || s[q1 + 2] != '?') return std::nullopt;
  size_t close = s.find("?=", q1 + 3);
  if (close == std::string_view::npos) return std::nullopt;
  EncodedWord w;
  w.charset = s.substr(pos + 2, q1 - pos - 2);
  w.charset = w.charset.substr(0, w.charset.find('*'));
  w.encoding = ascii_upper(s[q1 + 1]);
  w.text = s.substr(q1 + 3, close - q1 - 3);
  w.end = close + 2;
  if (!is_token(w.charset) || (w.encoding != 'B' && w.encoding != 'Q')) return std::nullopt;
  for (char c : w.text)
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') return std::nullopt;
  return w;
}

// RFC 2047 4.2 "Q": quoted-printable where "_" is a space; unlike a body (RFC 2045 6.7), a
// malformed "=XX" escape makes the word invalid. match_word() already refused blanks, so no
// soft line break can occur.
std::optional<std::string> decode_q(std::string_view text) {
  std::string spaced(text);
  for (size_t i = 0; i < spaced.size(); ++i) {
    if (spaced[i] == '_') spaced[i] = ' ';
    if (spaced[i] != '=') continue;
    if (i + 2 >= spaced.size() || hex_value(spaced[i + 1]) < 0 || hex_value(spaced[i + 2]) < 0) return std::nullopt;
    i += 2;
  }
  return decode_quoted_printable(spaced);
}

// RFC 2047 4.1 "B": base64 with nothing but "=" padding after the data; any other character
// outside the alphabet makes the word invalid.
std::optional<std::string> decode_b(std::string_view text) {
  size_t data_end = text.find('=');
  if (data_end == std::string_view::npos) data_end = text.size();
  for (size_t i = 0; i < text.size(); ++i)
    if (i < data_end ? base64_value(text[i]) < 0 : text[i] != '=') return std::nullopt;
  return decode_base64_lenient(text);
}

std::optional<std::string> decode_word_bytes(const EncodedWord& w) {
  return w.encoding == 'B' ? decode_b(w.text) : decode_q(w.text);
}

bool is_blank(std::string_view s) {
  for (char c : s)
    if (c != ' ' && c != '\t' && c != '\r' && c != '\n') return false;
  return true;
}

// Adjacent encoded-words in one charset are joined before conversion, so a multi-byte
// character split across two words (common with B encoding) still decodes.
struct PendingRun {
  std::string charset;
  std::string bytes;
  std::string raw;  // the original words, used if the charset is unknown
  void flush(std::string& out) {
    if (charset.empty()) return;
    auto utf8 = convert_to_utf8(bytes, charset);
    out += utf8 ? *utf8 : raw;
    charset.clear();
    bytes.clear();
    raw.clear();
  }
};

bool iconv_step(iconv_t cd, std::string_view bytes, size_t& pos, std::string& out) {
  char buf[1024];
  char* in = const_cast<char*>(bytes.data() + pos);
  size_t in_left = bytes.size() - pos;
  char* o = buf;
  size_t o_left = sizeof buf;
  size_t rc = iconv(cd, &in, &in_left, &o, &o_left);
  out.append(buf, size_t(o - buf));
  pos = bytes.size() - in_left;
  if (rc != size_t(-1) || errno == E2BIG) return true;
  out += "\xEF\xBF\xBD";  // EILSEQ / EINVAL: replace the bad byte with U+FFFD
  ++pos;
  iconv(cd, nullptr, nullptr, nullptr, nullptr);
  return true;
}

bool is_utf8_alias(std::string_view cs) {
  return iequals(cs, "utf-8") || iequals(cs, "utf8") || iequals(cs, "us-ascii") ||
         iequals(cs, "ascii");
}

}  // namespace

std::optional<std::string> convert_to_utf8(std::string_view bytes, std::string_view charset) {
  if (is_utf8_alias(charset)) return std::string(bytes);
  std::string cs(charset);
  iconv_t cd = iconv_open("UTF-8", cs.c_str());
  if (cd == iconv_t(-1)) return std::nullopt;
  std::string out;
  size_t pos = 0;
  while (pos < bytes.size()) iconv_step(cd, bytes, pos, out);
  iconv_close(cd);
  return out;
}

std::string decode_encoded_words(std::string_view text) {
  std::string out;
  PendingRun run;
  size_t pos = 0;
  bool after_word = false;
  while (pos < text.size()) {
    size_t start = text.find("=?", pos);
    if (start == std::string_view::npos) break;
    auto word = match_word(text, start);
    auto bytes = word ? decode_word_bytes(*word) : std::nullopt;
    std::string_view gap = text.substr(pos, start - pos);
    if (!bytes) {
      run.flush(out);
      out.append(text.substr(pos, start + 2 - pos));
      pos = start + 2;
      after_word = false;
      continue;
    }
    if (after_word && is_blank(gap)) {
      run.raw.append(gap);  // dropped when decoded (RFC 2047 6.2), kept in the fallback
    } else {
      run.flush(out);
      out.append(gap);
    }
    if (!iequals(run.charset, word->charset)) run.flush(out);
    run.charset = std::string(word->charset);
    run.bytes += *bytes;
    run.raw.append(text.substr(start, word->end - start));
    pos = word->end;
    after_word = true;
  }
  run.flush(out);
  if (pos < text.size()) out.append(text.substr(pos));
  return out;
}

}  // namespace kurier::mime
