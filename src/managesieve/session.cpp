// The ManageSieve session (RFC 5804).
//
// Implementation notes, for anyone changing this file:
// - Two states (RFC 5804 1.5): before login CAPABILITY, STARTTLS, AUTHENTICATE, NOOP and LOGOUT;
//   after it everything but STARTTLS and AUTHENTICATE. UNAUTHENTICATE goes back (2.14).
// - Capabilities are sent at the greeting, after STARTTLS (2.2: "the server MUST re-issue the
//   capability results") and for CAPABILITY; SASL lists only the mechanisms usable now.
// - Literals: the client sends "{n+}" (non-synchronizing; "{n}" is read the same, as Dovecot
//   does). Before login a literal may be at most kMaxPreLoginLiteral; after it, a script's size.
//   A larger literal is read and thrown away (bounded), so the connection stays in step, and the
//   command is answered NO (QUOTA/MAXSIZE for scripts).
// - Every storage call (accounts::SieveScripts) runs off the I/O thread (Runtime::offload).
// - Bad commands answer NO and count toward limits.max_bad_commands, then BYE.
#include "managesieve/session.h"

#include "net/asio.h"  // first: it sets Boost.Asio's compile options

#include <algorithm>
#include <chrono>
#include <optional>
#include <string>

#include "accounts/sieve_scripts.h"
#include "common/log.h"
#include "common/strings.h"
#include "managesieve/protocol.h"
#include "net/connection.h"
#include "net/line_reader.h"
#include "net/runtime.h"
#include "session/sasl_exchange.h"

namespace kurier::managesieve {
namespace {

constexpr uint64_t kMaxPreLoginLiteral = 8 * 1024;
// A literal above the limit is skipped up to this size; beyond it the connection is closed.
constexpr uint64_t kMaxSkippedLiteral = 64 * 1024 * 1024;
// Idle time allowed after login (before it, limits.login_timeout_seconds).
constexpr std::chrono::minutes kSessionTimeout(10);

struct Reply {
  std::string kind = "OK";  // OK, NO or BYE
  std::string code;         // response code without parentheses, "" = none
  std::string text;
  bool bad_command = false;  // malformed arguments: counts toward limits.max_bad_commands
  static Reply ok(std::string text, std::string code = "") { return {"OK", std::move(code), std::move(text)}; }
  static Reply no(std::string text, std::string code = "") { return {"NO", std::move(code), std::move(text)}; }
};

// RFC 5804 1.3 response codes for the script rules' outcomes.
Reply reply_for(const accounts::SieveResult& r, std::string ok_text) {
  using S = accounts::SieveStatus;
  switch (r.status) {
    case S::ok: return Reply::ok(std::move(ok_text));
    case S::nonexistent: return Reply::no(r.message, "NONEXISTENT");
    case S::already_exists: return Reply::no(r.message, "ALREADYEXISTS");
    case S::active: return Reply::no(r.message, "ACTIVE");
    case S::too_big: return Reply::no(r.message, "QUOTA/MAXSIZE");
    case S::too_many: return Reply::no(r.message, "QUOTA/MAXSCRIPTS");
    case S::bad_name: return Reply::no(r.message);
    case S::bad_script: return Reply::no(r.message);
  }
  return Reply::no("Failed");
}

enum class ReadOutcome { command, refused, end };

class Session {
 public:
  Session(session::Services& s, net::Connection& conn) : s_(s), conn_(conn), reader_(conn) {}
  net::awaitable<void> run();

  // The SASL framing (RFC 5804 2.1): challenges and responses are strings.
  net::awaitable<bool> send_challenge(std::string challenge_b64);
  net::awaitable<std::optional<std::string>> read_response();

 private:
  using Handler = net::awaitable<Reply> (Session::*)(Command&);
  struct CommandSpec {
    const char* name;
    bool before_login;
    bool after_login;
    Handler handler;
  };
  static const CommandSpec kCommands[];

