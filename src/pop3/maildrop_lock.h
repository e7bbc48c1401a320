// The exclusive-access lock on an account's maildrop (RFC 1939 4: "the POP3 server then
// acquires an exclusive-access lock on the maildrop, as necessary to prevent messages from
// being modified or removed before the session enters the UPDATE state"). A second POP3 session
// of the same account is refused with -ERR [IN-USE] (RFC 2449 8.1.1). IMAP sessions do not take
// it: they see POP3's changes through the store's ChangeHub like any other session's.
//
// The lock lives in this process only (one `kurier serve` owns the store) and is RAII: it is
// released when the session that holds it ends, however it ends.
#pragma once
#include <cstdint>
#include <optional>

namespace kurier::pop3 {

class MaildropLock {
 public:
  // The lock for `account`, or nullopt while another session holds it. Thread-safe.
  static std::optional<MaildropLock> try_acquire(uint64_t account);

  MaildropLock(MaildropLock&& other) noexcept;
  MaildropLock& operator=(MaildropLock&& other) noexcept;
  MaildropLock(const MaildropLock&) = delete;
  MaildropLock& operator=(const MaildropLock&) = delete;
  ~MaildropLock();

 private:
  explicit MaildropLock(uint64_t account) : account_(account) {}
  void release();
  std::optional<uint64_t> account_;  // empty once moved from
};

}  // namespace kurier::pop3
