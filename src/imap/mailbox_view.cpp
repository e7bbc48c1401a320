// MailboxView: sequence number <-> UID bookkeeping of a selected mailbox (see mailbox_view.h).
#include "imap/mailbox_view.h"

#include <algorithm>

namespace kurier::imap {
namespace {

bool uid_less(const MailboxView::Entry& e, store::Uid uid) { return e.uid < uid; }

}  // namespace

uint32_t MailboxView::seq_of(store::Uid uid) const {
  auto it = std::lower_bound(entries_.begin(), entries_.end(), uid, uid_less);
  if (it == entries_.end() || it->uid != uid) return 0;
  return uint32_t(it - entries_.begin()) + 1;
}

bool MailboxView::append(store::Uid uid, store::ModSeq modseq, bool recent) {
  if (uid <= max_uid()) return false;
  entries_.push_back({uid, modseq, recent});
  return true;
}

void MailboxView::mark_recent_from(store::Uid first) {
  auto it = std::lower_bound(entries_.begin(), entries_.end(), first, uid_less);
  for (; it != entries_.end(); ++it) it->recent = true;
}

bool MailboxView::is_recent(store::Uid uid) const {
  uint32_t seq = seq_of(uid);
  return seq != 0 && entries_[seq - 1].recent;
}

uint32_t MailboxView::recent_count() const {
  return uint32_t(std::count_if(entries_.begin(), entries_.end(), [](const Entry& e) { return e.recent; }));
}

uint32_t MailboxView::remove(store::Uid uid) {
  uint32_t seq = seq_of(uid);
  if (seq != 0) entries_.erase(entries_.begin() + (seq - 1));
  return seq;
}

void MailboxView::set_modseq(store::Uid uid, store::ModSeq modseq) {
  uint32_t seq = seq_of(uid);
  if (seq != 0) entries_[seq - 1].modseq = modseq;
}

store::ModSeq MailboxView::modseq_of(store::Uid uid) const {
  uint32_t seq = seq_of(uid);
  return seq == 0 ? 0 : entries_[seq - 1].modseq;
}

std::optional<std::vector<uint32_t>> MailboxView::resolve_seqs(const SequenceSet& set) const {
  std::vector<uint32_t> out;
  // An empty mailbox has no valid numbers, but "1:*" and "*" are sent by clients that do not
  // track the size; they name nothing (as Dovecot answers).
  if (empty()) {
    if (set.has_star() && set.highest_explicit() <= 1) return out;
    return std::nullopt;
  }
  if (set.highest_explicit() > size()) return std::nullopt;
  for (const store::UidRange& r : set.resolve_clamped(size()))
    for (uint64_t n = r.first; n <= r.last; ++n) out.push_back(uint32_t(n));
  return out;
}

std::vector<uint32_t> MailboxView::resolve_uids(const SequenceSet& set) const {
  if (empty()) return {};
  return seqs_in_uid_ranges(set.resolve(max_uid()));
}

std::vector<uint32_t> MailboxView::seqs_in_uid_ranges(const store::UidSet& ranges) const {
  std::vector<uint32_t> out;
  for (const store::UidRange& r : ranges) {
    auto it = std::lower_bound(entries_.begin(), entries_.end(), store::Uid(r.first), uid_less);
    for (; it != entries_.end() && it->uid <= r.last; ++it)
      out.push_back(uint32_t(it - entries_.begin()) + 1);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace kurier::imap
