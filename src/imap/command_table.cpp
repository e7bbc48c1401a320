// What the IMAP session offers: the capability list (one entry per extension, with its RFC)
// and the command table, grouped by the protocol state that allows each command (RFC 9051
// 6.1-6.4), so "which commands work before login?" is answered by reading ten lines.
#include "imap/session_internal.h"

#include "session/sasl_exchange.h"

namespace kurier::imap {
namespace {

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


unsigned state_bit(State s) {
  switch (s) {
    case State::not_authenticated: return kNotAuth;
    case State::authenticated: return kAuth;
    case State::selected: return kSel;
  }
  return 0;
}

}  // namespace

Session::Handler command_handler(CommandKind kind, State state) {
  for (const auto& c : kCommands)
    if (c.kind == kind) return (c.states & state_bit(state)) ? c.handler : nullptr;
  return nullptr;
}

// RFC 9051 7.5.1: FETCH, STORE and SEARCH (not their UID forms) must not see EXPUNGE.
bool allows_expunge(const Command& cmd) {
  bool restricted = cmd.kind == CommandKind::fetch || cmd.kind == CommandKind::store ||
                    cmd.kind == CommandKind::search;
  return !restricted || cmd.uid;
}

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

}  // namespace kurier::imap
