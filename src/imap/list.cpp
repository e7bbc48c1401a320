// Mailbox commands: CREATE (RFC 9051 6.3.4, RFC 6154 5.3 USE), DELETE (6.3.5), RENAME (6.3.6),
// SUBSCRIBE/UNSUBSCRIBE (6.3.7-8), LIST (6.3.9, RFC 5258 LIST-EXTENDED, RFC 6154 SPECIAL-USE,
// RFC 5819 LIST-STATUS, RFC 3348 CHILDREN), LSUB (RFC 3501 6.3.9), NAMESPACE (RFC 2342),
// STATUS (6.3.11, RFC 8438 SIZE, RFC 7162 HIGHESTMODSEQ, RFC 7889 APPENDLIMIT) and QUOTA
// (RFC 9208: one root per account, named "", STORAGE in KiB).
#include "imap/session_internal.h"

#include <algorithm>
#include <map>

#include "common/strings.h"
#include "imap_protocol/mailbox_list.h"
#include "imap_protocol/parser.h"
#include "imap_protocol/quote.h"
#include "net/runtime.h"
#include "store/errors.h"
#include "store/mailbox_name.h"

namespace kurier::imap {
namespace {

std::string status_items(const store::MailboxStatus& st, const std::vector<StatusItem>& items,
                         uint64_t append_limit) {
  std::string out;
  for (StatusItem item : items) {
    if (!out.empty()) out += ' ';
    out += status_item_name(item);
    out += ' ';
    switch (item) {
      case StatusItem::messages: out += std::to_string(st.messages); break;
      case StatusItem::uidnext: out += std::to_string(st.uidnext); break;
      case StatusItem::uidvalidity: out += std::to_string(st.uidvalidity); break;
      case StatusItem::unseen: out += std::to_string(st.unseen); break;
      case StatusItem::deleted: out += std::to_string(st.deleted); break;
      case StatusItem::size: out += std::to_string(st.size); break;
      case StatusItem::recent: out += std::to_string(st.recent); break;
      case StatusItem::highestmodseq: out += std::to_string(st.highest_modseq); break;
      case StatusItem::appendlimit: out += std::to_string(append_limit); break;
    }
  }
  return out;
}

}  // namespace

// ---- CREATE / DELETE / RENAME / SUBSCRIBE ---------------------------------------------------------

net::awaitable<Reply> Session::cmd_create(Command& cmd) {
  const auto& a = cmd.as<CreateArgs>();
  auto decoded = decode_mailbox(a.mailbox);
  if (!decoded) co_return invalid_name("");
  std::string name = *decoded;
  // RFC 9051 6.3.4: a trailing separator says the client intends to create inferiors.
  while (name.size() > 1 && name.back() == '/') name.pop_back();
  if (store::is_inbox(normalize_inbox(name, '/'))) co_return Reply::no("[ALREADYEXISTS] INBOX always exists");
  std::string use;
  if (a.special_use.size() > 1) co_return Reply::no("[USEATTR] Only one special-use attribute per mailbox");
  if (!a.special_use.empty()) {
    // RFC 6154 5.3: attributes are case-insensitive; store the canonical spelling.
    for (const char* known : {"\\All", "\\Archive", "\\Drafts", "\\Flagged", "\\Junk", "\\Sent", "\\Trash"})
      if (iequals(a.special_use[0], known)) use = known;
    if (use.empty() || !store::is_valid_special_use(use))
      co_return Reply::no("[USEATTR] Unsupported special-use attribute");
  }
  store::AccountId acct = account_id();
  try {
    co_await offload([&] { return store().create_mailbox(acct, name, use); });
  } catch (const store::StoreError& e) {
    if (e.code() == store::StoreErrc::already_exists) co_return Reply::no("[ALREADYEXISTS] Mailbox already exists");
    if (e.code() == store::StoreErrc::invalid_name) co_return invalid_name(e.what());
    throw;
  }
  co_return Reply::ok("CREATE completed");
}

net::awaitable<Reply> Session::cmd_delete(Command& cmd) {
  auto name = decode_mailbox(cmd.as<MailboxArgs>().mailbox);
  if (!name) co_return invalid_name("");
  if (store::is_inbox(normalize_inbox(*name, '/'))) co_return Reply::no("[CANNOT] INBOX cannot be deleted");
  store::AccountId acct = account_id();
  std::string n = *name;
  if (selected_ && selected_->info.name == n) {
    // Deleting the selected mailbox: leave it first so this session is not cut off.
    unselect();
  }
  co_await offload([&] { store().delete_mailbox(acct, n); });
  co_return Reply::ok("DELETE completed");
}

net::awaitable<Reply> Session::cmd_rename(Command& cmd) {
  const auto& a = cmd.as<RenameArgs>();
  auto from = decode_mailbox(a.from);
  auto to = decode_mailbox(a.to);
  if (!from || !to) co_return invalid_name("");
  std::string f = *from, t = *to;
  while (t.size() > 1 && t.back() == '/') t.pop_back();
  store::AccountId acct = account_id();
  try {
    co_await offload([&] { store().rename_mailbox(acct, f, t); });
  } catch (const store::StoreError& e) {
    if (e.code() == store::StoreErrc::already_exists) co_return Reply::no("[ALREADYEXISTS] Target mailbox exists");
    throw;
  }
  co_return Reply::ok("RENAME completed");
}

net::awaitable<Reply> Session::cmd_subscribe(Command& cmd) {
  auto name = decode_mailbox(cmd.as<MailboxArgs>().mailbox);
  if (!name) co_return invalid_name("");
  store::AccountId acct = account_id();
  std::string n = *name;
  co_await offload([&] { store().subscribe(acct, n); });
  co_return Reply::ok("SUBSCRIBE completed");
}

net::awaitable<Reply> Session::cmd_unsubscribe(Command& cmd) {
  auto name = decode_mailbox(cmd.as<MailboxArgs>().mailbox);
  if (!name) co_return invalid_name("");
  store::AccountId acct = account_id();
  std::string n = *name;
  co_await offload([&] { store().unsubscribe(acct, n); });
  co_return Reply::ok("UNSUBSCRIBE completed");
}

// ---- LIST / LSUB -----------------------------------------------------------------------------------

// The patterns of a LIST/LSUB joined with the reference and decoded to store names. A pattern
// (or reference) that is no valid modified UTF-7 can name no mailbox: it is left out, and the
// command answers OK with what the others match (Dovecot does the same) instead of BAD.
std::vector<std::string> Session::list_patterns(const ListArgs& a) const {
  std::vector<std::string> out;
  auto reference = decode_mailbox(a.reference);
  if (!reference) return out;
  for (const auto& p : a.patterns) {
    auto decoded = decode_mailbox(p);
    if (decoded && !decoded->empty()) out.push_back(normalize_inbox(*reference + *decoded, '/'));
  }
  return out;
}

namespace {

struct ListAnswer {
  std::vector<ListedMailbox> mailboxes;
  std::map<store::MailboxId, store::MailboxStatus> status;  // LIST-STATUS (RFC 5819)
};

// On the blocking pool: the account's mailboxes and subscriptions, matched, and the STATUS of
// every listed selectable mailbox when asked for.
ListAnswer answer_list(store::MailStore& store, store::AccountId acct, const ListRequest& req, bool with_status) {
  ListAnswer out;
  out.mailboxes = list_mailboxes(req, store.list_mailboxes(acct), store.subscriptions(acct));
  if (with_status)
    for (const auto& m : out.mailboxes)
      if (m.selectable) out.status[*m.selectable] = store.mailbox_status(*m.selectable);
  return out;
}

}  // namespace

net::awaitable<Reply> Session::cmd_list(Command& cmd) {
  const auto& a = cmd.as<ListArgs>();
  bool lsub = cmd.kind == CommandKind::lsub;
  const std::string verb = lsub ? "LSUB" : "LIST";
  // RFC 9051 6.3.9: an empty pattern asks for the hierarchy delimiter and root.
  if (a.patterns.size() == 1 && a.patterns[0].empty() && !a.extended) {
    untagged(verb + " (\\Noselect) \"/\" \"\"");
    co_return Reply::ok(verb + " completed");
  }
  ListRequest req;
  req.patterns = list_patterns(a);
  req.lsub = lsub;
  req.select_subscribed = a.select_subscribed;
  req.select_recursive_match = a.select_recursive_match;
  req.select_special_use = a.select_special_use;
  req.return_subscribed = a.return_subscribed;
  store::AccountId acct = account_id();
  bool with_status = a.return_status.has_value();
  auto answer = co_await offload([&] { return answer_list(store(), acct, req, with_status); });
  for (const auto& m : answer.mailboxes) {
    std::string line = verb + " (" + join(m.attributes, " ") + ") \"/\" " + encode_mailbox(m.name);
    // RFC 5258 3.5: the selection criterion a descendant meets.
    if (m.childinfo) line += " (\"CHILDINFO\" (\"SUBSCRIBED\"))";
    untagged(line);
    auto st = m.selectable ? answer.status.find(*m.selectable) : answer.status.end();
    if (st != answer.status.end())
      untagged("STATUS " + encode_mailbox(m.name) + " (" + status_items(st->second, *a.return_status, append_limit()) + ")");
  }
  co_return Reply::ok(verb + " completed");
}

net::awaitable<Reply> Session::cmd_namespace(Command&) {
  // RFC 2342 5: one personal namespace with prefix "" and separator "/"; no shared ones.
  untagged("NAMESPACE ((\"\" \"/\")) NIL NIL");
  co_return Reply::ok("NAMESPACE completed");
}

net::awaitable<Reply> Session::cmd_status(Command& cmd) {
  const auto& a = cmd.as<StatusArgs>();
  auto opened = co_await open_mailbox(a.mailbox, MailboxUse::status);
  if (!opened.info) co_return opened.refusal;
  const auto& info = opened.info;
  store::MailboxId id = info->id;
  auto st = co_await offload([&] { return store().mailbox_status(id); });
  // The unclaimed messages plus those this session holds as \Recent (RFC 3501 6.3.10).
  if (claims_recent() && selected_->info.id == id) st.recent += selected_->view.recent_count();
  untagged("STATUS " + encode_mailbox(info->name) + " (" + status_items(st, a.items, append_limit()) + ")");
  co_return Reply::ok("STATUS completed");
}

// ---- QUOTA (RFC 9208) ------------------------------------------------------------------------------

static net::awaitable<std::string> quota_line(Session& s) {
  uint64_t limit = co_await s.quota_limit();
  store::AccountId acct = s.account_id();
  auto usage = co_await s.offload([&] { return s.store().quota_usage(acct); });
  // RFC 9208 5.1: STORAGE in units of 1024 octets; only limited resources are listed.
  std::string resources;
  if (limit > 0)
    resources = "STORAGE " + std::to_string((usage.bytes + 1023) / 1024) + " " + std::to_string(limit / 1024);
  co_return "QUOTA \"\" (" + resources + ")";
}

net::awaitable<Reply> Session::cmd_getquota(Command& cmd) {
  if (!cmd.as<GetQuotaArgs>().root.empty()) co_return Reply::no("[NONEXISTENT] No such quota root");
  untagged(co_await quota_line(*this));
  co_return Reply::ok("GETQUOTA completed");
}

net::awaitable<Reply> Session::cmd_getquotaroot(Command& cmd) {
  auto opened = co_await open_mailbox(cmd.as<MailboxArgs>().mailbox, MailboxUse::any);
  if (!opened.info) co_return opened.refusal;
  const auto& info = opened.info;
  untagged("QUOTAROOT " + encode_mailbox(info->name) + " \"\"");
  untagged(co_await quota_line(*this));
  co_return Reply::ok("GETQUOTAROOT completed");
}

net::awaitable<Reply> Session::cmd_setquota(Command&) {
  co_return Reply::no("[NOPERM] Quotas are set by the administrator");
}

}  // namespace kurier::imap
