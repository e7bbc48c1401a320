// The IMAP Session object shared by the command files (session.cpp: the command loop and
// output; command_table.cpp; command_reader.cpp: lines and literals; login.cpp; idle.cpp;
// mailbox_names.cpp: names and open_mailbox; select.cpp: SELECT and change notifications;
// list.cpp: mailbox commands; fetch.cpp; search.cpp; message.cpp: STORE/COPY/MOVE/EXPUNGE/APPEND).
// Internal to src/imap: include net/asio.h first (this header does).
#pragma once
#include "net/asio.h"

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "directory/directory.h"
#include "imap_protocol/command.h"
#include "imap_protocol/literal.h"
#include "imap/mailbox_view.h"
#include "net/connection.h"
#include "net/line_reader.h"
#include "net/runtime.h"
#include "session/services.h"
#include "store/blob_store.h"
#include "store/change_hub.h"
#include "store/mail_store.h"

namespace kurier::imap {

enum class State { not_authenticated, authenticated, selected };

// The tagged completion of a command: "OK", "NO" or "BAD", and the rest of the line (which may
// start with a response code such as "[TRYCREATE]").
struct Reply {
  std::string status = "OK";
  std::string text;
  static Reply ok(std::string t) { return {"OK", std::move(t)}; }
  static Reply no(std::string t) { return {"NO", std::move(t)}; }
  static Reply bad(std::string t) { return {"BAD", std::move(t)}; }
};

// Shared between the session and the ChangeHub callback. The callback runs on the store's
// writer thread and only posts to the session strand; everything here is touched on the strand.
struct ChangeSignal {
  explicit ChangeSignal(net::Executor ex) : executor(ex), timer(ex) {}
  net::Executor executor;
  bool dirty = false;             // something changed in the selected mailbox since the last sync
  store::MailboxId gone_mailbox = 0;  // a subscribed mailbox deleted by another session
  boost::asio::steady_timer timer;  // IDLE waits on it; a change cancels it
};

struct SelectedMailbox {
  store::MailboxInfo info;  // as at SELECT (id, name, UIDVALIDITY)
  bool read_only = false;
  MailboxView view;
  store::ModSeq synced_modseq = 0;  // every change up to this MODSEQ is reflected in view
  // Keywords the client was told by FLAGS / PERMANENTFLAGS: lower case -> spelling.
  std::map<std::string, std::string> announced_keywords;
  store::ChangeHub::Subscription subscription;
};

// What a command wants a mailbox for; decides the refusals of open_mailbox().
enum class MailboxUse {
  select,       // SELECT, EXAMINE: NONEXISTENT when missing, CANNOT when \Noselect
  status,       // STATUS: likewise
  destination,  // COPY, MOVE, APPEND: TRYCREATE when missing (RFC 9051 6.3.12, 6.4.7)
  any,          // GETQUOTAROOT: NONEXISTENT when missing; \Noselect is fine
};

struct OpenedMailbox {
  std::optional<store::MailboxInfo> info;
  Reply refusal;
};

class Session {
 public:
  Session(session::Services& services, net::Connection& conn);
  net::awaitable<void> run();
  net::awaitable<void> execute(Command& cmd);  // dispatch, sync, tagged reply

  using Handler = net::awaitable<Reply> (Session::*)(Command&);

  // ---- output (buffered; flushed at the end of each command and before large literals)
  void untagged(std::string_view text);  // "* " + text + CRLF
  void raw(std::string_view bytes) { out_ += bytes; }
  net::awaitable<bool> flush();
  // Appends bytes, streaming them straight to the connection when they are large.
  net::awaitable<bool> emit(std::string_view bytes);

