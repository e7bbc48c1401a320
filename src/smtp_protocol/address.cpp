#include "smtp_protocol/address.h"

#include "common/strings.h"
#include "smtp_protocol/syntax.h"

namespace kurier::smtp {

namespace {

// Finds the end of the local part: the closing quote of a Quoted-string, or the last "@" of a
// Dot-string (a Dot-string cannot contain "@", so any earlier "@" makes it invalid anyway).
size_t local_part_end(std::string_view text) {
  if (text.empty() || text.front() != '"') return text.rfind('@');
  for (size_t i = 1; i < text.size(); ++i) {
    if (text[i] == '\\') {
      ++i;
    } else if (text[i] == '"') {
      return i + 1;
    }
  }
  return std::string_view::npos;
}

bool is_local_part(std::string_view local, bool allow_utf8) {
  if (local.empty() || local.size() > Address::kMaxLocalPart) return false;
  return is_dot_string(local, allow_utf8) || is_quoted_string(local, allow_utf8);
}

// Lower-cases the domain; keeps the "IPv6:" tag of an address literal in its usual spelling.
std::string normalize_domain(std::string_view domain) {
  std::string out = to_lower(domain);
  if (istarts_with(out, "[ipv6:")) out.replace(1, 4, "IPv6");
  return out;
}

}  // namespace

std::optional<Address> Address::parse(std::string_view text, bool allow_utf8) {
  size_t end = local_part_end(text);
  if (end == std::string_view::npos || end >= text.size() || text[end] != '@') return std::nullopt;
  std::string_view local = text.substr(0, end);
  std::string_view domain = text.substr(end + 1);
  if (!is_local_part(local, allow_utf8)) return std::nullopt;
  if (domain.size() > kMaxDomain) return std::nullopt;
  if (!is_domain(domain, allow_utf8) && !is_address_literal(domain)) return std::nullopt;
  return Address(std::string(local), normalize_domain(domain));
}

bool Address::is_utf8() const { return has_non_ascii(local_) || has_non_ascii(domain_); }

Address Address::canonical() const {
  std::string local = to_lower(local_);
  if (local_is_quoted()) {
    std::string bare = unquote(local);
    if (is_dot_string(bare, true)) local = std::move(bare);
  }
  return Address(std::move(local), domain_);  // already normalised by parse()
}

Subaddress split_subaddress(std::string_view local_part, std::string_view separators) {
  Subaddress result{local_part, {}, false};
  if (separators.empty() || local_part.empty() || local_part.front() == '"') return result;
  size_t pos = local_part.find_first_of(separators);
  if (pos == std::string_view::npos || pos == 0) return result;
  result.base = local_part.substr(0, pos);
  result.tag = local_part.substr(pos + 1);
  result.has_tag = true;
  return result;
}

}  // namespace kurier::smtp
