// The POP3 session's state and command handlers, shared by session.cpp (the loop, the
// AUTHORIZATION state: CAPA, STLS, USER/PASS, AUTH) and transaction.cpp (the TRANSACTION and
// UPDATE states: STAT, LIST, UIDL, RETR, TOP, DELE, RSET, NOOP, QUIT). Internal to src/pop3.
#pragma once
#include <map>
#include "net/asio.h"  // first: it sets Boost.Asio's compile options

#include <optional>
#include <string>

#include "directory/directory.h"
#include "net/connection.h"
#include "net/line_reader.h"
#include "net/runtime.h"
#include "pop3/command.h"
#include "pop3/maildrop.h"
#include "pop3/maildrop_lock.h"
#include "pop3/response.h"
#include "pop3/uidl.h"
#include "session/sasl_exchange.h"
#include "session/services.h"
#include "store/change_hub.h"

namespace kurier::pop3 {

class Session {
 public:
  Session(session::Services& services, net::Connection& conn);
  net::awaitable<void> run();

  using Handler = net::awaitable<void> (Session::*)(const Command&);

  // AUTHORIZATION state (session.cpp)
  net::awaitable<void> cmd_capa(const Command&);
  net::awaitable<void> cmd_stls(const Command&);
  net::awaitable<void> cmd_user(const Command&);
  net::awaitable<void> cmd_pass(const Command&);
  net::awaitable<void> cmd_apop(const Command&);
  net::awaitable<void> cmd_auth(const Command&);
  net::awaitable<void> cmd_quit_authorization(const Command&);
  // TRANSACTION state (transaction.cpp)
  net::awaitable<void> cmd_stat(const Command&);
  net::awaitable<void> cmd_list(const Command&);
  net::awaitable<void> cmd_uidl(const Command&);
  net::awaitable<void> cmd_retr(const Command&);
  net::awaitable<void> cmd_top(const Command&);
  net::awaitable<void> cmd_dele(const Command&);
  net::awaitable<void> cmd_rset(const Command&);
  net::awaitable<void> cmd_noop(const Command&);
  net::awaitable<void> cmd_quit_update(const Command&);

 private:
  enum class State { authorization, transaction };

  net::awaitable<void> execute(const Command& cmd);
  net::awaitable<bool> flush();
  void ok(std::string_view text) { out_ += ok_line(text); }
  void err(std::string_view text, ErrCode code = ErrCode::none) { out_ += err_line(text, code); }
  // A malformed, unknown or misplaced command: -ERR, counted toward limits.max_bad_commands.
  void refuse(std::string_view text, ErrCode code = ErrCode::none);
  size_t max_line() const;

  // login (session.cpp)
  net::awaitable<void> finish_login(session::SaslOutcome outcome);
  net::awaitable<bool> open_maildrop(const directory::Account& account);
  net::awaitable<bool> send_sasl_challenge(std::string challenge_b64);
  net::awaitable<std::optional<std::string>> read_sasl_response();

  // messages (transaction.cpp)
  // Message `number`, or nullptr after answering -ERR for a missing or deleted one.
  MaildropMessage* message_or_refuse(uint32_t number);
  net::awaitable<void> send_message(MaildropMessage& message, std::optional<uint64_t> top_lines);
  net::awaitable<void> mark_seen(MaildropMessage& message);
  std::string uidl_of(const MaildropMessage& message) const;
  template <class F> auto offload(F f) { return s_.runtime.offload(std::move(f)); }

  session::Services& s_;
  net::Connection& conn_;
  net::LineReader reader_;
  std::string out_;  // answers not written yet (PIPELINING, RFC 2449 6.6)
  State state_ = State::authorization;
  int bad_commands_ = 0;
  bool closing_ = false;
  UidlFormat uidl_format_ = UidlFormat::dovecot;

  std::optional<std::string> user_;  // USER given, PASS expected next (RFC 1939 7)
  directory::Account account_;
  std::optional<MaildropLock> lock_;
  store::MailboxId inbox_ = 0;
  // Held while the maildrop is open: messages another session expunges stay readable, as the
  // snapshot promised (ChangeHub::Subscription::hold_expunged_after).
  store::ChangeHub::Subscription hold_;
  Maildrop maildrop_;
  // UIDLs an import kept from the source (MailStore::pop3_uidls), by UID; others are derived.
  std::map<store::Uid, std::string> kept_uidls_;
};

}  // namespace kurier::pop3