  net::awaitable<ReadOutcome> read_command(Command& out);
  net::awaitable<bool> skip_literal(uint64_t size);
  net::awaitable<void> execute(Command& cmd);
  void write(const Reply& r) { out_ += response(r.kind, r.code, r.text); }
  net::awaitable<bool> flush();
  void capabilities();
  std::string sasl_mechanisms() const;
  int64_t account_id() const { return account_->id; }
  bool authenticated() const { return account_.has_value(); }
  uint64_t literal_limit() const;
  size_t line_limit() const { return size_t(s_.config.limits.max_line_length); }
  template <class F>
  auto offload(F f) {
    return s_.runtime.offload(std::move(f));
  }

  net::awaitable<Reply> cmd_capability(Command& cmd);
  net::awaitable<Reply> cmd_starttls(Command& cmd);
  net::awaitable<Reply> cmd_authenticate(Command& cmd);
  net::awaitable<Reply> cmd_noop(Command& cmd);
  net::awaitable<Reply> cmd_logout(Command& cmd);
  net::awaitable<Reply> cmd_unauthenticate(Command& cmd);
  net::awaitable<Reply> cmd_havespace(Command& cmd);
  net::awaitable<Reply> cmd_putscript(Command& cmd);
  net::awaitable<Reply> cmd_checkscript(Command& cmd);
  net::awaitable<Reply> cmd_listscripts(Command& cmd);
  net::awaitable<Reply> cmd_setactive(Command& cmd);
  net::awaitable<Reply> cmd_getscript(Command& cmd);
  net::awaitable<Reply> cmd_deletescript(Command& cmd);
  net::awaitable<Reply> cmd_renamescript(Command& cmd);

