// Recipient resolution: what one envelope recipient (RCPT TO) expands to, with the rules of the
// seed's Postfix virtual_alias_maps + virtual_mailbox_maps over MySQL (see CHECKLIST "Routing"):
//
//  1. Only hosted domains are local; a relay domain (Domain.transport "relay:HOST:PORT") is not.
//     Domains match case-insensitively; local parts too (as Postfix does).
//  2. An alias on the exact address wins; its targets expand recursively (depth bound, loop
//     detection). A target equal to an address being expanded means "keep a copy": it is
//     delivered to that address's account and not expanded again (Postfix virtual(5)).
//  3. Else the account whose primary address it is — unless it is disabled or has the `receive`
//     service off: such an account counts as absent, so the rules below still apply.
//  4. Else, for "user+tag@domain" (separator: delivery.subaddress_separator), rules 2-3 on
//     "user@domain" (Postfix recipient_delimiter: user+tag, then user, then @domain).
//  5. Else the domain-wide entry "@domain": a catch-all (its targets expand as in 2), or a domain
//     alias "@a.example -> @b.example" that maps x@a.example to x@b.example (full x, tag kept),
//     resolved again from rule 1. An exact address therefore always beats "@domain".
//  6. Else, for postmaster@domain (RFC 5321 4.5.1: every domain's postmaster must be
//     deliverable), the configured [delivery] postmaster address, expanded as an alias target.
//     Without one it is unknown too (the super-admin has no mailbox to fall back on).
//  7. Else unknown (550 5.1.1).
//
// Alias targets outside the hosted domains are returned as `external` (to relay). A target that
// resolves to nothing is dropped (and named in `dropped`); if nothing at all remains the
// recipient is unknown. A directory failure makes the whole answer temporary (451 4.3.0), never
// a 5xx.
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "directory/directory.h"

namespace kurier::delivery {

// A local account a recipient expands to.
struct LocalRecipient {
  int64_t account_id = 0;
  std::string address;  // the account's primary address
  uint64_t quota = 0;   // bytes; 0 = unlimited
  bool operator==(const LocalRecipient&) const = default;
};

struct Resolution {
  enum class Kind {
    found,      // accounts and/or external addresses to deliver to
    not_local,  // the domain is not hosted here, or is a relay domain
    unknown,    // no account, alias or catch-all: 550 5.1.1
    loop,       // alias nesting deeper than the bound or too many targets: 550 5.4.6
    temporary,  // the directory could not be read: 451 4.3.0
  };
  Kind kind = Kind::unknown;
  std::string address;                   // the recipient, normalised (lower-case)
  std::vector<LocalRecipient> accounts;  // deduplicated, in expansion order
  std::vector<std::string> external;     // alias targets in domains not hosted here
  std::vector<std::string> dropped;      // alias targets that resolved to nothing (for logs)
  std::string detail;                    // why, for logs (never shown with secrets)
  // not_local because the domain is a relay domain (Domain.transport "relay:HOST:PORT"): one we
  // are a backup MX for, so mail for it is accepted from anyone and relayed to that host.
  bool relay_domain = false;

  bool found() const { return kind == Kind::found; }
};

struct ResolverOptions {
  std::string subaddress_separators = "+";  // "" = no subaddressing
  int max_depth = 20;                       // alias nesting (Postfix virtual_alias_recursion_limit is 1000)
  size_t max_results = 1000;                // accounts + external addresses of one recipient
  size_t max_lookups = 5000;                // directory queries for one recipient
  std::string postmaster = "";              // rule 6's fallback for postmaster@<hosted domain>; "" = none
};

// Blocking (directory reads); thread-safe as the Directory is. One Resolver may serve all sessions.
class Resolver {
 public:
  Resolver(directory::Directory& directory, ResolverOptions options);
  Resolution resolve(std::string_view address) const;

 private:
  class Run;
  directory::Directory& dir_;
  ResolverOptions options_;
};

// "Local@Domain" -> {"local", "domain"}, both lower-cased; nullopt for anything without a
// non-empty local part and domain. Splits at the last '@' (a quoted local part may hold '@').
struct SplitAddress {
  std::string local;
  std::string domain;
  std::string str() const { return local + "@" + domain; }
};
std::optional<SplitAddress> split_address(std::string_view address);

// Whether Domain.transport makes the domain a relay (backup MX) domain rather than a local one.
bool is_relay_domain(const directory::Domain& domain);

}  // namespace kurier::delivery
