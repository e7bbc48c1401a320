// The IMAP server session: greeting, command reading (literals), dispatch by state,
// authentication, ENABLE/ID/COMPRESS/IDLE. The mailbox and message commands live in
// select.cpp, list.cpp, fetch.cpp, search.cpp and message.cpp (see session_internal.h).
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
// - Every store, blob-commit and directory call is blocking: it goes through Runtime::offload.
//   So does SEARCH and LIST matching (search_program.h, mailbox_list.h). Only mmap'd blob reads
//   for FETCH bodies happen on the I/O thread.
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

#include <array>

#include "common/log.h"
#include "common/strings.h"
#include "imap/literal.h"
#include "imap/parser.h"
#include "imap/quote.h"
#include "imap/session.h"
#include "imap/utf7.h"
#include "net/runtime.h"
#include "session/sasl_exchange.h"
#include "store/errors.h"

namespace kurier::imap {
namespace {

namespace asio = boost::asio;

// ---- capabilities -----------------------------------------------------------------------------
// One list; `when` says in which states an entry is announced.
enum When { kAlways, kBeforeAuth, kAfterAuth };
struct Capability {
  const char* name;
  When when;
  const char* rfc;
};
constexpr Capability kCapabilities[] = {
    {"IMAP4rev1", kAlways, "RFC 3501"},
    {"IMAP4rev2", kAlways, "RFC 9051"},
    {"LITERAL+", kAlways, "RFC 7888 (LITERAL- is implied by IMAP4rev2)"},
    {"SASL-IR", kAlways, "RFC 4959"},
    {"ID", kAlways, "RFC 2971"},
    {"ENABLE", kAlways, "RFC 5161"},
    {"IDLE", kAlways, "RFC 2177"},
    {"NAMESPACE", kAfterAuth, "RFC 2342"},
    {"UIDPLUS", kAfterAuth, "RFC 4315"},
    {"MOVE", kAfterAuth, "RFC 6851"},
    {"UNSELECT", kAfterAuth, "RFC 3691"},
    {"CHILDREN", kAfterAuth, "RFC 3348"},
    {"SPECIAL-USE", kAfterAuth, "RFC 6154"},
    {"CREATE-SPECIAL-USE", kAfterAuth, "RFC 6154"},
    {"LIST-EXTENDED", kAfterAuth, "RFC 5258"},
    {"LIST-STATUS", kAfterAuth, "RFC 5819"},
    {"ESEARCH", kAfterAuth, "RFC 4731"},
    {"SEARCHRES", kAfterAuth, "RFC 5182"},
    {"WITHIN", kAfterAuth, "RFC 5032"},
    {"CONDSTORE", kAfterAuth, "RFC 7162"},
    {"QRESYNC", kAfterAuth, "RFC 7162"},
    {"QUOTA", kAfterAuth, "RFC 9208"},
    {"QUOTA=RES-STORAGE", kAfterAuth, "RFC 9208"},
    {"STATUS=SIZE", kAfterAuth, "RFC 8438"},
    {"BINARY", kAfterAuth, "RFC 3516"},
    {"MULTIAPPEND", kAfterAuth, "RFC 3502"},
    {"COMPRESS=DEFLATE", kAfterAuth, "RFC 4978"},
    // APPENDLIMIT=<n> (RFC 7889), STARTTLS (RFC 9051 6.2.1), LOGINDISABLED (RFC 9051 6.2.3)
    // and AUTH=<mech> (RFC 9051 6.2.2) depend on the connection: see capability_list().
};

// ---- command table ------------------------------------------------------------------------------
// Which commands each state allows (RFC 9051 6.1-6.4). A command not listed for the current
// state gets "BAD Command not allowed now".
enum Allowed : unsigned { kNotAuth = 1, kAuth = 2, kSel = 4, kAny = 7, kLoggedIn = 6 };
struct CommandSpec {
  CommandKind kind;
  unsigned states;
  Session::Handler handler;
};
constexpr CommandSpec kCommands[] = {
    // any state (RFC 9051 6.1)
    {CommandKind::capability, kAny, &Session::cmd_capability},
    {CommandKind::noop, kAny, &Session::cmd_noop},
    {CommandKind::logout, kAny, &Session::cmd_logout},
    {CommandKind::id, kAny, &Session::cmd_id},
    // not authenticated (RFC 9051 6.2)
    {CommandKind::starttls, kNotAuth, &Session::cmd_starttls},
    {CommandKind::authenticate, kNotAuth, &Session::cmd_authenticate},
    {CommandKind::login, kNotAuth, &Session::cmd_login},
    // authenticated (RFC 9051 6.3), also allowed while a mailbox is selected
    {CommandKind::enable, kLoggedIn, &Session::cmd_enable},
    {CommandKind::select, kLoggedIn, &Session::cmd_select},
    {CommandKind::examine, kLoggedIn, &Session::cmd_select},
    {CommandKind::create, kLoggedIn, &Session::cmd_create},
    {CommandKind::delete_, kLoggedIn, &Session::cmd_delete},
    {CommandKind::rename, kLoggedIn, &Session::cmd_rename},
    {CommandKind::subscribe, kLoggedIn, &Session::cmd_subscribe},
    {CommandKind::unsubscribe, kLoggedIn, &Session::cmd_unsubscribe},
    {CommandKind::list, kLoggedIn, &Session::cmd_list},
    {CommandKind::lsub, kLoggedIn, &Session::cmd_list},
    {CommandKind::namespace_, kLoggedIn, &Session::cmd_namespace},
    {CommandKind::status, kLoggedIn, &Session::cmd_status},
    {CommandKind::append, kLoggedIn, &Session::cmd_append},
    {CommandKind::idle, kLoggedIn, &Session::cmd_idle},
    {CommandKind::getquota, kLoggedIn, &Session::cmd_getquota},
    {CommandKind::getquotaroot, kLoggedIn, &Session::cmd_getquotaroot},
    {CommandKind::setquota, kLoggedIn, &Session::cmd_setquota},
    {CommandKind::compress, kLoggedIn, &Session::cmd_compress},
    // selected (RFC 9051 6.4)
    {CommandKind::check, kSel, &Session::cmd_noop},
    {CommandKind::close, kSel, &Session::cmd_close},
    {CommandKind::unselect, kSel, &Session::cmd_unselect},
    {CommandKind::expunge, kSel, &Session::cmd_expunge},
    {CommandKind::search, kSel, &Session::cmd_search},
    {CommandKind::fetch, kSel, &Session::cmd_fetch},
    {CommandKind::store, kSel, &Session::cmd_store},
    {CommandKind::copy, kSel, &Session::cmd_copy},
    {CommandKind::move, kSel, &Session::cmd_copy},
};

const CommandSpec* find_spec(CommandKind kind) {
  for (const auto& c : kCommands)
    if (c.kind == kind) return &c;
  return nullptr;
}

unsigned state_bit(State s) {
  switch (s) {
    case State::not_authenticated: return kNotAuth;
    case State::authenticated: return kAuth;
    case State::selected: return kSel;
  }
  return 0;
}

// RFC 9051 7.5.1: FETCH, STORE and SEARCH (not their UID forms) must not see EXPUNGE.
bool allows_expunge(const Command& cmd) {
  bool restricted = cmd.kind == CommandKind::fetch || cmd.kind == CommandKind::store ||
                    cmd.kind == CommandKind::search;
  return !restricted || cmd.uid;
}

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

// The tag and command name of a first line, for APPEND detection and TOOBIG replies.
struct LineHead {
  std::optional<std::string> tag;
  bool is_append = false;
  size_t args_offset = 0;  // where the arguments after "APPEND " begin
};

LineHead line_head(std::string_view line) {
  LineHead h;
  h.tag = read_tag(line);
  if (!h.tag) return h;
  std::string_view rest = line.substr(h.tag->size() + 1);
  if (istarts_with(rest, "APPEND ")) {
    h.is_append = true;
    h.args_offset = h.tag->size() + 1 + 7;
  }
  return h;
}

// Where a literal announcement at the end of line starts ("{" or "~{").
size_t announcement_start(std::string_view line) {
  size_t pos = line.rfind('{');
  if (pos == std::string_view::npos) return line.size();
  if (pos > 0 && line[pos - 1] == '~') --pos;
  return pos;
}

// A MULTIAPPEND (RFC 3502) may carry at most this many APPENDLIMIT-sized messages in total.
constexpr uint64_t kMaxAppendTotal = 10;

std::size_t line_limit(const config::Config& c) {
  // Long UID sets (RFC 7162 4 recommends accepting at least 8192 octets) are common; allow up
  // to 64 KiB lines unless max_line_length is larger, and never more than a whole command.
  uint64_t limit = std::max<uint64_t>(uint64_t(c.limits.max_line_length), 64 * 1024);
  return std::size_t(std::min<uint64_t>(limit, c.limits.max_command_bytes));
}

}  // namespace

std::string capability_list(const Session& s) {
  std::string out;
  bool authed = s.state_ != State::not_authenticated;
  for (const auto& c : kCapabilities) {
    if (c.when == kBeforeAuth && authed) continue;
    if (c.when == kAfterAuth && !authed) continue;
    if (!out.empty()) out += ' ';
    out += c.name;
  }
  if (authed) {
    out += " APPENDLIMIT=" + std::to_string(s.append_limit());
    return out;
  }
  if (!s.conn_.is_tls() && s.conn_.tls_available()) out += " STARTTLS";
  if (!session::plaintext_auth_allowed(s.s_, s.conn_)) out += " LOGINDISABLED";
  for (const auto& mech : session::offered_mechanisms(s.s_, s.conn_)) out += " AUTH=" + mech;
  return out;
}

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
  auto usage = co_await offload([&] { return store().quota_usage(acct); });
  co_return usage.bytes + more_bytes > limit;
}