  session::Services& s_;
  net::Connection& conn_;
  net::LineReader reader_;
  std::string out_;
  std::optional<directory::Account> account_;
  int bad_commands_ = 0;
  bool closing_ = false;
  std::string refusal_;  // why read_command refused the command (ReadOutcome::refused)
  std::string refusal_code_;
};

const Session::CommandSpec Session::kCommands[] = {
    {"CAPABILITY", true, true, &Session::cmd_capability},          // RFC 5804 2.4
    {"STARTTLS", true, false, &Session::cmd_starttls},             // 2.2
    {"AUTHENTICATE", true, false, &Session::cmd_authenticate},     // 2.1
    {"NOOP", true, true, &Session::cmd_noop},                      // 2.13
    {"LOGOUT", true, true, &Session::cmd_logout},                  // 2.3
    {"UNAUTHENTICATE", false, true, &Session::cmd_unauthenticate}, // 2.14
    {"HAVESPACE", false, true, &Session::cmd_havespace},           // 2.5
    {"PUTSCRIPT", false, true, &Session::cmd_putscript},           // 2.6
    {"CHECKSCRIPT", false, true, &Session::cmd_checkscript},       // 2.12
    {"LISTSCRIPTS", false, true, &Session::cmd_listscripts},       // 2.7
    {"SETACTIVE", false, true, &Session::cmd_setactive},           // 2.8
    {"GETSCRIPT", false, true, &Session::cmd_getscript},           // 2.9
    {"DELETESCRIPT", false, true, &Session::cmd_deletescript},     // 2.10
    {"RENAMESCRIPT", false, true, &Session::cmd_renamescript},     // 2.11
};

// The arguments a command takes, checked in one place: "ss" = two strings, "sn" = a string and
// a number, "s?" = an optional string.
bool arguments_are(const Command& cmd, std::string_view shape) {
  size_t required = 0, optional = 0;
  for (char c : shape) (c == '?' ? optional : required) += 1;
  if (cmd.args.size() < required || cmd.args.size() > required + optional) return false;
  for (size_t i = 0; i < cmd.args.size(); ++i) {
    char want = shape[i] == '?' ? 's' : shape[i];
    if ((want == 'n') != (cmd.args[i].kind == Argument::Kind::number)) return false;
  }
  return true;
}

Reply syntax_error(const Command& cmd) {
  Reply r = Reply::no("Syntax error in the arguments of " + cmd.name);
  r.bad_command = true;
  return r;
}

// Coroutines of their own, so the challenge lives in this frame while it is sent.
net::awaitable<bool> sasl_send(Session* s, std::string challenge) {
  bool sent = co_await s->send_challenge(std::move(challenge));
  co_return sent;
}
net::awaitable<std::optional<std::string>> sasl_read(Session* s) {
  std::optional<std::string> line = co_await s->read_response();
  co_return line;
}

// ---- reading ------------------------------------------------------------------------------------

uint64_t Session::literal_limit() const {
  return authenticated() ? s_.config.sieve.max_script_size : kMaxPreLoginLiteral;
}

net::awaitable<bool> Session::skip_literal(uint64_t size) {
  if (size > kMaxSkippedLiteral) co_return false;
  bool ok = co_await reader_.read_exact(size, [](std::string_view) {});
  co_return ok;
}

// One command: its first line, then for each literal announced its bytes and the next line.
net::awaitable<ReadOutcome> Session::read_command(Command& out) {
  CommandTokenizer tokenizer(literal_limit());
  auto line = co_await reader_.read_command(line_limit());
  for (;;) {
    if (line.status == net::LineStatus::too_long) {
      refusal_ = "Line too long";
      co_return ReadOutcome::refused;
    }
    if (!line.ok()) {
      if (line.status == net::LineStatus::timeout) write(Reply{"BYE", "", "Idle for too long"});
      co_return ReadOutcome::end;
    }
    auto step = tokenizer.feed_line(line.line);
    if (step.kind == CommandTokenizer::Step::Kind::complete) break;
    if (step.kind == CommandTokenizer::Step::Kind::error) {
      // A literal we will not keep is read and thrown away, so the next command is found.
      auto announced = literal_at_end(line.line);
      if (announced && announced->size > literal_limit()) {
        bool skipped = co_await skip_literal(announced->size);
        if (!skipped) co_return ReadOutcome::end;
        auto rest = co_await reader_.read_line(line_limit());
        if (!rest.ok() || literal_at_end(rest.line)) co_return ReadOutcome::end;
        bool script = tokenizer.command().name == "PUTSCRIPT" || tokenizer.command().name == "CHECKSCRIPT";
        refusal_ = script ? "Scripts are limited to " + std::to_string(literal_limit()) + " octets"
                          : "Literal too large";
        refusal_code_ = script && authenticated() ? "QUOTA/MAXSIZE" : "";
        co_return ReadOutcome::refused;
      }
      refusal_ = step.error;
      co_return ReadOutcome::refused;
    }
    std::string bytes;
    bytes.reserve(std::min<uint64_t>(step.literal_size, 64 * 1024));  // grows as bytes arrive
    std::string* sink = &bytes;
    bool ok = co_await reader_.read_exact(step.literal_size, [sink](std::string_view chunk) { sink->append(chunk); });
    if (!ok) co_return ReadOutcome::end;
    tokenizer.feed_literal(std::move(bytes));
    line = co_await reader_.read_line(line_limit());
  }
  out = std::move(tokenizer.command());
  co_return ReadOutcome::command;
}

net::awaitable<bool> Session::flush() {
  if (out_.empty()) co_return conn_.is_open();
  std::string data;
  data.swap(out_);
  bool ok = co_await conn_.write(data);
  co_return ok;
}

// ---- the loop -----------------------------------------------------------------------------------

std::string Session::sasl_mechanisms() const {
  std::string out;
  for (const auto& m : session::offered_mechanisms(s_, conn_)) out += (out.empty() ? "" : " ") + m;
  return out;
}

// RFC 5804 1.7.
void Session::capabilities() {
  const auto* scripts = s_.sieve_scripts;
  std::string extensions = scripts ? scripts->language().extensions : "";
  out_ += "\"IMPLEMENTATION\" \"kurier\"\r\n";
  out_ += "\"SASL\" " + encode_string(sasl_mechanisms()) + "\r\n";
  out_ += "\"SIEVE\" " + encode_string(extensions) + "\r\n";
  if (!conn_.is_tls() && conn_.tls_available()) out_ += "\"STARTTLS\"\r\n";
  out_ += "\"MAXREDIRECTS\" " + encode_string(std::to_string(s_.config.sieve.max_redirects)) + "\r\n";
  if ((" " + extensions + " ").find(" enotify ") != std::string::npos) out_ += "\"NOTIFY\" \"mailto\"\r\n";
  out_ += "\"UNAUTHENTICATE\"\r\n";
  out_ += "\"VERSION\" \"1.0\"\r\n";
  if (authenticated()) out_ += "\"OWNER\" " + encode_string(account_->address) + "\r\n";
}

net::awaitable<void> Session::run() {
  conn_.set_timeout(std::chrono::seconds(s_.config.limits.login_timeout_seconds));
  capabilities();
  write(Reply::ok("kurier ManageSieve ready"));
  if (!co_await flush()) co_return;
  while (!closing_) {
    Command cmd;
    ReadOutcome outcome = co_await read_command(cmd);
    if (outcome == ReadOutcome::end) break;
    if (outcome == ReadOutcome::refused) {
      ++bad_commands_;
      write(Reply::no(refusal_, refusal_code_));
      refusal_code_.clear();
    } else {
      co_await execute(cmd);
    }
    if (bad_commands_ >= s_.config.limits.max_bad_commands) {
      write(Reply{"BYE", "", "Too many invalid commands"});
      closing_ = true;
    }
    if (!co_await flush()) break;
  }
  co_await flush();
}

net::awaitable<void> Session::execute(Command& cmd) {
  const CommandSpec* spec = nullptr;
  for (const auto& c : kCommands)
    if (cmd.name == c.name) spec = &c;
  if (!spec) {
    ++bad_commands_;
    write(Reply::no("Unknown command " + cmd.name));
    co_return;
  }
  if (authenticated() ? !spec->after_login : !spec->before_login) {
    ++bad_commands_;
    write(Reply::no(cmd.name + (authenticated() ? " is not allowed after login" : " needs login first")));
    co_return;
  }
  Reply reply;
  try {
    reply = co_await (this->*(spec->handler))(cmd);
  } catch (const directory::Error& e) {
    log::warn("managesieve.storage_error", {{"conn", conn_.id()}, {"command", cmd.name}, {"error", e.what()}});
    reply = Reply::no("The scripts cannot be reached now; try again later", "TRYLATER");
  }
  if (reply.bad_command) ++bad_commands_;
  if (!reply.kind.empty()) write(reply);
}

// ---- before login ------------------------------------------------------------------------------

net::awaitable<Reply> Session::cmd_capability(Command& cmd) {
  if (!cmd.args.empty()) co_return syntax_error(cmd);
  capabilities();
  co_return Reply::ok("Capability completed");
}

net::awaitable<Reply> Session::cmd_noop(Command& cmd) {
  if (!arguments_are(cmd, "?")) co_return syntax_error(cmd);
  // RFC 5804 2.13: the optional string comes back as the TAG response code.
  if (cmd.args.empty()) co_return Reply::ok("Done");
  co_return Reply::ok("Done", "TAG " + encode_string(cmd.args[0].text));
}

net::awaitable<Reply> Session::cmd_logout(Command& cmd) {
  if (!cmd.args.empty()) co_return syntax_error(cmd);
  closing_ = true;
  co_return Reply::ok("Logout completed");
}

net::awaitable<Reply> Session::cmd_starttls(Command& cmd) {
  if (!cmd.args.empty()) co_return syntax_error(cmd);
  if (conn_.is_tls()) co_return Reply::no("TLS is already active");
  if (!conn_.tls_available()) co_return Reply::no("TLS is not available");
  write(Reply::ok("Begin TLS negotiation now"));
  // One co_await per statement: g++ 12 miscompiles co_await inside && / ||.
  bool ready = co_await flush();
  if (ready) ready = co_await reader_.start_tls();  // also drops plaintext sent after STARTTLS
  if (!ready) {
    closing_ = true;
    co_return Reply{"", "", ""};
  }
  capabilities();  // RFC 5804 2.2: re-issued after the handshake
  co_return Reply::ok("TLS negotiation successful");
}

net::awaitable<bool> Session::send_challenge(std::string challenge_b64) {
  out_ += encode_string(challenge_b64) + "\r\n";
  bool sent = co_await flush();
  co_return sent;
}

// A client's SASL response is one string (quoted or literal) on its own line; "*" cancels.
net::awaitable<std::optional<std::string>> Session::read_response() {
  CommandTokenizer tokenizer(kMaxPreLoginLiteral);
  auto line = co_await reader_.read_line(line_limit());
  if (!line.ok()) co_return std::nullopt;
  // The response is an argument without a command name before it: feed it as " <string>".
  auto step = tokenizer.feed_line("AUTHENTICATE " + line.line);
  if (step.kind == CommandTokenizer::Step::Kind::literal) {
    std::string bytes;
    std::string* sink = &bytes;
    bool ok = co_await reader_.read_exact(step.literal_size, [sink](std::string_view c) { sink->append(c); });
    if (!ok) co_return std::nullopt;
    tokenizer.feed_literal(std::move(bytes));
    auto rest = co_await reader_.read_line(line_limit());
    if (!rest.ok()) co_return std::nullopt;
    step = tokenizer.feed_line(rest.line);
  }
  const auto& args = tokenizer.command().args;
  if (step.kind != CommandTokenizer::Step::Kind::complete || args.size() != 1 || args[0].kind != Argument::Kind::string)
    co_return std::string("!");  // not base64: the exchange ends as malformed
  co_return args[0].text;
}

net::awaitable<Reply> Session::cmd_authenticate(Command& cmd) {
  if (!arguments_are(cmd, "s?")) co_return syntax_error(cmd);
  std::optional<std::string> initial;
  if (cmd.args.size() == 2) initial = cmd.args[1].text.empty() ? "=" : cmd.args[1].text;
  session::SaslFraming framing;
  Session* self = this;
  framing.send_challenge = [self](const std::string& c) { return sasl_send(self, c); };
  framing.read_response = [self]() { return sasl_read(self); };
  framing.final_data_in_success = true;  // RFC 5804 2.1: OK (SASL "...")
  framing.admins_may_act_for_users = true;  // the seed's admins managed users' scripts
  std::string mechanism = to_upper(cmd.args[0].text);
  auto o = co_await session::run_sasl(s_, conn_, mechanism, initial, directory::kSieve, framing);
  using S = session::SaslOutcome;
  switch (o.status) {
    case S::Ok: break;
    case S::Failed: co_return Reply::no("Authentication failed");
    case S::Cancelled: co_return Reply::no("Authentication cancelled");
    case S::Malformed: co_return Reply::no("Invalid base64 in the SASL exchange");
    case S::BadMechanism:
      if (!session::plaintext_auth_allowed(s_, conn_)) co_return Reply::no("Use STARTTLS first", "ENCRYPT-NEEDED");
      co_return Reply::no("Unsupported authentication mechanism");
    case S::Unavailable: co_return Reply::no("Authentication is temporarily unavailable", "TRYLATER");
    case S::Disconnected: closing_ = true; co_return Reply{"", "", ""};
  }
  account_ = o.account;
  conn_.set_timeout(kSessionTimeout);
  log::info("managesieve.login", {{"conn", conn_.id()}, {"user", account_->address}});
  if (o.final_data) co_return Reply::ok("Logged in", "SASL " + encode_string(*o.final_data));
  co_return Reply::ok("Logged in");
}

// ---- after login --------------------------------------------------------------------------------

net::awaitable<Reply> Session::cmd_unauthenticate(Command& cmd) {
  if (!cmd.args.empty()) co_return syntax_error(cmd);
  account_.reset();
  conn_.set_timeout(std::chrono::seconds(s_.config.limits.login_timeout_seconds));
  co_return Reply::ok("Unauthenticate completed");
}

net::awaitable<Reply> Session::cmd_havespace(Command& cmd) {
  if (!arguments_are(cmd, "sn")) co_return syntax_error(cmd);
  auto& scripts = *s_.sieve_scripts;
  auto r = co_await offload([&] { return scripts.have_space(account_id(), cmd.args[0].text, cmd.args[1].number); });
  co_return reply_for(r, "Putscript would succeed");
}

net::awaitable<Reply> Session::cmd_putscript(Command& cmd) {
  if (!arguments_are(cmd, "ss")) co_return syntax_error(cmd);
  auto& scripts = *s_.sieve_scripts;
  auto r = co_await offload([&] { return scripts.put(account_id(), cmd.args[0].text, cmd.args[1].text); });
  if (r.ok()) log::info("managesieve.put", {{"conn", conn_.id()}, {"user", account_->address}, {"script", cmd.args[0].text}});
  co_return reply_for(r, "Putscript completed");
}

net::awaitable<Reply> Session::cmd_checkscript(Command& cmd) {
  if (!arguments_are(cmd, "s")) co_return syntax_error(cmd);
  auto& scripts = *s_.sieve_scripts;
  auto r = co_await offload([&] { return scripts.check(cmd.args[0].text); });
  co_return reply_for(r, "Script is valid");
}

net::awaitable<Reply> Session::cmd_listscripts(Command& cmd) {
  if (!cmd.args.empty()) co_return syntax_error(cmd);
  auto& scripts = *s_.sieve_scripts;
  auto list = co_await offload([&] { return scripts.list(account_id()); });
  for (const auto& script : list) out_ += encode_string(script.name) + (script.active ? " ACTIVE\r\n" : "\r\n");
  co_return Reply::ok("Listscripts completed");
}

net::awaitable<Reply> Session::cmd_setactive(Command& cmd) {
  if (!arguments_are(cmd, "s")) co_return syntax_error(cmd);
  auto& scripts = *s_.sieve_scripts;
  auto r = co_await offload([&] { return scripts.activate(account_id(), cmd.args[0].text); });
  co_return reply_for(r, cmd.args[0].text.empty() ? "No script is active now" : "Setactive completed");
}

net::awaitable<Reply> Session::cmd_getscript(Command& cmd) {
  if (!arguments_are(cmd, "s")) co_return syntax_error(cmd);
  auto& scripts = *s_.sieve_scripts;
  auto script = co_await offload([&] { return scripts.get(account_id(), cmd.args[0].text); });
  if (!script) co_return Reply::no("There is no script \"" + cmd.args[0].text + "\"", "NONEXISTENT");
  // RFC 5804 2.9: the script as a string (a literal when it has line breaks), then OK.
  out_ += encode_string(script->content) + "\r\n";
  co_return Reply::ok("Getscript completed");
}

net::awaitable<Reply> Session::cmd_deletescript(Command& cmd) {
  if (!arguments_are(cmd, "s")) co_return syntax_error(cmd);
  auto& scripts = *s_.sieve_scripts;
  auto r = co_await offload([&] { return scripts.remove(account_id(), cmd.args[0].text); });
  co_return reply_for(r, "Deletescript completed");
}

net::awaitable<Reply> Session::cmd_renamescript(Command& cmd) {
  if (!arguments_are(cmd, "ss")) co_return syntax_error(cmd);
  auto& scripts = *s_.sieve_scripts;
  auto r = co_await offload([&] { return scripts.rename(account_id(), cmd.args[0].text, cmd.args[1].text); });
  co_return reply_for(r, "Renamescript completed");
}

}  // namespace

net::awaitable<void> serve_session(session::Services& services, net::Connection& conn) {
  if (!services.sieve_scripts) {
    co_await conn.write("BYE \"kurier: Sieve scripts are not available\"\r\n");
    co_return;
  }
  Session session(services, conn);
  co_await session.run();
}

}  // namespace kurier::managesieve
