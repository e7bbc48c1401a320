// The vacation decision (RFC 5230 4.5-4.6, RFC 3834 2 and 5): whether an automatic reply may
// go to this message's sender at all, and whether one already went within the period. Pure:
// the header is read through a callback and the reply memory is given as the last reply time.
#pragma once
#include <cstdint>
#include <ctime>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sieve/sieve.h"

namespace kurier::sieve {

struct VacationCheck {
  std::string sender;                   // the envelope sender (reverse-path), "" for <>
  std::vector<std::string> recipients;  // the user's addresses (envelope to, aliases, :addresses)
  // Unfolded values of every header field called name.
  std::function<std::vector<std::string>(std::string_view name)> header;
  std::optional<std::time_t> last_reply;  // last reply to this sender with this handle
  std::time_t now = 0;
  uint64_t period_seconds = 0;            // 0: reply every time (RFC 6131 2)
};

struct VacationDecision {
  bool send = false;
  std::string why_not;  // set when send is false
};

VacationDecision decide_vacation(const VacationCheck& check);

// What the reply needs beyond the action: the user's address (the default From), and the
// Date and Message-ID fields' values for the new message.
struct VacationReplyFields {
  std::string user_address;
  std::string date;        // RFC 5322 date-time
  std::string message_id;  // "<id@host>"
};

// The reply message of RFC 5230 5 / RFC 3834 3 for a Vacation action with send set:
// From (:from or the user), To (the sender), Subject, Date, Message-ID, In-Reply-To,
// References, Auto-Submitted: auto-replied, then the reason as a UTF-8 text/plain body, or as
// the MIME entity it is with :mime. CRLF line endings throughout.
std::string compose_vacation_reply(const Vacation& v, const VacationReplyFields& fields);

}  // namespace kurier::sieve
