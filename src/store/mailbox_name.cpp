#include "store/mailbox_name.h"

#include <array>

#include "common/strings.h"
#include "store/errors.h"
#include "common/utf8.h"

namespace kurier::store {
namespace {

[[noreturn]] void reject(std::string_view name, const char* why) {
  throw StoreError(StoreErrc::invalid_name,
                   "mailbox name \"" + std::string(name.substr(0, 100)) + "\": " + why);
}

void check_characters(std::string_view name) {
  for (size_t i = 0; i < name.size();) {
    auto c = static_cast<unsigned char>(name[i]);
    if (c < 0x20 || c == 0x7f) reject(name, "contains a control character");
    if (c == '%' || c == '*') reject(name, "contains a LIST wildcard");
    size_t len = utf8_sequence_length(name, i);
    if (len == 0) reject(name, "is not valid UTF-8");
    i += len;
  }
}

}  // namespace

std::string normalize_mailbox_name(std::string_view name) {
  if (name.empty()) reject(name, "is empty");
  if (name.size() > kMaxMailboxNameLength) reject(name, "is too long");
  check_characters(name);
  auto parts = split(name, kHierarchySeparator);
  if (parts.size() > kMaxMailboxDepth) reject(name, "is nested too deeply");
  for (auto part : parts)
    if (part.empty()) reject(name, "has an empty hierarchy level");
  std::string out(name);
  if (iequals(parts[0], "INBOX")) out.replace(0, 5, "INBOX");
  return out;
}

bool is_inbox(std::string_view canonical_name) { return canonical_name == "INBOX"; }

std::vector<std::string> ancestor_names(std::string_view canonical_name) {
  std::vector<std::string> out;
  for (size_t pos = canonical_name.find(kHierarchySeparator); pos != std::string_view::npos;
       pos = canonical_name.find(kHierarchySeparator, pos + 1))
    out.emplace_back(canonical_name.substr(0, pos));
  return out;
}

bool is_inferior(std::string_view name, std::string_view parent) {
  return name.size() > parent.size() + 1 && name.substr(0, parent.size()) == parent &&
         name[parent.size()] == kHierarchySeparator;
}

bool is_valid_special_use(std::string_view attribute) {
  static constexpr std::array<std::string_view, 7> kKnown = {
      "\\All", "\\Archive", "\\Drafts", "\\Flagged", "\\Junk", "\\Sent", "\\Trash"};
  if (attribute.empty()) return true;
  for (auto known : kKnown)
    if (attribute == known) return true;
  return false;
}

}  // namespace kurier::store