net::awaitable<uint64_t> Session::quota_limit() {
  int64_t id = account_.id;
  auto account = co_await offload([&] { return s_.directory.account_by_id(id); });
  co_return account ? account->quota : 0;
}

// ---- reading commands -------------------------------------------------------------------------

namespace {

enum class ReadStatus { command, handled, end };

}  // namespace

// True when the literal announced at the end of `line` is an APPEND message (and not the
// mailbox name, the one other literal an APPEND may carry: "tag APPEND {5}").
static bool is_message_literal(const LineHead& head, const RawCommand& raw, std::string_view line) {
  if (!head.is_append) return false;
  if (!raw.literals.empty()) return true;
  size_t from = std::min(head.args_offset, line.size());
  size_t to = std::max(from, announcement_start(line));
  return !trim(line.substr(from, to - from)).empty();
}

// Answers a literal that will not be read. A synchronizing literal's client waits for "+", so
// the command simply fails; a non-synchronizing literal's bytes are already on their way and
// there is no way to find the next command after them (RFC 7888 4): say BYE and close.
static net::awaitable<ReadStatus> refuse_literal(Session& s, const std::string& tag_prefix,
                                                 const std::string& reply, bool non_synchronizing) {
  s.raw(tag_prefix + reply + "\r\n");
  if (!non_synchronizing) co_return ReadStatus::handled;
  s.untagged("BYE Literal refused; closing the connection");
  co_await s.flush();
  co_return ReadStatus::end;
}