  // ---- command handlers (one per command; see the table in session.cpp)
  net::awaitable<Reply> cmd_capability(Command&);
  net::awaitable<Reply> cmd_noop(Command&);
  net::awaitable<Reply> cmd_logout(Command&);
  net::awaitable<Reply> cmd_id(Command&);
  net::awaitable<Reply> cmd_starttls(Command&);
  net::awaitable<Reply> cmd_authenticate(Command&);
  net::awaitable<Reply> cmd_login(Command&);
  net::awaitable<Reply> cmd_enable(Command&);
  net::awaitable<Reply> cmd_compress(Command&);
  net::awaitable<Reply> cmd_idle(Command&);
  // select.cpp
  net::awaitable<Reply> cmd_select(Command&);
  net::awaitable<Reply> cmd_close(Command&);
  net::awaitable<Reply> cmd_unselect(Command&);
  // list.cpp
  net::awaitable<Reply> cmd_create(Command&);
  net::awaitable<Reply> cmd_delete(Command&);
  net::awaitable<Reply> cmd_rename(Command&);
  net::awaitable<Reply> cmd_subscribe(Command&);
  net::awaitable<Reply> cmd_unsubscribe(Command&);
  net::awaitable<Reply> cmd_list(Command&);
  net::awaitable<Reply> cmd_namespace(Command&);
  net::awaitable<Reply> cmd_status(Command&);
  net::awaitable<Reply> cmd_getquota(Command&);
  net::awaitable<Reply> cmd_getquotaroot(Command&);
  net::awaitable<Reply> cmd_setquota(Command&);
  // fetch.cpp / search.cpp / message.cpp
  net::awaitable<Reply> cmd_fetch(Command&);
  net::awaitable<Reply> cmd_search(Command&);
  net::awaitable<Reply> cmd_store(Command&);
  net::awaitable<Reply> cmd_copy(Command&);  // COPY and MOVE
  net::awaitable<Reply> cmd_expunge(Command&);
  net::awaitable<Reply> cmd_append(Command&);

  // ---- selected-mailbox bookkeeping (select.cpp)
  // Reports what other sessions changed: EXISTS, FETCH FLAGS and (when allowed) EXPUNGE or
  // VANISHED. force: query the store even if no change was signalled.
  net::awaitable<void> sync(bool allow_expunge, bool force = false);
  net::awaitable<bool> selected_mailbox_still_valid();  // false: a reset notice is current
  // Sends EXPUNGE (or VANISHED with QRESYNC) for uids this session knows and forgets them.
  void report_expunged(const std::vector<store::Uid>& uids);
  void unselect();
  net::awaitable<void> quota_alert(const store::MailboxInfo& info);  // SELECT INBOX near quota
  std::string flags_item(const store::MessageMeta& m) const;  // "FLAGS (...)"
  // RFC 3501 7.2.6 / RFC 9051 7.3.5: a keyword the client has not been told about is announced
  // by untagged FLAGS and OK [PERMANENTFLAGS] before any FETCH carries it.
  void announce_keywords(const store::Flags& flags);
  void send_flag_lists();  // FLAGS and PERMANENTFLAGS with every announced keyword
  // RFC 3501 2.3.2: IMAP4rev1 sessions that SELECT (not EXAMINE) claim new messages as \Recent;
  // IMAP4rev2 has no \Recent (RFC 9051 appendix E).
  bool shows_recent() const { return !rev2_; }
  bool claims_recent() const { return !rev2_ && selected_ && !selected_->read_only; }
  // Claims the view's messages from `recent_uid` on (a store write, only when there are any).
  net::awaitable<void> claim_recent(store::Uid recent_uid);

