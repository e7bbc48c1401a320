// The POP3 TRANSACTION and UPDATE states (RFC 1939 5 and 6, TOP and UIDL of RFC 1939 7):
// opening the maildrop at login, the message commands, and QUIT's expunge. The invariants are
// listed at the top of session.cpp.
#include "pop3/session_internal.h"

#include "common/log.h"
#include "store/blob_store.h"
#include "store/errors.h"
#include "store/mail_store.h"
#include "store/uid_set.h"

namespace kurier::pop3 {
namespace {

// How much of a message is stuffed and written at a time: bounds memory per RETR.
constexpr size_t kSendPiece = 64 * 1024;

std::vector<MaildropMessage> maildrop_messages(const std::vector<store::MessageMeta>& metas) {
  std::vector<MaildropMessage> out;
  out.reserve(metas.size());
  for (const auto& m : metas) {
    MaildropMessage msg;
    msg.uid = m.uid;
    // RFC822.SIZE: messages arrive over LMTP/SMTP with CRLF line endings, so this is the count
    // of octets RETR sends (byte-stuffing and the final "." not counted, RFC 1939 5 LIST).
    msg.size = m.size;
    msg.blob = m.blob;
    msg.seen = (m.flags.system & store::kSeen) != 0;
    out.push_back(std::move(msg));
  }
  return out;
}

}  // namespace

// RFC 1939 4 (PASS): "the POP3 server then acquires an exclusive-access lock on the maildrop".
// On failure the answer is sent here, the lock is released and the session stays in the
// AUTHORIZATION state.
net::awaitable<bool> Session::open_maildrop(const directory::Account& account) {
  auto lock = MaildropLock::try_acquire(uint64_t(account.id));
  if (!lock) {
    log::info("pop3.in_use", {{"conn", conn_.id()}, {"user", account.login}});
    err("Mailbox is locked by another POP3 session", ErrCode::in_use);
    co_return false;
  }
  store::MailStore& mail = *s_.mail_store;
  store::AccountId id = store::AccountId(account.id);
  std::optional<store::MailboxInfo> inbox;
  try {
    inbox = co_await offload([&] {
      auto found = mail.find_mailbox(id, "INBOX");
      if (found) return found;
      mail.create_default_mailboxes(id);  // first login, as IMAP does (RFC 6154 set)
      return mail.find_mailbox(id, "INBOX");
    });
    if (!inbox) throw store::StoreError(store::StoreErrc::not_found, "INBOX of account " + account.login);
    // The hold comes first, so nothing expunged between the snapshot and the hold is lost.
    store::ChangeHub::Subscription hold = s_.change_hub->subscribe(inbox->id, [](const store::MailboxChange&) {});
    hold.hold_expunged_after(0);
    store::MailboxId box = inbox->id;
    store::MailboxSnapshot snapshot = co_await offload([&] { return mail.snapshot(box); });
    auto kept = co_await offload([&] { return mail.pop3_uidls(box); });
    kept_uidls_ = std::map<store::Uid, std::string>(kept.begin(), kept.end());
    hold.hold_expunged_after(snapshot.info.highest_modseq);
    maildrop_ = Maildrop(snapshot.info.uidvalidity, maildrop_messages(snapshot.messages));
    hold_ = std::move(hold);
  } catch (const std::exception& e) {
    log::warn("pop3.open_failed", {{"conn", conn_.id()}, {"user", account.login}, {"error", e.what()}});
    err("Cannot open the maildrop now; try again later", ErrCode::sys_temp);
    co_return false;
  }
  account_ = account;
  inbox_ = inbox->id;
  lock_ = std::move(lock);
  co_return true;
}

MaildropMessage* Session::message_or_refuse(uint32_t number) {
  auto found = maildrop_.find(number);
  switch (found.status) {
    case Maildrop::Lookup::ok: return found.message;
    case Maildrop::Lookup::deleted: err("Message " + std::to_string(number) + " already deleted"); break;
    case Maildrop::Lookup::no_such_message:
      err("No such message, only " + std::to_string(maildrop_.total()) + " messages in maildrop");
      break;
  }
  return nullptr;
}

std::string Session::uidl_of(const MaildropMessage& m) const {
  // A message imported with its old server's explicit UIDL keeps it, so clients that leave
  // mail on the server download nothing twice (issue 12, "POP3 UIDLs can be kept").
  if (auto it = kept_uidls_.find(m.uid); it != kept_uidls_.end()) return it->second;
  return format_uidl(uidl_format_, maildrop_.uidvalidity(), m.uid);
}

// ---- listing --------------------------------------------------------------------------------------

// RFC 1939 5: "+OK nn mm", counting neither messages marked deleted nor their octets.
net::awaitable<void> Session::cmd_stat(const Command&) {
  ok(std::to_string(maildrop_.visible_count()) + " " + std::to_string(maildrop_.visible_octets()));
  co_return;
}

net::awaitable<void> Session::cmd_list(const Command& cmd) {
  if (cmd.message) {
    if (auto* m = message_or_refuse(*cmd.message)) ok(std::to_string(*cmd.message) + " " + std::to_string(m->size));
    co_return;
  }
  ok(std::to_string(maildrop_.visible_count()) + " messages (" + std::to_string(maildrop_.visible_octets()) +
     " octets)");
  const auto& all = maildrop_.messages();
  for (size_t i = 0; i < all.size(); ++i)
    if (!all[i].deleted) out_ += std::to_string(i + 1) + " " + std::to_string(all[i].size) + "\r\n";
  out_ += kEndOfMultiline;
}

// RFC 1939 7 UIDL: "msg unique-id" for one message, or a multi-line list of all.
net::awaitable<void> Session::cmd_uidl(const Command& cmd) {
  if (cmd.message) {
    if (auto* m = message_or_refuse(*cmd.message)) ok(std::to_string(*cmd.message) + " " + uidl_of(*m));
    co_return;
  }
  ok("Unique-ID listing follows");
  const auto& all = maildrop_.messages();
  for (size_t i = 0; i < all.size(); ++i)
    if (!all[i].deleted) out_ += std::to_string(i + 1) + " " + uidl_of(all[i]) + "\r\n";
  out_ += kEndOfMultiline;
}

// ---- retrieving -----------------------------------------------------------------------------------

net::awaitable<void> Session::cmd_retr(const Command& cmd) {
  auto* m = message_or_refuse(*cmd.message);
  if (!m) co_return;
  co_await send_message(*m, std::nullopt);
  if (!closing_ && s_.config.pop3.mark_seen && !m->seen) co_await mark_seen(*m);
}

// RFC 1939 7 TOP: never changes the message's flags (Cyrus and Dovecot agree).
net::awaitable<void> Session::cmd_top(const Command& cmd) {
  auto* m = message_or_refuse(*cmd.message);
  if (!m) co_return;
  co_await send_message(*m, cmd.lines);
}

// "+OK", then the message in pieces of kSendPiece input bytes, stuffed, then ".". Once the
// "+OK" is out there is no way to report an error, so the blob is opened before it.
net::awaitable<void> Session::send_message(MaildropMessage& m, std::optional<uint64_t> top_lines) {
  store::BlobStore& blobs = *s_.blob_store;
  store::BlobId id = m.blob;
  store::BlobView view;
  try {
    view = co_await offload([&] { return blobs.open(id); });
  } catch (const std::exception& e) {
    log::warn("pop3.blob_unreadable", {{"conn", conn_.id()}, {"uid", m.uid}, {"error", e.what()}});
    err("This message cannot be read now", ErrCode::sys_temp);
    co_return;
  }
  ok(top_lines ? std::string("Top of message follows") : std::to_string(m.size) + " octets");
  MessageStream stream(view.data(), top_lines);
  while (stream.next(out_, kSendPiece)) {
    bool written = co_await flush();
    if (!written) {
      closing_ = true;
      co_return;
    }
  }
}

// RFC 3501 2.3.2 \Seen, set as Cyrus's popd does at RETR ([pop3] mark_seen). The message has
// been sent: a failure here is logged, not reported.
net::awaitable<void> Session::mark_seen(MaildropMessage& m) {
  store::MailStore& mail = *s_.mail_store;
  store::MailboxId box = inbox_;
  store::Uid uid = m.uid;
  try {
    co_await offload([&] {
      store::Flags seen;
      seen.system = store::kSeen;
      mail.store_flags(box, {{uid, uid}}, store::FlagMode::add, seen);
    });
    m.seen = true;
  } catch (const std::exception& e) {
    log::warn("pop3.mark_seen_failed", {{"conn", conn_.id()}, {"uid", uid}, {"error", e.what()}});
  }
}

// ---- marking --------------------------------------------------------------------------------------

net::awaitable<void> Session::cmd_dele(const Command& cmd) {
  uint32_t number = *cmd.message;
  if (message_or_refuse(number) && maildrop_.mark_deleted(number) == Maildrop::Lookup::ok)
    ok("Message " + std::to_string(number) + " deleted");
  co_return;
}

net::awaitable<void> Session::cmd_rset(const Command&) {
  maildrop_.unmark_all();
  ok("Maildrop has " + std::to_string(maildrop_.visible_count()) + " messages (" +
     std::to_string(maildrop_.visible_octets()) + " octets)");
  co_return;
}

net::awaitable<void> Session::cmd_noop(const Command&) {
  ok("");
  co_return;
}

// RFC 1939 6: the UPDATE state. The marked messages are expunged in one store transaction,
// durable when expunge_uids returns, and only then is "+OK" sent. "-ERR" if that fails (the
// messages stay; the client may try again in a new session).
net::awaitable<void> Session::cmd_quit_update(const Command&) {
  closing_ = true;
  std::vector<store::Uid> deleted = maildrop_.deleted_uids();
  if (!deleted.empty()) {
    store::MailStore& mail = *s_.mail_store;
    store::MailboxId box = inbox_;
    store::UidSet set = store::uid_set_of(deleted);
    try {
      co_await offload([&] { mail.expunge_uids(box, set); });
    } catch (const std::exception& e) {
      log::warn("pop3.update_failed", {{"conn", conn_.id()}, {"user", account_.login}, {"error", e.what()}});
      err("Some deleted messages not removed; try again later", ErrCode::sys_temp);
      co_return;
    }
    log::info("pop3.expunged", {{"conn", conn_.id()}, {"user", account_.login}, {"messages", deleted.size()}});
  }
  uint32_t left = maildrop_.visible_count();
  ok(s_.config.hostname + " kurier POP3 server signing off (" + std::to_string(left) + " messages left)");
}

}  // namespace kurier::pop3
