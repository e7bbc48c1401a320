#include "net/asio.h"  // first: Boost.Asio configuration

#include "queue/smtp_client.h"

#include "common/log.h"
#include "common/strings.h"
#include "net/connection.h"
#include "net/line_reader.h"
#include "smtp_protocol/data.h"
#include "smtp_protocol/reply.h"

namespace kurier::queue {
namespace {

constexpr size_t kWriteChunk = 64 * 1024;
using Kind = RecipientResult::Kind;

struct Reply {
  bool ok = false;       // a reply was read
  smtp::ParsedReply reply;
  std::string error;     // when !ok
};

net::awaitable<Reply> read_reply(net::LineReader& reader) {
  smtp::ReplyParser parser;
  for (;;) {
    net::LineResult line = co_await reader.read_line(smtp::ReplyParser::kMaxLineLength);
    if (!line.ok()) {
      co_return Reply{false, {}, std::string("lost connection (") + net::to_string(line.status) + ")"};
    }
    auto status = parser.feed_line(line.line);
    if (status == smtp::ReplyParser::Status::Complete) co_return Reply{true, parser.take(), ""};
    if (status == smtp::ReplyParser::Status::Malformed) co_return Reply{false, {}, "malformed reply: " + parser.error()};
  }
}

std::string one_line(const smtp::ParsedReply& r) {
  std::string text = std::to_string(r.code);
  if (!r.enhanced.empty()) text += " " + r.enhanced;
  for (const auto& l : r.lines) text += " " + l;
  for (auto& c : text)
    if (static_cast<unsigned char>(c) < 0x20) c = ' ';
  return text;
}

// The result a reply gives the recipients it concerns.
RecipientResult result_of(const smtp::ParsedReply& r, const Target& target, std::string_view command) {
  RecipientResult res;
  res.kind = r.positive() ? Kind::delivered : r.permanent_failure() ? Kind::permanent : Kind::temporary;
  res.status = !r.enhanced.empty() ? r.enhanced : r.positive() ? "2.0.0" : r.permanent_failure() ? "5.0.0" : "4.0.0";
  res.diagnostic = "smtp; " + one_line(r);
  res.detail = "host " + target.display() + " said: " + one_line(r) + " (in reply to " + std::string(command) + " command)";
  return res;
}

bool is_8bit_param_ok(const Extensions& ext) { return ext.eight_bit_mime; }

std::string mail_command(const ClientMessage& m, const Extensions& ext) {
  std::string cmd = "MAIL FROM:<" + m.sender + ">";
  if (ext.size) cmd += " SIZE=" + std::to_string(m.size);
  if (m.eight_bit && is_8bit_param_ok(ext)) cmd += " BODY=8BITMIME";
  if (m.smtputf8 && ext.smtputf8) cmd += " SMTPUTF8";
  if (ext.dsn) {
    if (m.ret != Ret::unspecified) cmd += std::string(" RET=") + to_string(m.ret);
    if (!m.envid.empty()) cmd += " ENVID=" + m.envid;
  }
  return cmd + "\r\n";
}

std::string rcpt_command(const ClientRecipient& r, const Extensions& ext) {
  std::string cmd = "RCPT TO:<" + r.address + ">";
  if (ext.dsn) {
    if (r.notify) cmd += " NOTIFY=" + notify_text(r.notify);
    if (!r.orcpt.empty()) cmd += " ORCPT=" + r.orcpt;
  }
  return cmd + "\r\n";
}

class Session {
 public:
  Session(net::Connection& conn, const ClientSettings& s, const Target& t, const ClientMessage& m,
          const std::vector<ClientRecipient>& r, const BodyOpener& body)
      : conn_(conn), reader_(conn), settings_(s), target_(t), message_(m), recipients_(r), body_(body) {
    outcome_.results.resize(r.size());
  }

