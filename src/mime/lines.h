// Line scanning over raw message bytes (internal to the mime module).
// RFC 5322 2.1 says lines end in CRLF; real mail stores often hold bare LF, so both are accepted
// and every position stays an exact byte offset into the original message.
#pragma once
#include <cstddef>
#include <string_view>

namespace kurier::mime::detail {

// One line of text: [begin, end) is its content without the line ending, next is where the
// following line starts (equal to end only for a last line with no line ending).
struct Line {
  size_t begin = 0;
  size_t end = 0;
  size_t next = 0;
  bool empty() const { return begin == end; }
  bool terminated() const { return next > end; }
};

inline Line line_at(std::string_view s, size_t pos) {
  size_t lf = s.find('\n', pos);
  if (lf == std::string_view::npos) return {pos, s.size(), s.size()};
  size_t end = (lf > pos && s[lf - 1] == '\r') ? lf - 1 : lf;
  return {pos, end, lf + 1};
}

// Length of the line ending that finishes just before pos (0, 1 for LF, 2 for CRLF).
inline size_t eol_before(std::string_view s, size_t pos) {
  if (pos == 0 || s[pos - 1] != '\n') return 0;
  return (pos >= 2 && s[pos - 2] == '\r') ? 2 : 1;
}

inline bool is_wsp(char c) { return c == ' ' || c == '\t'; }

}  // namespace kurier::mime::detail