// The reason to refuse an announced literal before reading it, or "".
static net::awaitable<std::string> literal_refusal(Session& s, const LiteralAnnouncement& ann, bool is_message,
                                                   bool tagged, uint64_t message_bytes) {
  if (!ann.ok()) {
    ++s.bad_commands_;
    if (ann.error != LiteralAnnouncement::Error::too_large || !tagged)
      co_return "BAD " + sanitize_text(ann.error_text);
    if (is_message) co_return "NO [TOOBIG] Message is larger than APPENDLIMIT " + std::to_string(s.append_limit());
    co_return "NO [TOOBIG] Command is too long";
  }
  if (!is_message) co_return "";
  // No spooling for clients that are not logged in; NO [OVERQUOTA] (RFC 9208 5.1) before the
  // bytes are sent when the client waits for "+".
  if (s.state_ == State::not_authenticated) {
    ++s.bad_commands_;
    co_return "BAD APPEND needs authentication first";
  }
  if (!ann.non_synchronizing) {
    bool over = co_await s.would_exceed_quota(ann.size + message_bytes);
    if (over) co_return "NO [OVERQUOTA] Quota exceeded";
  }
  co_return "";
}

// Reads a literal's bytes: APPEND messages stream into a new blob (spool_path "blob:<index>"),
// anything else into memory (bounded by max_command_bytes).
static net::awaitable<std::optional<Literal>> read_literal(Session& s, const LiteralAnnouncement& ann,
                                                           bool is_message) {
  Literal lit;
  lit.size = ann.size;
  lit.binary = ann.binary;
  bool ok = false;
  if (is_message) {
    std::unique_ptr<store::BlobWriter> writer;
    try {
      writer = s.s_.blob_store->create(s.append_limit());
    } catch (const std::exception& e) {
      s.spool_error_ = e.what();
    }
    store::BlobWriter* w = writer.get();
    lit.spool_path = "blob:" + std::to_string(s.append_blobs_.size());
    s.append_blobs_.push_back(std::move(writer));
    std::string* error = &s.spool_error_;
    ok = co_await s.reader_.read_exact(ann.size, [w, error](std::string_view chunk) {
      if (!error->empty()) return;  // discarded: keep reading to stay in step with the client
      try {
        w->write(chunk);
      } catch (const std::exception& e) {
        *error = e.what();
      }
    });
  } else {
    lit.data.reserve(ann.size);
    std::string* data = &lit.data;
    ok = co_await s.reader_.read_exact(ann.size, [data](std::string_view chunk) { data->append(chunk); });
  }
  if (!ok) co_return std::nullopt;
  co_return lit;
}

