// The maildrop of one POP3 session (RFC 1939 5): the INBOX as it was at login, numbered 1..n,
// with the DELE marks. Numbers never change during the session ("message numbers ... of
// messages marked as deleted are not re-used"), and a marked message is invisible to STAT,
// LIST, UIDL, RETR and TOP until RSET unmarks it or QUIT (the UPDATE state) expunges it.
// Pure: the session builds it from a store snapshot and expunges the marked UIDs itself.
#pragma once
#include <cstdint>
#include <vector>

#include "store/types.h"

namespace kurier::pop3 {

struct MaildropMessage {
  store::Uid uid = 0;
  uint64_t size = 0;   // octets as sent (RFC 1939 5 LIST: "the exact size of the message")
  store::BlobId blob;
  bool seen = false;   // \Seen at login or set by this session's RETR
  bool deleted = false;
};

class Maildrop {
 public:
  Maildrop() = default;
  Maildrop(uint32_t uidvalidity, std::vector<MaildropMessage> messages);

  enum class Lookup { ok, no_such_message, deleted };
  struct Found {
    Lookup status = Lookup::no_such_message;
    MaildropMessage* message = nullptr;  // when ok
  };
  // Message `number` (1-based) if it exists and is not marked deleted.
  Found find(uint64_t number);

  // DELE: marks message `number`; ok, or why it cannot be marked.
  Lookup mark_deleted(uint64_t number);
  void unmark_all();  // RSET

  uint32_t uidvalidity() const { return uidvalidity_; }
  uint32_t total() const { return uint32_t(messages_.size()); }  // highest message number
  uint32_t visible_count() const;   // not marked deleted (STAT, LIST)
  uint64_t visible_octets() const;
  const std::vector<MaildropMessage>& messages() const { return messages_; }  // number - 1 = index
  std::vector<store::Uid> deleted_uids() const;  // ascending

 private:
  uint32_t uidvalidity_ = 0;
  std::vector<MaildropMessage> messages_;
};

}  // namespace kurier::pop3
