// What LIST and LSUB answer, computed from the account's mailboxes and subscriptions: pure, so
// a session runs it on the blocking pool and unit tests drive it directly.
//   LIST (RFC 9051 6.3.9) with LIST-EXTENDED selection (RFC 5258 3.1: SUBSCRIBED,
//   RECURSIVEMATCH; RFC 6154 SPECIAL-USE), CHILDREN attributes (RFC 5258 4, always sent) and
//   \NonExistent for subscriptions without a mailbox (RFC 5258 3.4);
//   LSUB (RFC 3501 6.3.9): subscribed names, and a parent that is not subscribed, with
//   \Noselect, when the pattern stops at its level ("%" for "foo/bar" returns "foo").
// CHILDINFO (RFC 5258 3.5, Example 9): with RECURSIVEMATCH, a name matching the pattern is
// returned with ("CHILDINFO" ("SUBSCRIBED")) when it has a subscribed descendant that the
// pattern does not match — whether or not the name is itself subscribed; a name that is not
// subscribed is returned only then. (Dovecot does the same.)
// Names are the store's (UTF-8, "/" separated); patterns are already joined with the reference.
// Output is in name order, each name once. Cost O((names + subscriptions x depth) x log names)
// plus the pattern matching, never quadratic in the number of mailboxes.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "store/types.h"

namespace kurier::imap {

struct ListRequest {
  std::vector<std::string> patterns;  // full patterns; a name matching any of them is listed
  bool lsub = false;
  bool select_subscribed = false;
  bool select_recursive_match = false;
  bool select_special_use = false;
  bool return_subscribed = false;     // \Subscribed (implied by select_subscribed)
};

struct ListedMailbox {
  std::string name;
  std::vector<std::string> attributes;         // "\\Noselect", "\\HasChildren", ...
  bool childinfo = false;                      // ("CHILDINFO" ("SUBSCRIBED"))
  std::optional<store::MailboxId> selectable;  // set when it exists, can be selected and meets
                                               // the selection criteria (LIST-STATUS reports it)
};

std::vector<ListedMailbox> list_mailboxes(const ListRequest& request,
                                          const std::vector<store::MailboxInfo>& mailboxes,
                                          const std::vector<std::string>& subscriptions);

}  // namespace kurier::imap
