// The SMTP/LMTP session's state, shared by session.cpp (greeting, command loop, envelope
// commands) and session_data.cpp (DATA, BDAT, delivery and the replies after it).
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "delivery/delivery_service.h"
#include "net/connection.h"
#include "net/line_reader.h"
#include "net/runtime.h"
#include "session/sasl_exchange.h"
#include "session/services.h"
#include "smtp_protocol/command.h"
#include "smtp_protocol/reply.h"
#include "smtp/session.h"
#include "smtp/submission.h"
#include "srs/codec.h"

namespace kurier::smtp {

// One mail transaction (RFC 5321 3.3): from MAIL to the end of DATA / BDAT LAST, or RSET.
struct Transaction {
  bool active = false;  // MAIL was accepted
  std::string sender;   // reverse-path, "" for <>
  MailParams params;
  std::vector<delivery::AcceptedRecipient> recipients;  // with their RFC 3461 NOTIFY/ORCPT
  // Expansions by resolved address, so RCPTs naming one (big) alias share a single copy.
  std::unordered_map<std::string, std::shared_ptr<const delivery::Resolution>> expansions;
  size_t rcpt_commands = 0;                 // RCPT commands seen, accepted or not (limit)
  std::optional<delivery::MessageSink> bdat;  // RFC 3030: the message being received in chunks
  bool bdat_failed = false;                 // a chunk could not be spooled: refuse at LAST
};

class Session {
 public:
  Session(session::Services& services, net::Connection& conn, SessionMode mode);
  net::awaitable<void> run();

  // ---- used by the DATA/BDAT code and the SASL framing ----
  net::awaitable<void> cmd_data();
  net::awaitable<void> cmd_bdat(const Command& cmd);
  net::awaitable<bool> send_sasl_challenge(const std::string& challenge_b64);
  net::awaitable<std::optional<std::string>> read_sasl_response();

 private:
  enum class Next { proceed, close };

  net::awaitable<Next> execute(const Command& cmd);
  net::awaitable<void> cmd_greeting(const Command& cmd);
  net::awaitable<void> cmd_mail(const Command& cmd);
  net::awaitable<void> cmd_rcpt(const Command& cmd);
  net::awaitable<void> cmd_starttls();
  net::awaitable<void> cmd_auth(const Command& cmd);
  net::awaitable<void> finish_auth(const session::SaslOutcome& outcome);
  bool sender_allowed(const std::string& sender);
  // RCPT for a domain not hosted here (or a relay domain): the relay policy's answer, nullopt = accept.
  std::optional<Reply> relay_refusal(const std::string& address, bool relay_domain) const;
  bool relay_allowed() const;
  std::optional<srs::ReverseResult> reverse_srs(const std::string& address) const;
  void cmd_rset();
  void cmd_vrfy();
  void cmd_help();

  // DATA/BDAT helpers (session_data.cpp)
  std::optional<Reply> data_precondition() const;
  delivery::MessageEnvelope envelope() const;
  net::awaitable<void> finish_message(std::optional<delivery::MessageSink>& sink, std::optional<Reply> refusal);
  void reply_after_data(const std::vector<delivery::RecipientStatus>& statuses);
  net::awaitable<bool> discard_bytes(uint64_t n);
  // Message bytes into the spool, through the submission header filter in submission mode.
  void begin_spool();
  void spool(delivery::MessageSink& sink, std::string_view bytes);
  std::optional<Reply> end_spool(delivery::MessageSink& sink);

  // Replies are collected and flushed when the client has nothing more pipelined (RFC 2920 3.1),
  // before waiting for message data, and before closing.
  void reply(int code, std::string_view enhanced, std::string_view text);
  void reply(const Reply& r) { reply(r.code, r.enhanced, r.text); }
  net::awaitable<bool> flush();
  // Answers a rejected command, counting it toward limits.max_bad_commands (then 421, close).
  void refuse(int code, std::string_view enhanced, std::string_view text);
  void refuse(const Reply& r) { refuse(r.code, r.enhanced, r.text); }
  void reset_transaction();
  std::string ehlo_keywords() const;
  size_t max_line() const;
  const std::string& hostname() const { return s_.config.hostname; }
  bool utf8_offered() const { return true; }
  template <class F>
  auto offload(F f) {
    return s_.runtime.offload(std::move(f));
  }

  session::Services& s_;
  net::Connection& conn_;
  net::LineReader reader_;
  SessionMode mode_;
  delivery::DeliveryService& delivery_;
  std::string helo_;        // the client's LHLO/EHLO/HELO argument
  bool greeted_ = false;
  bool esmtp_ = true;       // EHLO/LHLO rather than HELO
  bool authenticated_ = false;
  bool trusted_network_ = false;  // the client is in [smtp] trusted_networks: may relay
  std::optional<SenderIdentity> identity_;  // after AUTH in submission mode
  std::optional<SubmissionHeaderFilter> filter_;  // the message being received, submission mode
  Transaction tx_;
  int bad_commands_ = 0;
  bool closing_ = false;    // 421 sent: stop after flushing
  std::string out_;         // pending replies
};

}  // namespace kurier::smtp
