// The selected mailbox as one IMAP session sees it: the messages it has announced, in sequence
// order, with the MODSEQ it last reported for each. RFC 9051 2.3.1.2: sequence numbers are
// positions in this list, and they change only when this session announces EXISTS or EXPUNGE
// (or VANISHED, RFC 7162 3.2.10) — never because another session changed the store.
// It also knows which messages are \Recent in this session (RFC 3501 2.3.2, IMAP4rev1 only).
// Pure: no I/O. The session keeps one MailboxView per selected mailbox.
#pragma once
#include <cstdint>
#include <optional>
#include <vector>

#include "imap_protocol/seqset.h"
#include "store/types.h"
#include "store/uid_set.h"  // uid_set_of: sequence numbers become UID ranges with it

namespace kurier::imap {

class MailboxView {
 public:
  struct Entry {
    store::Uid uid = 0;
    store::ModSeq modseq = 0;  // as last reported to (or known by) the client
    bool recent = false;       // RFC 3501 2.3.2: this session was the first one told of it
  };

  MailboxView() = default;
  explicit MailboxView(std::vector<Entry> entries) : entries_(std::move(entries)) {}

  uint32_t size() const { return uint32_t(entries_.size()); }
  bool empty() const { return entries_.empty(); }
  const Entry& at_seq(uint32_t seq) const { return entries_[seq - 1]; }
  store::Uid uid_at(uint32_t seq) const { return entries_[seq - 1].uid; }
  store::Uid max_uid() const { return entries_.empty() ? 0 : entries_.back().uid; }
  // Sequence number of uid, or 0 when this session does not know it.
  uint32_t seq_of(store::Uid uid) const;
  bool contains(store::Uid uid) const { return seq_of(uid) != 0; }

  // Appends a new message (its UID must exceed max_uid(); returns false otherwise).
  bool append(store::Uid uid, store::ModSeq modseq, bool recent = false);
  // Marks the known messages with UIDs from `first` on \Recent (a claim, see MailStore).
  void mark_recent_from(store::Uid first);
  bool is_recent(store::Uid uid) const;
  uint32_t recent_count() const;
  // Removes uid; returns its former sequence number, 0 if unknown.
  uint32_t remove(store::Uid uid);
  void set_modseq(store::Uid uid, store::ModSeq modseq);
  store::ModSeq modseq_of(store::Uid uid) const;

  // (seq, uid) pairs named by a message sequence set; "*" is the last message. Numbers beyond
  // the mailbox size make the set invalid (RFC 9051 6.4.8 for UIDs is lenient, for sequence
  // numbers a BAD is expected): nullopt then.
  std::optional<std::vector<uint32_t>> resolve_seqs(const SequenceSet& set) const;
  // Sequence numbers of the known messages whose UIDs are in the set; "*" is max_uid()
  // (RFC 9051 6.4.9: "*" names the highest UID in use even if outside the range).
  std::vector<uint32_t> resolve_uids(const SequenceSet& set) const;
  // As above, from already resolved UID ranges.
  std::vector<uint32_t> seqs_in_uid_ranges(const store::UidSet& ranges) const;

  const std::vector<Entry>& entries() const { return entries_; }

 private:
  std::vector<Entry> entries_;  // ascending UID
};


}  // namespace kurier::imap