  net::awaitable<SessionOutcome> run() {
    conn_.set_timeout(settings_.timeout);
    bool usable = co_await open();
    if (usable) {
      for (size_t first = 0; first < recipients_.size(); first += settings_.max_recipients_per_transaction) {
        size_t last = std::min(recipients_.size(), first + settings_.max_recipients_per_transaction);
        if (!co_await transaction(first, last)) break;
      }
    }
    if (alive_ && conn_.is_open()) {
      bool sent = co_await conn_.write("QUIT\r\n");
      if (sent) co_await read_reply(reader_);
    }
    conn_.close();
    co_return std::move(outcome_);
  }

 private:
  // Greeting, EHLO, STARTTLS. False when this host cannot be used; host_error says why.
  net::awaitable<bool> open() {
    Reply greeting = co_await read_reply(reader_);
    if (!greeting.ok) co_return fail_host("no greeting from " + target_.display() + ": " + greeting.error);
    if (greeting.reply.code != 220)
      co_return fail_host("host " + target_.display() + " refused to talk to me: " + one_line(greeting.reply));
    if (!co_await hello()) co_return false;
    if (ext_.starttls && settings_.use_starttls && conn_.tls_available()) {
      if (!co_await starttls()) co_return false;
    }
    if (settings_.require_tls && !conn_.is_tls())
      co_return fail_host("TLS is required, but was not offered by host " + target_.display(), true);
    if (message_.smtputf8 && !ext_.smtputf8) {
      // RFC 6531 3.4: without SMTPUTF8 at the server the message cannot be relayed.
      settle_all(Kind::permanent, "5.6.7", "X-Kurier; SMTPUTF8 is required, but was not offered by host " + target_.display());
      co_return false;
    }
    if (ext_.size_limit && message_.size > ext_.size_limit) {
      settle_all(Kind::permanent, "5.3.4",
                 "X-Kurier; message size " + std::to_string(message_.size) + " exceeds the limit of " +
                     std::to_string(ext_.size_limit) + " bytes of host " + target_.display());
      co_return false;
    }
    co_return true;
  }

  net::awaitable<bool> hello() {
    // Named, not a temporary: g++ 12 mishandles std::string temporaries inside co_await.
    const std::string ehlo_cmd = "EHLO " + settings_.helo_name + "\r\n";
    if (!co_await send(ehlo_cmd)) co_return false;
    Reply ehlo = co_await read_reply(reader_);
    if (!ehlo.ok) co_return fail_host("lost connection with " + target_.display() + " after EHLO: " + ehlo.error);
    if (ehlo.reply.code == 250) {
      ext_ = parse_ehlo(ehlo.reply.lines);
      co_return true;
    }
    const std::string helo_cmd = "HELO " + settings_.helo_name + "\r\n";
    if (!co_await send(helo_cmd)) co_return false;
    Reply helo = co_await read_reply(reader_);
    if (!helo.ok || helo.reply.code != 250)
      co_return fail_host("host " + target_.display() + " refused HELO: " + (helo.ok ? one_line(helo.reply) : helo.error));
    ext_ = Extensions{};
    co_return true;
  }

  net::awaitable<bool> starttls() {
    if (!co_await send("STARTTLS\r\n")) co_return false;
    Reply r = co_await read_reply(reader_);
    if (!r.ok) co_return fail_host("lost connection with " + target_.display() + " after STARTTLS: " + r.error);
    if (r.reply.code != 220) {
      outcome_.tls_failed = true;
      co_return true;  // carry on in plaintext (require_tls is checked by the caller)
    }
    reader_.discard_buffered();  // RFC 3207 5: nothing sent before the handshake counts
    // The handshake never authenticates the peer (RFC 7435 opportunistic TLS); when the policy
    // asks, the chain is checked right after it, before EHLO, so nothing is sent to an
    // impostor and the failure says why.
    if (!co_await conn_.start_tls_client(target_.host, false)) {
      outcome_.tls_failed = true;
      co_return fail_host("TLS handshake with " + target_.display() + " failed");
    }
    outcome_.tls = "unverified";
    if (!check_certificate()) co_return false;
    bool greeted = co_await hello();  // RFC 3207 4.2: EHLO again; the extensions may differ
    co_return greeted;
  }