// The command whose APPEND literal could not be spooled (read whole, but not stored): a tagged
// NO that tells the client to retry later, never a dropped connection. RFC 5530 UNAVAILABLE:
// "temporary failure because a subsystem is down".
static net::awaitable<ReadStatus> refuse_unspooled_append(Session& s, const std::string& tag_prefix) {
  log::warn("imap.append_spool_failed", {{"conn", s.conn_.id()}, {"error", s.spool_error_}});
  s.spool_error_.clear();
  s.append_blobs_.clear();
  s.raw(tag_prefix + "NO [UNAVAILABLE] The message could not be stored now; try again later\r\n");
  co_return ReadStatus::handled;
}

// Reads one whole command: the first line, then for every literal announcement the literal's
// bytes and the line after it.
static net::awaitable<ReadStatus> read_raw_command(Session& s, RawCommand& raw) {
  const auto& limits = s.s_.config.limits;
  const std::size_t max_line = line_limit(s.s_.config);
  auto first = co_await s.reader_.read_command(max_line);
  if (first.status == net::LineStatus::too_long) {
    ++s.bad_commands_;
    s.untagged("BAD Command line too long");
    co_return ReadStatus::handled;
  }
  if (!first.ok()) {
    if (first.status == net::LineStatus::timeout) {
      s.untagged("BYE Autologout; idle for too long");
      co_await s.flush();
    }
    co_return ReadStatus::end;
  }
  LineHead head = line_head(first.line);
  const std::string tag_prefix = head.tag ? *head.tag + " " : "* ";
  raw.lines.push_back(std::move(first.line));
  uint64_t command_bytes = raw.lines.back().size();  // lines and non-message literals
  uint64_t message_bytes = 0;                         // APPEND message literals
  for (;;) {
    const std::string& line = raw.lines.back();
    bool is_message = is_message_literal(head, raw, line);
    // Message literals are bounded by APPENDLIMIT each (and a MULTIAPPEND by kMaxAppendTotal
    // of them); everything else in a command by max_command_bytes.
    uint64_t room = is_message ? std::min<uint64_t>(s.append_limit(), kMaxAppendTotal * s.append_limit() - message_bytes)
                               : (limits.max_command_bytes > command_bytes ? limits.max_command_bytes - command_bytes : 0);
    auto ann = literal_at_end(line, room);
    if (!ann && !s.spool_error_.empty()) co_return co_await refuse_unspooled_append(s, tag_prefix);
    if (!ann) co_return ReadStatus::command;
    std::string refusal = co_await literal_refusal(s, *ann, is_message, head.tag.has_value(), message_bytes);
    if (!refusal.empty()) co_return co_await refuse_literal(s, tag_prefix, refusal, ann->non_synchronizing);
    if (!ann->non_synchronizing) {
      s.raw("+ Ready for literal data\r\n");
      if (!co_await s.flush()) co_return ReadStatus::end;
    }
    auto lit = co_await read_literal(s, *ann, is_message);
    if (!lit) co_return ReadStatus::end;
    (is_message ? message_bytes : command_bytes) += ann->size;
    raw.literals.push_back(std::move(*lit));
    auto next = co_await s.reader_.read_line(max_line);
    if (!next.ok() && next.status != net::LineStatus::too_long) co_return ReadStatus::end;
    if (next.status == net::LineStatus::too_long || command_bytes + next.line.size() > limits.max_command_bytes) {
      ++s.bad_commands_;
      // The rest of the command may announce more literals: only a BYE is safe for LITERAL+.
      co_return co_await refuse_literal(s, tag_prefix, "BAD Command is too long", true);
    }
    command_bytes += next.line.size();
    raw.lines.push_back(std::move(next.line));
  }
}

