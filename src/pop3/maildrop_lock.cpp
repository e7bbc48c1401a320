#include "pop3/maildrop_lock.h"

#include <mutex>
#include <unordered_set>

namespace kurier::pop3 {
namespace {

struct Registry {
  std::mutex mutex;
  std::unordered_set<uint64_t> locked;
};

Registry& registry() {
  static Registry r;
  return r;
}

}  // namespace

std::optional<MaildropLock> MaildropLock::try_acquire(uint64_t account) {
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  if (!r.locked.insert(account).second) return std::nullopt;
  return MaildropLock(account);
}

MaildropLock::MaildropLock(MaildropLock&& other) noexcept : account_(other.account_) { other.account_.reset(); }

MaildropLock& MaildropLock::operator=(MaildropLock&& other) noexcept {
  if (this != &other) {
    release();
    account_ = other.account_;
    other.account_.reset();
  }
  return *this;
}

MaildropLock::~MaildropLock() { release(); }

void MaildropLock::release() {
  if (!account_) return;
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  r.locked.erase(*account_);
  account_.reset();
}

}  // namespace kurier::pop3