  // False when the policy requires a verified certificate and this one is not.
  bool check_certificate() {
    if (!settings_.check_peer) return true;
    PeerCheck check = settings_.check_peer(conn_.peer_certificate_chain());
    outcome_.tls_detail = check.detail;
    if (check.verified) {
      outcome_.tls = "verified";
      return true;
    }
    if (!settings_.require_verified) return true;
    outcome_.tls = "failed";
    return fail_host("TLS certificate of " + target_.display() + " not accepted: " + check.detail, true);
  }

  // One MAIL/RCPT.../DATA transaction for recipients [first, last). False when the connection
  // cannot be used for another transaction.
  net::awaitable<bool> transaction(size_t first, size_t last) {
    std::vector<std::string> commands{mail_command(message_, ext_)};
    for (size_t i = first; i < last; ++i) commands.push_back(rcpt_command(recipients_[i], ext_));
    commands.push_back("DATA\r\n");

    std::vector<Reply> replies;
    if (ext_.pipelining) {
      std::string batch;
      for (const auto& c : commands) batch += c;
      if (!co_await send(batch)) co_return false;
      for (size_t i = 0; i < commands.size(); ++i) {
        replies.push_back(co_await read_reply(reader_));
        if (!replies.back().ok) co_return lost(first, last, replies.back().error);
      }
    } else {
      for (size_t i = 0; i < commands.size(); ++i) {
        bool is_data = i + 1 == commands.size();
        bool mail_failed = !replies.empty() && !replies[0].reply.positive();
        if (is_data && (mail_failed || !any_accepted(replies))) break;  // no DATA without a recipient
        if (i > 0 && mail_failed) break;
        if (!co_await send(commands[i])) co_return false;
        replies.push_back(co_await read_reply(reader_));
        if (!replies.back().ok) co_return lost(first, last, replies.back().error);
      }
    }

    const smtp::ParsedReply& mail = replies[0].reply;
    if (!mail.positive()) {
      RecipientResult r = result_of(mail, target_, "MAIL FROM");
      for (size_t i = first; i < last; ++i) outcome_.results[i] = r;
      co_return co_await after_failed_transaction(replies.size() == commands.size() && replies.back().reply.code == 354);
    }
    std::vector<size_t> accepted;
    for (size_t i = first; i < last && 1 + (i - first) < replies.size(); ++i) {
      const auto& rcpt = replies[1 + (i - first)].reply;
      if (rcpt.positive()) {
        accepted.push_back(i);
      } else {
        outcome_.results[i] = result_of(rcpt, target_, "RCPT TO");
      }
    }
    bool data_sent = replies.size() == commands.size();
    if (accepted.empty()) co_return co_await after_failed_transaction(data_sent && replies.back().reply.code == 354);
    if (!data_sent) {  // not pipelined: DATA now
      if (!co_await send("DATA\r\n")) co_return false;
      replies.push_back(co_await read_reply(reader_));
      if (!replies.back().ok) co_return lost(accepted, replies.back().error);
    }
    const smtp::ParsedReply& data = replies.back().reply;
    if (data.code != 354) {
      RecipientResult r = result_of(data, target_, "DATA");
      if (r.kind == Kind::delivered) r.kind = Kind::temporary;  // a 2xx to DATA is a protocol error
      for (size_t i : accepted) outcome_.results[i] = r;
      co_return co_await after_failed_transaction(false);
    }
    if (!co_await send_body()) co_return lost(accepted, "lost connection with " + target_.display() + " while sending message content");
    Reply final_reply = co_await read_reply(reader_);
    if (!final_reply.ok) co_return lost(accepted, "lost connection with " + target_.display() + " after end of data: " + final_reply.error);
    RecipientResult r = result_of(final_reply.reply, target_, "end of DATA");
    r.remote_dsn = ext_.dsn;
    for (size_t i : accepted) outcome_.results[i] = r;
    co_return true;
  }

  static bool any_accepted(const std::vector<Reply>& replies) {
    for (size_t i = 1; i < replies.size(); ++i)
      if (replies[i].reply.positive()) return true;
    return false;
  }

