// Value types shared by the mailbox store interfaces (mail_store.h) and their users
// (IMAP, POP3, LMTP/SMTP delivery, quota).
// Terms follow RFC 3501/9051 (UID, UIDVALIDITY, UIDNEXT, flags), RFC 7162 (MODSEQ,
// HIGHESTMODSEQ, VANISHED), RFC 6154 (special-use) and RFC 9208 (quota usage).
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "store/blob_store.h"

namespace kurier::store {

using AccountId = uint64_t;  // from the directory module
using MailboxId = uint64_t;  // store-assigned, never reused
using Uid = uint32_t;        // RFC 3501 2.3.1.1: 32-bit, strictly ascending per mailbox
using ModSeq = uint64_t;     // RFC 7162 3: 63-bit, per mailbox

// System flags (RFC 9051 2.3.2) as a bit set. \Recent is not stored (IMAP4rev2 removed it).
enum SystemFlag : uint32_t {
  kSeen = 1u << 0,
  kAnswered = 1u << 1,
  kFlagged = 1u << 2,
  kDeleted = 1u << 3,
  kDraft = 1u << 4,
};
constexpr uint32_t kAllSystemFlags = kSeen | kAnswered | kFlagged | kDeleted | kDraft;

struct Flags {
  uint32_t system = 0;                // SystemFlag bits
  std::vector<std::string> keywords;  // validated atoms, deduplicated case-insensitively
  bool operator==(const Flags&) const = default;
};

// Inclusive UID range; a UID set (e.g. "1:5,9,20:*" after '*' is resolved) is a list of them.
struct UidRange {
  Uid first = 1;
  Uid last = 1;
  bool operator==(const UidRange&) const = default;
};
using UidSet = std::vector<UidRange>;
inline UidSet all_uids() { return {UidRange{1, UINT32_MAX}}; }

struct MailboxInfo {
  MailboxId id = 0;
  AccountId account = 0;
  std::string name;          // UTF-8, hierarchy separator '/', "INBOX" upper-case
  uint32_t uidvalidity = 0;
  Uid uidnext = 1;
  ModSeq highest_modseq = 1;
  std::string special_use;   // "" or one of \All \Archive \Drafts \Flagged \Junk \Sent \Trash
  bool subscribed = false;
  bool noselect = false;     // left behind by DELETE of a mailbox with children
  Uid recent_uid = 1;        // RFC 3501 2.3.2: UIDs from here on are not yet \Recent anywhere
};

struct MailboxStatus {
  uint32_t messages = 0;
  uint32_t unseen = 0;
  uint32_t deleted = 0;
  uint64_t size = 0;  // sum of RFC822.SIZE (RFC 8438 STATUS SIZE)
  Uid uidnext = 1;
  uint32_t uidvalidity = 0;
  ModSeq highest_modseq = 1;
  uint32_t recent = 0;  // RFC 3501 STATUS RECENT: messages no session has claimed as \Recent
};

struct MessageMeta {
  Uid uid = 0;
  ModSeq modseq = 0;
  Flags flags;
  int64_t internal_date = 0;   // seconds since the Unix epoch
  int32_t internal_tz = 0;     // zone offset in minutes, for rendering INTERNALDATE
  uint64_t size = 0;           // RFC822.SIZE
  BlobId blob;
};

// What the caller (delivery, APPEND) knows about a message whose bytes are already in a blob.
struct NewMessage {
  BlobId blob;
  uint64_t size = 0;
  int64_t internal_date = 0;
  int32_t internal_tz = 0;
  std::string cached_structure;  // opaque; computed by the caller (mime module)
  bool blob_synced = true;       // false: placed with commit_unsynced(); the store syncs it
};

struct DeliveryTarget {
  MailboxId mailbox = 0;
  Flags flags;
};

// One message of an append_all (MULTIAPPEND).
struct AppendItem {
  NewMessage message;
  Flags flags;
};

struct AppendResult {
  MailboxId mailbox = 0;
  uint32_t uidvalidity = 0;  // for APPENDUID (RFC 4315)
  Uid uid = 0;
  ModSeq modseq = 0;
};

enum class FlagMode { add, remove, replace };  // +FLAGS, -FLAGS, FLAGS

struct FlagChange {
  Uid uid = 0;
  ModSeq modseq = 0;  // after the store (unchanged if the flags did not change)
  Flags flags;        // after the store
  bool changed = false;
};

struct StoreFlagsResult {
  std::vector<FlagChange> messages;  // every existing message in the set that passed the test
  std::vector<Uid> modified;         // RFC 7162 3.1.3: failed UNCHANGEDSINCE -> [MODIFIED ...]
  ModSeq highest_modseq = 0;
};

struct CopyResult {
  uint32_t dest_uidvalidity = 0;  // COPYUID (RFC 4315)
  std::vector<std::pair<Uid, Uid>> uids;  // (source uid, destination uid), in source UID order
  std::vector<Uid> expunged;              // MOVE only: source uids expunged (RFC 6851)
};

struct Changes {
  std::vector<MessageMeta> changed;  // modseq > since, UID order
  std::vector<Uid> vanished;         // expunged with modseq > since (RFC 7162 3.2.10)
  ModSeq highest_modseq = 0;
  Uid recent_uid = 1;                // MailboxInfo::recent_uid now
};

struct QuotaUsage {
  uint64_t bytes = 0;     // RFC 9208 STORAGE is this divided by 1024
  uint64_t messages = 0;  // RFC 9208 MESSAGE
};

// One message of an import (MailStore::import_messages): its bytes, flags and date, the UID
// it had at its source (kept when still free, else the next UID), and its name at the source
// (`key`), recorded with the message so a re-run skips it.
struct ImportItem {
  NewMessage message;
  Flags flags;
  Uid source_uid = 0;      // 0: none; kept when >= the mailbox's UIDNEXT and ascending
  std::string key;         // unique per (account, source); never empty
  std::string pop3_uidl;   // "" unless the source had an explicit POP3 UIDL
};

struct ImportOutcome {
  Uid uid = 0;             // the UID it got (0 when skipped)
  bool skipped = false;    // the key was already imported (an earlier run)
};

struct MailboxSnapshot {  // consistent view for SELECT/EXAMINE
  MailboxInfo info;
  std::vector<MessageMeta> messages;  // UID order
};

}  // namespace kurier::store
