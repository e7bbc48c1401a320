// The vacation decision; see vacation.h. Each rule names the RFC text behind it.
#include "sieve/vacation.h"

#include "common/strings.h"
#include "mime/envelope.h"
#include "sieve/syntax.h"

namespace kurier::sieve {
namespace {

VacationDecision no(std::string why) { return VacationDecision{false, std::move(why)}; }

std::string_view local_part(std::string_view address) {
  size_t at = address.rfind('@');
  return at == std::string_view::npos ? address : address.substr(0, at);
}

bool same_address(std::string_view a, std::string_view b) { return iequals(trim(a), trim(b)); }

// RFC 5230 4.6 / RFC 3834 2: never answer daemons and list software.
std::optional<std::string> automated_sender(std::string_view sender) {
  std::string lp = to_lower(local_part(sender));
  if (lp == "mailer-daemon" || lp == "listserv" || lp == "majordomo")
    return "sender " + std::string(sender) + " is a system address";
  if (lp.rfind("owner-", 0) == 0 || (lp.size() > 8 && lp.compare(lp.size() - 8, 8, "-request") == 0))
    return "sender " + std::string(sender) + " is a mailing list address";
  return std::nullopt;
}

std::optional<std::string> automated_message(const VacationCheck& c) {
  // RFC 3834 5: Auto-Submitted with any value other than "no" marks automatic mail.
  for (const std::string& v : c.header("Auto-Submitted")) {
    std::string_view keyword = trim(std::string_view(v).substr(0, v.find(';')));
    if (!iequals(keyword, "no")) return "message is Auto-Submitted: " + std::string(keyword);
  }
  // RFC 3834 2: Precedence bulk/list/junk (a de-facto convention it tells to honour).
  for (const std::string& v : c.header("Precedence")) {
    std::string_view p = trim(v);
    if (iequals(p, "bulk") || iequals(p, "list") || iequals(p, "junk")) return "message has Precedence: " + std::string(p);
  }
  // RFC 5230 4.6 / RFC 3834 2: mail from mailing lists (RFC 2369, RFC 2919 fields).
  static constexpr std::string_view list_fields[] = {"List-Id", "List-Help", "List-Subscribe", "List-Unsubscribe",
                                                     "List-Post", "List-Owner", "List-Archive"};
  for (std::string_view f : list_fields)
    if (!c.header(f).empty()) return "sender is a mailing list (" + std::string(f) + ")";
  // Microsoft's convention for "no out-of-office replies please".
  for (const std::string& v : c.header("X-Auto-Response-Suppress")) {
    std::string lower = to_lower(v);
    if (lower.find("oof") != std::string::npos || lower.find("all") != std::string::npos)
      return "message asks for no automatic replies (X-Auto-Response-Suppress)";
  }
  return std::nullopt;
}

// RFC 5230 4.5: reply only when one of the user's addresses is in a recipient field, so
// Bcc'd copies of list traffic and the like get no answer.
bool addressed_to_user(const VacationCheck& c) {
  static constexpr std::string_view fields[] = {"To", "Cc", "Bcc", "Resent-To", "Resent-Cc", "Resent-Bcc"};
  for (std::string_view f : fields) {
    for (const std::string& v : c.header(f)) {
      for (const mime::Address& a : mime::parse_address_list(v)) {
        if (!a.mailbox || !a.host) continue;
        std::string addr = *a.mailbox + "@" + *a.host;
        for (const std::string& mine : c.recipients)
          if (same_address(addr, mine)) return true;
      }
    }
  }
  return false;
}

}  // namespace

VacationDecision decide_vacation(const VacationCheck& c) {
  // RFC 5230 4.6: the reply goes to the return path; none, none to reply to.
  if (trim(c.sender).empty()) return no("null envelope sender");
  if (auto why = automated_sender(c.sender)) return no(*why);
  for (const std::string& mine : c.recipients)
    if (same_address(c.sender, mine)) return no("message is from the user");
  if (auto why = automated_message(c)) return no(*why);
  if (!addressed_to_user(c)) return no("none of the user's addresses is in To, Cc or Bcc");
  // RFC 5230 4.2: one reply per sender (and handle) per period.
  if (c.period_seconds > 0 && c.last_reply && c.now >= *c.last_reply &&
      uint64_t(c.now - *c.last_reply) < c.period_seconds)
    return no("already replied to " + c.sender + " within the period");
  return VacationDecision{true, {}};
}

}  // namespace kurier::sieve

namespace kurier::sieve {
namespace {

// Bare LFs become CRLF; the text ends with a line break.
std::string crlf_lines(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\n' && (i == 0 || text[i - 1] != '\r')) out += '\r';
    out += text[i];
  }
  if (out.size() < 2 || out.compare(out.size() - 2, 2, "\r\n") != 0) out += "\r\n";
  return out;
}

bool is_ascii(std::string_view s) {
  for (unsigned char c : s)
    if (c >= 0x80) return false;
  return true;
}

}  // namespace

std::string compose_vacation_reply(const Vacation& v, const VacationReplyFields& fields) {
  std::string from = v.from.empty() ? fields.user_address : v.from;
  std::string out;
  auto field = [&](std::string_view name, std::string_view value) {
    if (value.empty()) return;
    out.append(name).append(": ").append(value).append("\r\n");
  };
  field("From", encode_header_value(from));
  field("To", "<" + v.to + ">");
  field("Subject", encode_header_value(v.subject));
  field("Date", fields.date);
  field("Message-ID", fields.message_id);
  field("In-Reply-To", v.in_reply_to);
  field("References", v.references);
  field("Auto-Submitted", "auto-replied");  // RFC 3834 5.1, RFC 5230 5.7
  field("MIME-Version", "1.0");
  if (v.mime) {
    out += crlf_lines(v.reason);  // the entity's own header, blank line and body
    return out;
  }
  field("Content-Type", "text/plain; charset=utf-8");
  field("Content-Transfer-Encoding", is_ascii(v.reason) ? "7bit" : "8bit");
  out += "\r\n";
  out += crlf_lines(v.reason);
  return out;
}

}  // namespace kurier::sieve