  // RSET so the connection can carry the next transaction (RFC 5321 4.1.1.5). A server that
  // answered a pipelined DATA with 354 although no recipient was accepted (RFC 2920 3.1 says it
  // must not) gets an empty message body, which it cannot deliver to anyone.
  net::awaitable<bool> after_failed_transaction(bool data_started) {
    if (data_started) {
      if (!co_await send(".\r\n")) co_return false;
      co_await read_reply(reader_);
    }
    if (!co_await send("RSET\r\n")) co_return false;
    Reply r = co_await read_reply(reader_);
    if (!r.ok || !r.reply.positive()) {
      alive_ = false;
      co_return false;
    }
    co_return true;
  }

  net::awaitable<bool> send_body() {
    std::string out;
    smtp::DotStuffer stuffer([&out](std::string_view s) { out.append(s); });
    auto reader = body_();
    for (;;) {
      std::string_view chunk = co_await reader->next();
      if (chunk.empty()) break;
      stuffer.feed(chunk);
      if (out.size() >= kWriteChunk) {
        if (!co_await send(out)) co_return false;
        out.clear();
      }
    }
    stuffer.finish();
    co_return co_await send(out);
  }

  net::awaitable<bool> send(std::string_view data) {
    bool ok = co_await conn_.write(data);
    if (!ok) alive_ = false;
    co_return ok;
  }

  bool fail_host(std::string why, bool tls = false) {
    outcome_.host_error = std::move(why);
    if (tls) outcome_.tls_failed = true;
    alive_ = alive_ && conn_.is_open();
    return false;
  }

  bool lost(size_t first, size_t last, const std::string& why) {
    alive_ = false;
    outcome_.host_error = why.find(target_.host) == std::string::npos ? why + " (" + target_.display() + ")" : why;
    (void)first;
    (void)last;  // those recipients stay unsettled: the next host may take them
    return false;
  }

  bool lost(const std::vector<size_t>& accepted, const std::string& why) {
    // The server may or may not have the message: RFC 5321 6.1 prefers a possible duplicate
    // to a loss, so these are retried later (temporary), never sent to the next host now.
    alive_ = false;
    outcome_.host_error = why;
    RecipientResult r;
    r.kind = Kind::temporary;
    r.status = "4.4.2";
    r.diagnostic = "X-Kurier; " + why;
    r.detail = why;
    for (size_t i : accepted) outcome_.results[i] = r;
    return false;
  }

  void settle_all(Kind kind, const std::string& status, const std::string& diagnostic) {
    for (auto& r : outcome_.results)
      if (!r) r = RecipientResult{kind, status, diagnostic, diagnostic.substr(diagnostic.find(';') + 2), false};
  }

  net::Connection& conn_;
  net::LineReader reader_;
  const ClientSettings& settings_;
  const Target& target_;
  const ClientMessage& message_;
  const std::vector<ClientRecipient>& recipients_;
  const BodyOpener& body_;
  Extensions ext_;
  SessionOutcome outcome_;
  bool alive_ = true;
};

}  // namespace

Extensions parse_ehlo(const std::vector<std::string>& lines) {
  Extensions e;
  e.esmtp = true;
  for (size_t i = 1; i < lines.size(); ++i) {
    auto words = split(trim(lines[i]), ' ');
    if (words.empty()) continue;
    std::string key = to_upper(words[0]);
    if (key == "STARTTLS") e.starttls = true;
    else if (key == "PIPELINING") e.pipelining = true;
    else if (key == "8BITMIME") e.eight_bit_mime = true;
    else if (key == "DSN") e.dsn = true;
    else if (key == "SMTPUTF8") e.smtputf8 = true;
    else if (key == "SIZE") {
      e.size = true;
      if (words.size() > 1) e.size_limit = parse_uint(words[1]).value_or(0);
    }
  }
  return e;
}

net::awaitable<SessionOutcome> run_client_session(net::Connection& conn, const ClientSettings& settings,
                                                   const Target& target, const ClientMessage& message,
                                                   const std::vector<ClientRecipient>& recipients,
                                                   const BodyOpener& body) {
  Session session(conn, settings, target, message, recipients, body);
  co_return co_await session.run();
}

}  // namespace kurier::queue
