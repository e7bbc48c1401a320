// LIST and LSUB answers (see mailbox_list.h).
#include "imap_protocol/mailbox_list.h"

#include <map>
#include <set>

#include "imap_protocol/list_pattern.h"
#include "store/mailbox_name.h"

namespace kurier::imap {
namespace {

// What is known of one name: its mailbox, whether it is subscribed, and why else to list it.
struct NameState {
  const store::MailboxInfo* box = nullptr;
  bool subscribed = false;
  bool childinfo = false;    // LIST: a subscribed descendant the pattern does not match
  bool lsub_parent = false;  // LSUB: the pattern stops here above a subscribed descendant
};

bool matches_any(const std::vector<std::string>& patterns, std::string_view name) {
  for (const auto& p : patterns)
    if (list_pattern_matches(p, name)) return true;
  return false;
}

// Sorted names: the inferiors of `name` start at the first name not below "name/".
bool has_inferior(const std::set<std::string_view>& names, const std::string& name) {
  auto it = names.lower_bound(name + "/");
  return it != names.end() && store::is_inferior(*it, name);
}

// RFC 3501 6.3.9 (LSUB) and RFC 5258 3.5 (CHILDINFO): a subscription the patterns do not
// match is announced through each ancestor they do match.
void mark_matching_ancestors(const ListRequest& req, std::map<std::string, NameState>& names,
                             const std::vector<std::string>& subscriptions) {
  if (!req.lsub && !(req.select_subscribed && req.select_recursive_match)) return;
  for (const auto& s : subscriptions) {
    if (matches_any(req.patterns, s)) continue;
    for (auto& parent : store::ancestor_names(s)) {
      if (!matches_any(req.patterns, parent)) continue;
      NameState& state = names[parent];
      if (req.lsub) state.lsub_parent = true;
      else state.childinfo = true;
    }
  }
}

std::optional<ListedMailbox> lsub_entry(const std::string& name, const NameState& st) {
  if (!st.subscribed && !st.lsub_parent) return std::nullopt;
  ListedMailbox out;
  out.name = name;
  // In LSUB, \Noselect also says "listed only as the parent of a subscription".
  if (!st.subscribed || !st.box || st.box->noselect) out.attributes.push_back("\\Noselect");
  return out;
}

std::optional<ListedMailbox> list_entry(const ListRequest& req, const std::string& name, const NameState& st,
                                        const std::set<std::string_view>& box_names) {
  const store::MailboxInfo* box = st.box;
  bool meets = req.select_subscribed ? st.subscribed : box != nullptr;
  if (req.select_special_use) meets = meets && box && !box->special_use.empty();
  if (!meets && !st.childinfo) return std::nullopt;
  ListedMailbox out;
  out.name = name;
  out.childinfo = st.childinfo;
  auto& attrs = out.attributes;
  if (!box) {
    if (st.subscribed && (req.return_subscribed || req.select_subscribed)) attrs.push_back("\\Subscribed");
    attrs.push_back("\\NonExistent");  // RFC 5258 3.4: implies \Noselect
    return out;
  }
  if (box->noselect) attrs.push_back("\\Noselect");
  attrs.push_back(has_inferior(box_names, name) ? "\\HasChildren" : "\\HasNoChildren");
  if (st.subscribed && (req.return_subscribed || req.select_subscribed)) attrs.push_back("\\Subscribed");
  if (!box->special_use.empty()) attrs.push_back(box->special_use);
  if (meets && !box->noselect) out.selectable = box->id;
  return out;
}

}  // namespace

std::vector<ListedMailbox> list_mailboxes(const ListRequest& req, const std::vector<store::MailboxInfo>& mailboxes,
                                          const std::vector<std::string>& subscriptions) {
  std::map<std::string, NameState> names;
  std::set<std::string_view> box_names;
  for (const auto& box : mailboxes) {
    names[box.name].box = &box;
    box_names.insert(box.name);
  }
  for (const auto& s : subscriptions) names[s].subscribed = true;
  mark_matching_ancestors(req, names, subscriptions);

  std::vector<ListedMailbox> out;
  for (const auto& [name, state] : names) {
    if (!matches_any(req.patterns, name)) continue;
    auto entry = req.lsub ? lsub_entry(name, state) : list_entry(req, name, state, box_names);
    if (entry) out.push_back(std::move(*entry));
  }
  return out;
}

}  // namespace kurier::imap
