// IMAP responses as the import client reads them (import/imap_response.h): the input split at
// CRLF into lines, a "{n}" line ending taking the next n bytes as its literal (in memory, or
// "external" when n is odd), then parsed and interpreted as LIST, STATUS and FETCH.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "import/imap_response.h"

using namespace kurier::mail_import;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  std::vector<Segment> segments;
  size_t pos = 0;
  while (pos <= input.size() && segments.size() < 64) {
    size_t crlf = input.find("\r\n", pos);
    Segment s;
    s.text = std::string(input.substr(pos, crlf == std::string_view::npos ? std::string_view::npos : crlf - pos));
    pos = crlf == std::string_view::npos ? input.size() + 1 : crlf + 2;
    auto n = trailing_literal_size(s.text);
    if (n && pos <= input.size()) {
      s.has_literal = true;
      size_t take = std::min<size_t>(*n, input.size() - pos);
      if (*n % 2) s.external = int(segments.size());
      else s.literal = std::string(input.substr(pos, take));
      pos += take;
      segments.push_back(std::move(s));
      continue;
    }
    segments.push_back(std::move(s));
    break;
  }
  std::string error;
  auto r = parse_response(segments, error);
  if (!r) {
    if (error.empty()) std::abort();
    return 0;
  }
  response_code(*r);
  parse_list(*r);
  parse_status(*r);
  if (auto f = parse_fetch(*r))
    if (f->seq == 0) std::abort();
  return 0;
}