  // ---- helpers shared by command files
  store::MailStore& store() { return *s_.mail_store; }
  store::AccountId account_id() const { return store::AccountId(account_.id); }
  template <class F> auto offload(F f) { return s_.runtime.offload(std::move(f)); }
  // A store read whose cost is of the order of the response the I/O thread writes from its
  // result (a FETCH batch, the changes since the last sync, one mailbox row) runs right here, on
  // this I/O thread's own read connection (SqliteMailStore::bind_reader_slot): from the page
  // cache it takes microseconds, less than the two thread switches of an offload, which were
  // a third of the CPU under load. Reads that scan a whole mailbox or more (SELECT's snapshot,
  // LIST, STATUS, SEARCH of a big mailbox or of content) and every write or directory call
  // still go through offload(). docs/ARCHITECTURE.md, "Reads on the I/O threads".
  template <class F> auto read_in_place(F f) { return f(); }
  // ---- mailbox names (mailbox_names.cpp)
  // Wire mailbox name (modified UTF-7, or UTF-8 after ENABLE IMAP4rev2) -> store name.
  std::optional<std::string> decode_mailbox(std::string_view wire) const;
  std::string encode_mailbox(std::string_view name) const;  // quoted/literal, ready to send
  // The tagged NO for a name that is valid IMAP syntax but no valid mailbox name (not modified
  // UTF-7, or refused by the store): never BAD, as the command itself was well formed.
  Reply invalid_name(std::string_view why) const;
  // The one lookup of a mailbox a command names: decoded, found, and fit for `use`. On
  // failure `info` is empty and `refusal` is the tagged NO to send.
  net::awaitable<OpenedMailbox> open_mailbox(std::string wire, MailboxUse use);
  // LIST/LSUB patterns joined with the reference, as store names (list.cpp).
  std::vector<std::string> list_patterns(const ListArgs& a) const;
  // Sequence numbers named by a command's set (UID or message numbers; "$" resolved).
  std::optional<std::vector<uint32_t>> resolve_set(const SequenceSet& set, bool uid) const;
  // The account's quota in bytes (0 = none), read from the directory now.
  net::awaitable<uint64_t> quota_limit();
  net::awaitable<bool> would_exceed_quota(uint64_t more_bytes);
  bool utf8_names() const { return rev2_; }
  uint64_t append_limit() const { return s_.config.limits.max_message_size; }

  session::Services& s_;
  net::Connection& conn_;
  net::LineReader reader_;
  net::Executor executor_;
  std::string out_;
  State state_ = State::not_authenticated;
  directory::Account account_;
  bool condstore_ = false;  // RFC 7162 3.1: enabled by ENABLE, SELECT (CONDSTORE), MODSEQ use
  bool qresync_ = false;
  bool rev2_ = false;       // ENABLE IMAP4rev2 (RFC 9051 6.3.1)
  bool logout_ = false;     // end the session after this command's reply
  bool close_now_ = false;  // end without a tagged reply (connection failed)
  std::optional<SelectedMailbox> selected_;
  std::shared_ptr<ChangeSignal> signal_;
  std::vector<store::Uid> saved_result_;  // RFC 5182 SEARCHRES "$"
  // APPEND message literals, streamed into blobs while the command is read; a literal's
  // spool_path is "blob:<index>".
  std::vector<std::unique_ptr<store::BlobWriter>> append_blobs_;
  // Why spooling an APPEND literal failed (disk full, I/O error); "" while it works. The rest of
  // the literal is still read, so the command ends where the client thinks and gets a NO.
  std::string spool_error_;
  std::string current_tag_;
  int bad_commands_ = 0;
  bool idle_running_ = false;
  bool idle_stop_ = false;
};

// ---- command_table.cpp
// Capabilities for the current state.
std::string capability_list(const Session& s);
// The handler of a command in the given state; nullptr when that state does not allow it.
Session::Handler command_handler(CommandKind kind, State state);
// RFC 9051 7.5.1: FETCH, STORE and SEARCH (not their UID forms) must not see EXPUNGE.
bool allows_expunge(const Command& cmd);

// ---- command_reader.cpp
enum class ReadStatus { command, handled, end };
// Reads one whole command (its lines and literals) into raw; `handled` when it was answered
// already (too long, refused literal), `end` when the connection is done.
net::awaitable<ReadStatus> read_raw_command(Session& s, RawCommand& raw);
// The longest command line read (also for SASL responses and IDLE's DONE).
std::size_t command_line_limit(const config::Config& c);

}  // namespace kurier::imap
