// Mailbox names between the wire and the store: modified UTF-7 for IMAP4rev1 (RFC 3501 5.1.3),
// UTF-8 after ENABLE IMAP4rev2 (RFC 9051 5.1), and the one lookup every command naming a
// mailbox goes through (open_mailbox). A name that is valid IMAP syntax but no valid mailbox
// name gets a tagged NO [CANNOT], never BAD (the command was well formed; RFC 5530 CANNOT:
// "can never succeed").
#include "imap/session_internal.h"

#include "common/strings.h"
#include "imap_protocol/quote.h"
#include "imap_protocol/utf7.h"
#include "net/runtime.h"
#include "store/errors.h"

namespace kurier::imap {

std::optional<std::string> Session::decode_mailbox(std::string_view wire) const {
  if (utf8_names()) {
    if (!is_valid_mailbox_utf8(wire)) return std::nullopt;
    return std::string(wire);
  }
  auto d = utf7_decode(wire);
  if (!d) return std::nullopt;
  return *d;
}

std::string Session::encode_mailbox(std::string_view name) const {
  QuoteOptions opt;
  if (utf8_names()) {
    opt.utf8_quoted = true;
    return imap_string(name, opt);
  }
  auto e = utf7_encode(name);
  return imap_string(e ? *e : std::string(name), opt);
}

Reply Session::invalid_name(std::string_view why) const {
  if (!why.empty()) return Reply::no("[CANNOT] Invalid mailbox name: " + sanitize_text(why));
  return Reply::no(utf8_names() ? "[CANNOT] Invalid mailbox name: not UTF-8"
                                : "[CANNOT] Invalid mailbox name: not modified UTF-7 (RFC 3501 5.1.3)");
}

net::awaitable<OpenedMailbox> Session::open_mailbox(std::string wire, MailboxUse use) {
  OpenedMailbox out;
  auto name = decode_mailbox(wire);
  if (!name) {
    out.refusal = invalid_name("");
    co_return out;
  }
  store::AccountId acct = account_id();
  std::optional<store::MailboxInfo> info;
  try {
    info = read_in_place([&] { return store().find_mailbox(acct, *name); });
  } catch (const store::StoreError& e) {
    if (e.code() != store::StoreErrc::invalid_name) throw;
    out.refusal = invalid_name(e.what());
    co_return out;
  }
  if (!info) {
    out.refusal = use == MailboxUse::destination ? Reply::no("[TRYCREATE] No such mailbox")
                                                 : Reply::no("[NONEXISTENT] No such mailbox");
    co_return out;
  }
  if (info->noselect && use != MailboxUse::any) {
    switch (use) {
      case MailboxUse::select: out.refusal = Reply::no("[CANNOT] Mailbox cannot be selected (\\Noselect)"); break;
      case MailboxUse::status: out.refusal = Reply::no("[CANNOT] Mailbox has no status (\\Noselect)"); break;
      default: out.refusal = Reply::no("[CANNOT] Mailbox cannot hold messages (\\Noselect)"); break;
    }
    co_return out;
  }
  out.info = std::move(info);
  co_return out;
}

}  // namespace kurier::imap
