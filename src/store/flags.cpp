#include "store/flags.h"

#include <algorithm>

#include "common/strings.h"
#include "store/errors.h"

namespace kurier::store {
namespace {

bool iless(const std::string& a, const std::string& b) { return to_lower(a) < to_lower(b); }

bool contains_keyword(const std::vector<std::string>& list, const std::string& kw) {
  return std::any_of(list.begin(), list.end(), [&](const auto& k) { return iequals(k, kw); });
}

}  // namespace

bool is_atom_char(char c) {
  auto u = static_cast<unsigned char>(c);
  if (u <= 0x20 || u >= 0x7f) return false;
  switch (c) {
    case '(': case ')': case '{': case '%': case '*': case '"': case '\\': case ']':
      return false;
    default:
      return true;
  }
}

bool is_valid_keyword(std::string_view keyword) {
  if (keyword.empty() || keyword.size() > kMaxKeywordLength) return false;
  return std::all_of(keyword.begin(), keyword.end(), is_atom_char);
}

Flags canonical_flags(const Flags& flags) {
  if ((flags.system & ~kAllSystemFlags) != 0)
    throw StoreError(StoreErrc::invalid_argument, "unknown system flag bits");
  Flags out;
  out.system = flags.system;
  for (const auto& kw : flags.keywords) {
    if (!is_valid_keyword(kw))
      throw StoreError(StoreErrc::invalid_argument, "invalid keyword \"" + kw + "\"");
    if (!contains_keyword(out.keywords, kw)) out.keywords.push_back(kw);
  }
  if (out.keywords.size() > kMaxKeywordsPerMessage)
    throw StoreError(StoreErrc::limit_exceeded, "more than " +
                                                    std::to_string(kMaxKeywordsPerMessage) +
                                                    " keywords on one message");
  std::sort(out.keywords.begin(), out.keywords.end(), iless);
  return out;
}

Flags apply_flags(const Flags& current, FlagMode mode, const Flags& change) {
  Flags out;
  switch (mode) {
    case FlagMode::replace:
      return change;
    case FlagMode::add:
      out = current;
      out.system |= change.system;
      for (const auto& kw : change.keywords)
        if (!contains_keyword(out.keywords, kw)) out.keywords.push_back(kw);
      break;
    case FlagMode::remove:
      out.system = current.system & ~change.system;
      for (const auto& kw : current.keywords)
        if (!contains_keyword(change.keywords, kw)) out.keywords.push_back(kw);
      break;
  }
  if (out.keywords.size() > kMaxKeywordsPerMessage)
    throw StoreError(StoreErrc::limit_exceeded, "too many keywords on one message");
  std::sort(out.keywords.begin(), out.keywords.end(), iless);
  return out;
}

std::string join_keywords(const std::vector<std::string>& keywords) {
  std::string out;
  for (const auto& kw : keywords) {
    if (!out.empty()) out += ' ';
    out += kw;
  }
  return out;
}

std::vector<std::string> split_keywords(std::string_view joined) {
  std::vector<std::string> out;
  if (joined.empty()) return out;
  for (auto part : split(joined, ' '))
    if (!part.empty()) out.emplace_back(part);
  return out;
}

}  // namespace kurier::store
