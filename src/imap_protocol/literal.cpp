// Implementation of imap_protocol/literal.h.
#include "imap_protocol/literal.h"

#include "common/strings.h"

namespace kurier::imap {
namespace {

LiteralAnnouncement failed(LiteralAnnouncement::Error e, std::string text) {
  LiteralAnnouncement a;
  a.error = e;
  a.error_text = std::move(text);
  return a;
}

}  // namespace

std::optional<LiteralAnnouncement> literal_at_end(std::string_view line, uint64_t max_size) {
  if (line.empty() || line.back() != '}') return std::nullopt;
  size_t open = line.rfind('{');
  if (open == std::string_view::npos) return std::nullopt;  // e.g. an atom ending in "}"
  std::string_view inner = line.substr(open + 1, line.size() - open - 2);
  LiteralAnnouncement a;
  if (!inner.empty() && inner.back() == '+') {
    a.non_synchronizing = true;
    inner.remove_suffix(1);
  }
  a.binary = open > 0 && line[open - 1] == '~';
  if (inner.empty())
    return failed(LiteralAnnouncement::Error::malformed, "Literal size missing in {}");
  for (char c : inner)
    if (c < '0' || c > '9')
      return failed(LiteralAnnouncement::Error::malformed, "Malformed literal announcement");
  auto n = parse_uint(inner);
  if (!n || *n > kMaxNumber64)
    return failed(LiteralAnnouncement::Error::too_large, "Literal size out of range");
  if (*n > max_size) {
    auto f = failed(LiteralAnnouncement::Error::too_large, "Literal too large");
    f.size = *n;
    f.non_synchronizing = a.non_synchronizing;
    f.binary = a.binary;
    return f;
  }
  a.size = *n;
  return a;
}

std::optional<RawCommand> raw_command_from_wire(std::string_view wire) {
  RawCommand raw;
  for (;;) {
    size_t eol = wire.find("\r\n");
    std::string_view line = eol == std::string_view::npos ? wire : wire.substr(0, eol);
    raw.lines.emplace_back(line);
    auto ann = literal_at_end(line);
    if (!ann) return eol == std::string_view::npos || eol + 2 == wire.size()
                         ? std::optional<RawCommand>(std::move(raw)) : std::nullopt;
    if (!ann->ok() || eol == std::string_view::npos) return std::nullopt;
    wire.remove_prefix(eol + 2);
    if (wire.size() < ann->size) return std::nullopt;
    Literal lit;
    lit.data = std::string(wire.substr(0, ann->size));
    lit.size = ann->size;
    lit.binary = ann->binary;
    raw.literals.push_back(std::move(lit));
    wire.remove_prefix(ann->size);
  }
}

}  // namespace kurier::imap
