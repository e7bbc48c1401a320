#include "pop3/maildrop.h"

namespace kurier::pop3 {

Maildrop::Maildrop(uint32_t uidvalidity, std::vector<MaildropMessage> messages)
    : uidvalidity_(uidvalidity), messages_(std::move(messages)) {}

Maildrop::Found Maildrop::find(uint64_t number) {
  if (number == 0 || number > messages_.size()) return {Lookup::no_such_message, nullptr};
  MaildropMessage& m = messages_[number - 1];
  if (m.deleted) return {Lookup::deleted, nullptr};
  return {Lookup::ok, &m};
}

Maildrop::Lookup Maildrop::mark_deleted(uint64_t number) {
  Found f = find(number);
  if (f.status == Lookup::ok) f.message->deleted = true;
  return f.status;
}

void Maildrop::unmark_all() {
  for (auto& m : messages_) m.deleted = false;
}

uint32_t Maildrop::visible_count() const {
  uint32_t n = 0;
  for (const auto& m : messages_) n += m.deleted ? 0 : 1;
  return n;
}

uint64_t Maildrop::visible_octets() const {
  uint64_t n = 0;
  for (const auto& m : messages_) n += m.deleted ? 0 : m.size;
  return n;
}

std::vector<store::Uid> Maildrop::deleted_uids() const {
  std::vector<store::Uid> out;
  for (const auto& m : messages_)
    if (m.deleted) out.push_back(m.uid);  // the snapshot is in UID order
  return out;
}

}  // namespace kurier::pop3