// ---- main loop ----------------------------------------------------------------------------------

net::awaitable<void> Session::run() {
  executor_ = co_await asio::this_coro::executor;
  signal_ = std::make_shared<ChangeSignal>(executor_);
  conn_.set_timeout(std::chrono::seconds(s_.config.limits.imap_idle_timeout_seconds));
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
  const CommandSpec* spec = find_spec(cmd.kind);
  Reply reply;
  if (!spec || !(spec->states & state_bit(state_))) {
    ++bad_commands_;
    reply = Reply::bad(std::string(command_name(cmd.kind)) +
                       (state_ == State::not_authenticated ? " needs authentication first"
                                                           : " is not allowed in this state"));
  } else {
    std::string failure;
    try {
      reply = co_await (this->*(spec->handler))(cmd);
    } catch (const store::StoreError& e) {
      failure = reply_for_store_error(e);
      log::warn("imap.store_error", {{"conn", conn_.id()}, {"command", command_name(cmd.kind)}, {"error", e.what()}});
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

// ---- not authenticated -------------------------------------------------------------------------------

net::awaitable<Reply> Session::cmd_starttls(Command& cmd) {
  if (conn_.is_tls()) co_return Reply::bad("TLS is already active");
  if (!conn_.tls_available()) co_return Reply::no("TLS is not available");
  out_ += cmd.tag + " OK Begin TLS negotiation now\r\n";
  // One co_await per statement: g++ 12 miscompiles co_await inside && / ||.
  bool ready = co_await flush();
  if (ready) ready = co_await reader_.start_tls();
  if (!ready) {
    close_now_ = true;
    co_return Reply::no("TLS negotiation failed");
  }
  co_return Reply{"", ""};  // the tagged reply went out before the handshake
}

namespace {

Reply login_reply(const session::SaslOutcome& o, const std::string& caps) {
  using S = session::SaslOutcome;
  switch (o.status) {
    case S::Ok: return Reply::ok("[CAPABILITY " + caps + "] Logged in");
    case S::Failed: return Reply::no("[AUTHENTICATIONFAILED] Authentication failed");
    case S::Cancelled: return Reply::bad("Authentication cancelled");
    case S::BadMechanism: return Reply::no("[CANNOT] Unsupported authentication mechanism");
    case S::Malformed: return Reply::bad("Invalid base64 in the SASL response");
    case S::Unavailable: return Reply::no("[UNAVAILABLE] Authentication is temporarily unavailable");
    case S::Disconnected: return Reply::no("Disconnected");
  }
  return Reply::no("Authentication failed");
}

}  // namespace

static net::awaitable<Reply> finish_login(Session& s, const session::SaslOutcome& o) {
  if (o.status == session::SaslOutcome::Disconnected) {
    s.close_now_ = true;
    co_return Reply::no("Disconnected");
  }
  if (o.status != session::SaslOutcome::Ok) co_return login_reply(o, "");
  s.account_ = o.account;
  s.state_ = State::authenticated;
  store::AccountId id = s.account_id();
  // First login: the account gets INBOX, Drafts, Sent, Trash, Junk and Archive (RFC 6154).
  co_await s.offload([&] {
    if (s.store().list_mailboxes(id).empty()) s.store().create_default_mailboxes(id);
  });
  co_return login_reply(o, capability_list(s));
}

net::awaitable<Reply> Session::cmd_login(Command& cmd) {
  if (!session::plaintext_auth_allowed(s_, conn_))
    co_return Reply::no("[PRIVACYREQUIRED] LOGIN is disabled without TLS; use STARTTLS");
  const auto& a = cmd.as<LoginArgs>();
  auto outcome = co_await session::check_login(s_, conn_, a.user, a.password, directory::kImap);
  co_return co_await finish_login(*this, outcome);
}

static net::awaitable<bool> send_challenge(Session* s, std::string challenge) {
  s->raw("+ " + challenge + "\r\n");
  co_return co_await s->flush();
}

static net::awaitable<std::optional<std::string>> read_sasl_response(Session* s) {
  auto line = co_await s->reader_.read_line(line_limit(s->s_.config));
  if (line.status == net::LineStatus::too_long) co_return std::string("!");  // invalid base64
  if (!line.ok()) co_return std::nullopt;
  co_return std::move(line.line);
}

net::awaitable<Reply> Session::cmd_authenticate(Command& cmd) {
  const auto& a = cmd.as<AuthenticateArgs>();
  session::SaslFraming framing;
  Session* self = this;
  framing.send_challenge = [self](const std::string& c) { return send_challenge(self, c); };
  framing.read_response = [self]() { return read_sasl_response(self); };
  // RFC 9051 6.2.2: server-final SASL data (SCRAM) is sent as one more "+" continuation and
  // the client answers with an empty line before the tagged OK.
  framing.final_data_in_success = false;
  auto outcome = co_await session::run_sasl(s_, conn_, a.mechanism, a.initial_response, directory::kImap, framing);
  co_return co_await finish_login(*this, outcome);
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

// IDLE (RFC 2177): changes are reported as they happen until the client sends DONE. A second
// coroutine on the same strand waits for change signals while this one waits for DONE.
static net::awaitable<void> idle_notifier(Session* s) {
  s->idle_running_ = true;
  std::shared_ptr<ChangeSignal> signal = s->signal_;
  try {
    while (!s->idle_stop_) {
      if (s->selected_ && signal->dirty) {  // a deletion sets dirty too
        co_await s->sync(true);
        bool written = co_await s->flush();
        if (!written || s->close_now_) {
          s->conn_.close();  // ends the DONE read in cmd_idle
          break;
        }
        continue;
      }
      signal->timer.expires_at(boost::asio::steady_timer::time_point::max());
      boost::system::error_code ec;
      co_await signal->timer.async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ec));
    }
  } catch (const std::exception& e) {
    log::warn("imap.idle_notify_failed", {{"conn", s->conn_.id()}, {"error", e.what()}});
  }
  s->idle_running_ = false;
  signal->timer.cancel();  // wakes the joiner
}

net::awaitable<Reply> Session::cmd_idle(Command&) {
  if (selected_) co_await sync(true, true);
  raw("+ idling\r\n");
  if (!co_await flush()) {
    close_now_ = true;
    co_return Reply::no("Disconnected");
  }
  conn_.set_timeout(std::chrono::seconds(s_.config.limits.imap_idle_timeout_seconds));  // re-armed
  idle_stop_ = false;
  asio::co_spawn(executor_, idle_notifier(this), asio::detached);
  auto line = co_await reader_.read_command(line_limit(s_.config));
  idle_stop_ = true;
  // Join the notifier: it may be in the middle of a store query or a write.
  while (idle_running_) {
    signal_->timer.cancel();
    asio::steady_timer join(executor_, std::chrono::milliseconds(5));
    boost::system::error_code ec;
    co_await join.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
  if (!line.ok()) {
    if (line.status == net::LineStatus::timeout) {
      untagged("BYE Autologout; idle for too long");
      co_await flush();
    }
    close_now_ = line.status != net::LineStatus::too_long;
    if (close_now_) co_return Reply::no("Disconnected");
    co_return Reply::bad("Line too long; expected DONE");
  }
  if (!iequals(trim(line.line), "DONE")) co_return Reply::bad("Expected DONE to end IDLE");
  co_return Reply::ok("IDLE terminated");
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
