#include "queue/envelope.h"

#include "common/strings.h"

namespace kurier::queue {

const char* to_string(MessageState s) {
  switch (s) {
    case MessageState::queued: return "queued";
    case MessageState::delivering: return "delivering";
    case MessageState::deferred: return "deferred";
    case MessageState::bounced: return "bounced";
    case MessageState::expired: return "expired";
    case MessageState::delivered: return "delivered";
  }
  return "queued";
}

const char* to_string(RecipientState s) {
  switch (s) {
    case RecipientState::pending: return "pending";
    case RecipientState::delivered: return "delivered";
    case RecipientState::failed: return "failed";
  }
  return "pending";
}

std::optional<MessageState> parse_message_state(std::string_view s) {
  for (auto st : {MessageState::queued, MessageState::delivering, MessageState::deferred, MessageState::bounced,
                  MessageState::expired, MessageState::delivered})
    if (s == to_string(st)) return st;
  return std::nullopt;
}

std::optional<RecipientState> parse_recipient_state(std::string_view s) {
  for (auto st : {RecipientState::pending, RecipientState::delivered, RecipientState::failed})
    if (s == to_string(st)) return st;
  return std::nullopt;
}

std::optional<unsigned> parse_notify(std::string_view text) {
  unsigned bits = 0;
  for (auto word : split(text, ',')) {
    if (iequals(word, "NEVER")) bits |= kNotifyNever;
    else if (iequals(word, "SUCCESS")) bits |= kNotifySuccess;
    else if (iequals(word, "FAILURE")) bits |= kNotifyFailure;
    else if (iequals(word, "DELAY")) bits |= kNotifyDelay;
    else return std::nullopt;
  }
  if ((bits & kNotifyNever) && bits != kNotifyNever) return std::nullopt;  // RFC 3461 4.1
  return bits;
}

std::string notify_text(unsigned notify) {
  if (notify & kNotifyNever) return "NEVER";
  std::vector<std::string> words;
  if (notify & kNotifySuccess) words.push_back("SUCCESS");
  if (notify & kNotifyFailure) words.push_back("FAILURE");
  if (notify & kNotifyDelay) words.push_back("DELAY");
  return join(words, ",");
}

bool wants_failure_notice(unsigned n) { return n == 0 || (n & kNotifyFailure); }
bool wants_delay_notice(unsigned n) { return n == 0 || (n & kNotifyDelay); }
bool wants_success_notice(unsigned n) { return (n & kNotifySuccess) != 0; }

const char* to_string(Ret r) {
  switch (r) {
    case Ret::unspecified: return "";
    case Ret::full: return "FULL";
    case Ret::headers: return "HDRS";
  }
  return "";
}

std::optional<Ret> parse_ret(std::string_view text) {
  if (text.empty()) return Ret::unspecified;
  if (iequals(text, "FULL")) return Ret::full;
  if (iequals(text, "HDRS")) return Ret::headers;
  return std::nullopt;
}

size_t Envelope::pending_count() const {
  size_t n = 0;
  for (const auto& r : recipients)
    if (r.state == RecipientState::pending) ++n;
  return n;
}

}  // namespace kurier::queue
