// An email address (RFC 5321 4.1.2 Mailbox) as a value type used across kurier: local part kept
// exactly as given (Dot-string or Quoted-string), domain lower-cased (ASCII only) or an
// address-literal. UTF-8 local parts and domains (RFC 6531 3.3) only when the caller allows them.
// Length limits follow RFC 5321 4.5.3.1.1-2: local part 64 octets, domain 255 octets.
#pragma once
#include <compare>
#include <optional>
#include <string>
#include <string_view>

namespace kurier::smtp {

class Address {
 public:
  static constexpr size_t kMaxLocalPart = 64;   // RFC 5321 4.5.3.1.1
  static constexpr size_t kMaxDomain = 255;     // RFC 5321 4.5.3.1.2

  // Parses "local@domain" (no angle brackets, no source route, no surrounding spaces).
  static std::optional<Address> parse(std::string_view text, bool allow_utf8);

  const std::string& local_part() const { return local_; }
  const std::string& domain() const { return domain_; }
  std::string str() const { return local_ + "@" + domain_; }

  bool local_is_quoted() const { return !local_.empty() && local_.front() == '"'; }
  bool domain_is_literal() const { return !domain_.empty() && domain_.front() == '['; }
  // True when the local part or domain has non-ASCII characters (needs SMTPUTF8 to relay).
  bool is_utf8() const;

  // The form kurier uses for lookups (as Postfix does, local parts are matched without regard
  // to case): both parts lower-cased (ASCII), and a quoted local part that needs no quotes
  // ("john"@x) unquoted.
  Address canonical() const;

  // Local part case-sensitive (RFC 5321 2.4), domain compared after lower-casing.
  friend bool operator==(const Address&, const Address&) = default;
  friend auto operator<=>(const Address&, const Address&) = default;

 private:
  Address(std::string local, std::string domain) : local_(std::move(local)), domain_(std::move(domain)) {}
  std::string local_;
  std::string domain_;
};

// "user+tag" -> base "user", tag "tag". The local part is split at the first of any character in
// `separators` (like Postfix recipient_delimiter); no split when that leaves an empty base, or
// when the local part is quoted.
struct Subaddress {
  std::string_view base;
  std::string_view tag;
  bool has_tag = false;
};
Subaddress split_subaddress(std::string_view local_part, std::string_view separators = "+");

}  // namespace kurier::smtp
