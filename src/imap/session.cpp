// The IMAP server session: greeting, the command loop, dispatch by state, output buffering,
// and the small commands of any state (CAPABILITY, NOOP, LOGOUT, ID, ENABLE, COMPRESS).
// The rest lives by concern (see session_internal.h): command_table.cpp (capabilities and
// which state allows which command), command_reader.cpp (lines and literals), login.cpp
// (STARTTLS, LOGIN, AUTHENTICATE), idle.cpp, and the mailbox and message commands in
// select.cpp, list.cpp, fetch.cpp, search.cpp and message.cpp.
//
// Implementation notes — invariants anyone changing the IMAP code must keep:
// - Sequence numbers change only when this session sends EXISTS, EXPUNGE or VANISHED; the
//   MailboxView is the session's only truth for them (RFC 9051 2.3.1.2).
// - Never send EXPUNGE/VANISHED while answering FETCH, STORE or SEARCH, nor when no command is in
//   progress (RFC 9051 7.5.1, RFC 7162 3.2.10); UID variants may (RFC 9051 7.5.1 note). IDLE
//   counts as a command in progress (RFC 2177 3).
// - Other sessions' changes arrive through the store's ChangeHub. Its callback runs on the
//   store's writer thread: it only posts to this session's strand and returns (change_hub.h).
//   The session then asks the store what changed since synced_modseq (changes_since), so a lost
//   or merged signal never loses an update and our own changes are not reported twice.
// - Every store write, blob commit and directory call is blocking: it goes through
//   Runtime::offload. So does LIST matching (mailbox_list.h), and SEARCH (search_program.h)
//   unless it reads message rows alone in a small mailbox. On
//   the I/O thread run only reads whose cost is of the order of the response written from them
//   (read_in_place: FETCH batches, changes since the last sync, one mailbox row) and mmap'd
//   blob reads for FETCH bodies.
// - Nothing is answered OK before it is durable: the store returns after fsync; APPEND commits
//   the blob (fsync) before the message row (RFC 3501 6.3.11 "the message is appended").
// - APPEND literals stream into a BlobWriter as they arrive; no message is held whole in memory.
//   FETCH writes large bodies from the mmap'd blob in pieces (emit()).
// - Every input is bounded: line length, command bytes (max_command_bytes, literals included;
//   APPEND messages by max_message_size = APPENDLIMIT, RFC 7889), parser depth and tokens; a
//   refused synchronizing literal gets "NO [TOOBIG]" before any byte is sent (RFC 9051 7.1,
//   RFC 7888 4); a refused non-synchronizing one closes the connection (its bytes are coming).
// - Every malformed command gets a tagged BAD (or "* BAD" without a tag) and counts toward
//   limits.max_bad_commands, after which "* BYE" ends the session.
// - STARTTLS discards buffered plaintext (RFC 9051 6.2.1); the capability list is only sent
//   anew, never cached across STARTTLS or login (RFC 9051 7.2.2).
// - Plaintext passwords (LOGIN, AUTH=PLAIN) only where session::plaintext_auth_allowed says;
//   otherwise LOGINDISABLED is advertised (RFC 9051 6.2.3) and LOGIN answers NO [PRIVACYREQUIRED].
#include "imap/session_internal.h"


#include "common/log.h"
#include "common/strings.h"
#include "directory/directory.h"
#include "imap_protocol/literal.h"
#include "imap_protocol/parser.h"
#include "imap_protocol/quote.h"
#include "imap/session.h"
#include "net/runtime.h"
#include "store/errors.h"

