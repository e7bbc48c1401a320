// LIST pattern matching (see list_pattern.h).
#include "imap_protocol/list_pattern.h"

#include <algorithm>
#include <vector>

namespace kurier::imap {

// Dynamic programming over name positions: cur[j] says the pattern read so far can match
// name[0, j).
bool list_pattern_matches(std::string_view pattern, std::string_view name) {
  const size_t n = name.size();
  std::vector<char> cur(n + 1, 0), next(n + 1, 0);
  cur[0] = 1;
  for (char p : pattern) {
    std::fill(next.begin(), next.end(), 0);
    if (p == '*' || p == '%') {
      bool reach = false;
      for (size_t j = 0; j <= n; ++j) {
        if (cur[j]) reach = true;
        if (reach) next[j] = 1;
        if (p == '%' && j < n && name[j] == '/') reach = false;  // "%" cannot consume "/"
      }
    } else {
      for (size_t j = 0; j < n; ++j)
        if (cur[j] && name[j] == p) next[j + 1] = 1;
    }
    cur.swap(next);
  }
  return cur[n] != 0;
}

}  // namespace kurier::imap
