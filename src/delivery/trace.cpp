// Trace fields and the loop scan of a received header section (see trace.h).
#include "delivery/trace.h"

#include <optional>

#include "common/strings.h"

namespace kurier::delivery {
namespace {

// The address a Delivered-To value names: "<A@B>" and " a@b " are both "a@b".
std::string normalized_address(std::string_view value) {
  value = trim(value);
  if (value.size() >= 2 && value.front() == '<' && value.back() == '>') value = trim(value.substr(1, value.size() - 2));
  return to_lower(value);
}

// The value of "Name: value" when the field is called name (RFC 5322 2.2: WSP may precede the
// colon in obsolete syntax), else nullopt.
std::optional<std::string_view> field_value(std::string_view field, std::string_view name) {
  if (field.size() <= name.size() || !iequals(field.substr(0, name.size()), name)) return std::nullopt;
  auto rest = field.substr(name.size());
  size_t i = 0;
  while (i < rest.size() && (rest[i] == ' ' || rest[i] == '\t')) ++i;
  if (i == rest.size() || rest[i] != ':') return std::nullopt;
  return rest.substr(i + 1);
}

}  // namespace

std::string delivered_to_field(std::string_view address) {
  std::string out = "Delivered-To: ";
  for (char c : address) out += (c == '\r' || c == '\n' || c == '\0') ? ' ' : c;
  return out + "\r\n";
}

void TraceScanner::feed(std::string_view bytes) {
  for (size_t i = 0; i < bytes.size() && !done_; ++i) {
    char c = bytes[i];
    if (c == '\n') {
      end_line();
    } else if (c != '\r' && line_.size() < kMaxFieldStart) {
      line_ += c;
    }
  }
}

// A line ends: an empty one ends the header section, one starting with WSP continues the field
// (RFC 5322 2.2.3 folding), any other starts a new field.
void TraceScanner::end_line() {
  if (line_.empty()) {
    end_field();
    done_ = true;
    return;
  }
  if (line_.front() == ' ' || line_.front() == '\t') {
    if (field_.size() + line_.size() <= kMaxFieldStart) field_ += line_;
  } else {
    end_field();
    field_ = line_;
  }
  line_.clear();
}

void TraceScanner::end_field() {
  if (field_.empty()) return;
  if (field_value(field_, "Received")) {
    ++received_;
  } else if (auto value = field_value(field_, "Delivered-To")) {
    if (delivered_to_.size() < kMaxDeliveredTo) delivered_to_.insert(normalized_address(*value));
  }
  field_.clear();
}

bool TraceScanner::delivered_to(std::string_view address) const {
  return !delivered_to_.empty() && delivered_to_.count(normalized_address(address)) > 0;
}

}  // namespace kurier::delivery
