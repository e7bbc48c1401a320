// Errors raised by the mailbox store. Every failure names what went wrong and to what
// (mailbox, uid, blob), so the IMAP/POP3/LMTP layers can map it to a NO/BAD/4xx reply.
#pragma once
#include <stdexcept>
#include <string>

namespace kurier::store {

enum class StoreErrc {
  not_found,         // mailbox, message or blob does not exist
  already_exists,    // CREATE/RENAME target exists
  invalid_name,      // mailbox name malformed (see mailbox_name.h)
  invalid_argument,  // bad flag, keyword, special-use, uid set, size
  not_permitted,     // e.g. DELETE INBOX (RFC 3501 6.3.4), append to a \Noselect mailbox
  limit_exceeded,    // UID space exhausted, blob larger than allowed
  io,                // filesystem error (blob store)
  database,          // SQLite error
  shut_down,         // the store is closing and no longer accepts writes
};

const char* to_string(StoreErrc code);

class StoreError : public std::runtime_error {
 public:
  StoreError(StoreErrc code, const std::string& what) : std::runtime_error(what), code_(code) {}
  StoreErrc code() const { return code_; }

 private:
  StoreErrc code_;
};

}  // namespace kurier::store
