// Message submission policy (RFC 6409) for an authenticated client:
//  - SenderIdentity: the addresses an account may send as — its primary address, its login
//    (rewritten to the primary address: "sender canonical", CHECKLIST Submission), and every
//    alias source whose targets reach the account. Used for MAIL FROM and for From:.
//  - rewrite_login_sender(): "MAIL FROM:<pfx0001>" (a prefix-scheme login, no domain) becomes
//    "MAIL FROM:<primary>" before the command is parsed.
//  - SubmissionHeaderFilter: holds the header section of the message as it streams (bounded),
//    checks From:, rewrites a login-name From: to the primary address, and adds Date and
//    Message-ID when missing (RFC 6409 8.2, 8.3); the body passes through untouched.
#pragma once
#include <chrono>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "directory/directory.h"
#include "smtp_protocol/reply.h"

namespace kurier::smtp {

struct SenderIdentity {
  std::string login;                // as the account logs in
  std::string primary;              // the account's primary address
  std::string display_name;
  std::set<std::string> addresses;  // lower-cased addresses the account may use, primary included

  // The address to use when the client names `address` as sender: itself when allowed, the
  // primary address for the login name, nullopt when the account may not use it.
  std::optional<std::string> canonical(std::string_view address) const;
};

// Blocking (directory reads): run through Runtime::offload. Alias chains are followed backwards
// (a -> b -> account lets the account use a and b) to a bounded depth; catch-alls ("@domain")
// grant nothing.
SenderIdentity load_sender_identity(directory::Directory& directory, const directory::Account& account);

// "MAIL FROM:<login> ..." -> "MAIL FROM:<primary> ..." when the path is exactly the login name
// without a domain; any other line comes back unchanged.
std::string rewrite_login_sender(std::string_view line, const SenderIdentity& identity);

class SubmissionHeaderFilter {
 public:
  static constexpr size_t kMaxHeaderBytes = 256 * 1024;
  using Out = std::function<void(std::string_view)>;

  SubmissionHeaderFilter(const SenderIdentity& identity, std::string hostname, std::chrono::system_clock::time_point now,
                         int utc_offset_minutes);
  // Message bytes (CRLF line ends, transparency already decoded).
  void write(std::string_view bytes, const Out& out);
  // The message ended: a header section without an empty line is released now.
  void finish(const Out& out);
  // Set when the message must be refused (From: not allowed, header section too large); from
  // then on nothing more is written.
  const std::optional<Reply>& refusal() const { return refusal_; }

 private:
  void release(size_t header_end, const Out& out);
  std::string fixed_header(std::string_view header);

  const SenderIdentity& identity_;
  std::string hostname_;
  std::chrono::system_clock::time_point now_;
  int utc_offset_minutes_;
  std::string header_;     // the header section so far
  size_t searched_ = 0;    // header_ before this offset holds no end of header
  bool released_ = false;
  std::optional<Reply> refusal_;
};

}  // namespace kurier::smtp