namespace kurier::imap {
namespace {

namespace asio = boost::asio;

std::string reply_for_store_error(const store::StoreError& e) {
  using store::StoreErrc;
  std::string text = sanitize_text(e.what());
  switch (e.code()) {
    case StoreErrc::not_found: return "[NONEXISTENT] " + text;
    case StoreErrc::already_exists: return "[ALREADYEXISTS] " + text;
    case StoreErrc::invalid_name: return "[CANNOT] " + text;
    case StoreErrc::invalid_argument: return "[CANNOT] " + text;
    case StoreErrc::not_permitted: return "[CANNOT] " + text;
    case StoreErrc::limit_exceeded: return "[LIMIT] " + text;
    case StoreErrc::shut_down: return "[UNAVAILABLE] " + text;
    default: return "[SERVERBUG] " + text;
  }
}

}  // namespace

Session::Session(session::Services& services, net::Connection& conn)
    : s_(services), conn_(conn), reader_(conn) {}

void Session::untagged(std::string_view text) {
  out_ += "* ";
  out_ += text;
  out_ += "\r\n";
}

net::awaitable<bool> Session::flush() {
  if (out_.empty()) co_return conn_.is_open();
  std::string data;
  data.swap(out_);
  co_return co_await conn_.write(data);
}

net::awaitable<bool> Session::emit(std::string_view bytes) {
  constexpr size_t kInline = 64 * 1024;
  constexpr size_t kPiece = 1024 * 1024;
  if (bytes.size() <= kInline) {
    out_ += bytes;
    if (out_.size() > kPiece) co_return co_await flush();
    co_return true;
  }
  if (!co_await flush()) co_return false;
  for (size_t pos = 0; pos < bytes.size(); pos += kPiece) {
    if (!co_await conn_.write(bytes.substr(pos, kPiece))) co_return false;
  }
  co_return true;
}

std::optional<std::vector<uint32_t>> Session::resolve_set(const SequenceSet& set, bool uid) const {
  const MailboxView& view = selected_->view;
  if (set.saved_result) {  // RFC 5182 2: "$" is the saved result, whatever the command form
    std::vector<uint32_t> seqs;
    for (store::Uid u : saved_result_)
      if (uint32_t seq = view.seq_of(u)) seqs.push_back(seq);
    return seqs;
  }
  if (uid) return view.resolve_uids(set);
  return view.resolve_seqs(set);
}

net::awaitable<bool> Session::would_exceed_quota(uint64_t more_bytes) {
  uint64_t limit = co_await quota_limit();
  if (limit == 0) co_return false;
  store::AccountId acct = account_id();
  auto usage = read_in_place([&] { return store().quota_usage(acct); });
  co_return usage.bytes + more_bytes > limit;
}

net::awaitable<uint64_t> Session::quota_limit() {
  int64_t id = account_.id;
  auto account = co_await offload([&] { return s_.directory.account_by_id(id); });
  co_return account ? account->quota : 0;
}

// ---- main loop ----------------------------------------------------------------------------------

net::awaitable<void> Session::run() {
  executor_ = co_await asio::this_coro::executor;
  signal_ = std::make_shared<ChangeSignal>(executor_);
  // Until login, a short idle limit: an unauthenticated connection holds memory and a slot of
  // max_connections_per_ip for nothing. finish_login switches to the session timeout.
  conn_.set_timeout(std::chrono::seconds(s_.config.limits.login_timeout_seconds));
  untagged("OK [CAPABILITY " + capability_list(*this) + "] " + s_.config.hostname + " kurier IMAP ready");
  if (!co_await flush()) co_return;

  ParseLimits parse_limits;
  parse_limits.max_inline_literal = s_.config.limits.max_command_bytes;
  while (!logout_ && !close_now_) {
    RawCommand raw;
    append_blobs_.clear();
    spool_error_.clear();
    ReadStatus rs = co_await read_raw_command(*this, raw);
    if (rs == ReadStatus::end) break;
    if (rs == ReadStatus::command) {
      ParseResult parsed = parse_command(std::move(raw), parse_limits);
      if (!parsed) {
        ++bad_commands_;
        const auto& err = *parsed.error;
        out_ += (err.tag ? *err.tag : std::string("*")) + " BAD " + err.message + "\r\n";
      } else {
        co_await execute(*parsed.command);
      }
    }
    if (bad_commands_ >= s_.config.limits.max_bad_commands) {
      untagged("BYE Too many invalid commands");
      co_await flush();
      log::info("imap.too_many_bad_commands", {{"conn", conn_.id()}, {"ip", conn_.remote_ip()}});
      break;
    }
    if (!co_await flush()) break;
  }
  if (selected_) unselect();
  co_await flush();
}

net::awaitable<void> Session::execute(Command& cmd) {
  current_tag_ = cmd.tag;
  Handler handler = command_handler(cmd.kind, state_);
  Reply reply;
  if (!handler) {
    ++bad_commands_;
    reply = Reply::bad(std::string(command_name(cmd.kind)) +
                       (state_ == State::not_authenticated ? " needs authentication first"
                                                           : " is not allowed in this state"));
  } else {
    std::string failure;
    try {
      reply = co_await (this->*handler)(cmd);
    } catch (const store::StoreError& e) {
      failure = reply_for_store_error(e);
      log::warn("imap.store_error", {{"conn", conn_.id()}, {"command", command_name(cmd.kind)}, {"error", e.what()}});
    } catch (const directory::Error& e) {
      // The directory's database is away (a restart, the network): RFC 5530 UNAVAILABLE, try
      // again later; other directory errors are bugs.
      bool away = e.kind() == directory::Error::Unavailable;
      failure = away ? "[UNAVAILABLE] The directory is temporarily unavailable, try again later"
                     : "[SERVERBUG] Internal error";
      log::warn("imap.directory_error", {{"conn", conn_.id()}, {"command", command_name(cmd.kind)}, {"error", e.what()}});
    } catch (const std::exception& e) {
      failure = "[SERVERBUG] Internal error";
      log::error("imap.command_failed", {{"conn", conn_.id()}, {"command", command_name(cmd.kind)}, {"error", e.what()}});
    }
    if (!failure.empty()) reply = Reply::no(failure);
    if (reply.status == "BAD") ++bad_commands_;
  }
  if (close_now_) co_return;
  // No updates after LOGOUT's BYE: the session ends, and a number sent then could name a
  // message the client was never told about (issue 9 item 2).
  // Nor after SELECT/EXAMINE: the snapshot is fresh, and a VANISHED right after EXISTS would name
  // UIDs the client cannot know yet; later changes come with the next command.
  bool reports = cmd.kind != CommandKind::logout && cmd.kind != CommandKind::select &&
                 cmd.kind != CommandKind::examine;
  if (state_ == State::selected && selected_ && reports) {
    try {
      bool force = cmd.kind == CommandKind::noop || cmd.kind == CommandKind::check;
      co_await sync(allows_expunge(cmd), force);
    } catch (const std::exception& e) {
      log::warn("imap.sync_failed", {{"conn", conn_.id()}, {"error", e.what()}});
    }
  }
  if (close_now_ || reply.status.empty()) co_return;  // empty: the handler already replied
  out_ += cmd.tag + " " + reply.status + " " + reply.text + "\r\n";
}

// ---- any state ------------------------------------------------------------------------------------

net::awaitable<Reply> Session::cmd_capability(Command&) {
  untagged("CAPABILITY " + capability_list(*this));
  co_return Reply::ok("CAPABILITY completed");
}

net::awaitable<Reply> Session::cmd_noop(Command& cmd) {
  co_return Reply::ok(std::string(command_name(cmd.kind)) + " completed");
}

net::awaitable<Reply> Session::cmd_logout(Command&) {
  untagged("BYE Logging out");
  logout_ = true;
  co_return Reply::ok("LOGOUT completed");
}

net::awaitable<Reply> Session::cmd_id(Command& cmd) {
  // RFC 2971 3.3: the server's fields; the client's are only logged.
  const auto& a = cmd.as<IdArgs>();
  std::string client;
  for (const auto& [k, v] : a.fields)
    if (iequals(k, "name") && v) client = *v;
  if (!client.empty()) log::info("imap.client_id", {{"conn", conn_.id()}, {"name", sanitize_text(client, 60)}});
  untagged("ID (\"name\" \"kurier\" \"vendor\" \"kurier\")");
  co_return Reply::ok("ID completed");
}

// ---- authenticated -------------------------------------------------------------------------------

net::awaitable<Reply> Session::cmd_enable(Command& cmd) {
  // RFC 5161 3.1: "* ENABLED" lists what this command newly enabled; unknown names are ignored.
  std::string enabled;
  for (const auto& c : cmd.as<EnableArgs>().capabilities) {
    if (c == "CONDSTORE" && !condstore_) {
      condstore_ = true;
      enabled += " CONDSTORE";
    } else if (c == "QRESYNC" && !qresync_) {
      qresync_ = true;
      condstore_ = true;  // RFC 7162 3.2.3: QRESYNC implies CONDSTORE
      enabled += " QRESYNC";
    } else if (c == "IMAP4REV2" && !rev2_) {
      rev2_ = true;
      enabled += " IMAP4rev2";
    }
  }
  untagged("ENABLED" + enabled);
  co_return Reply::ok("ENABLE completed");
}

net::awaitable<Reply> Session::cmd_compress(Command& cmd) {
  const auto& a = cmd.as<CompressArgs>();
  if (a.algorithm != "DEFLATE") co_return Reply::no("[CANNOT] Unknown compression algorithm");
  if (conn_.is_deflate()) co_return Reply::no("[COMPRESSIONACTIVE] Compression is already active");
  out_ += cmd.tag + " OK DEFLATE active\r\n";
  if (!co_await flush()) {
    close_now_ = true;
    co_return Reply::no("Disconnected");
  }
  reader_.start_deflate();
  co_return Reply{"", ""};
}

net::awaitable<void> serve_session(session::Services& services, net::Connection& conn) {
  if (!services.mail_store || !services.blob_store) {
    co_await conn.write("* BYE kurier: the mail store is not available\r\n");
    co_return;
  }
  Session session(services, conn);
  co_await session.run();
}

}  // namespace kurier::imap
