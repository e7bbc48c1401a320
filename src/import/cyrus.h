// Cyrus IMAP mailbox metadata, pure (bytes in, structures out), as cyrus-imapd 3.6 (Debian 12)
// writes it. Format from cyrus-imapd's imap/mailbox.h and imap/mailbox.c
// (mailbox_buf_to_index_header, mailbox_buf_to_index_record; github.com/cyrusimap/cyrus-imapd):
// - cyrus.header: the magic text (MAILBOX_HEADER_MAGIC, three lines starting "\241\002\213\015
//   Cyrus mailbox header"), then either (Cyrus 3, mailbox_parse_header_data) one dlist
//   "%(T el N user.bob I UNIQUEID A %(bob lrs...) U ($Work Later) Q QUOTAROOT)" — keys N name,
//   I unique id, Q quotaroot, T type, A ACL, U the user flag names (flag number = position) —
//   or (Cyrus 2) "QUOTAROOT\tUNIQUEID", the user flag names separated by spaces, the ACL.
// - cyrus.index: a header of `start_offset` bytes, then `num_records` records of `record_size`
//   bytes each; every number big-endian. Header: minor_version at 8, start_offset at 12,
//   record_size at 16, num_records at 20, last_uid at 28, uidvalidity at 44, and from version
//   12 on a CRC32 of the header in its last 4 bytes. Record: uid at 0, internaldate at 4,
//   size at 12, system_flags at 32 (low 16 bits: FLAG_ANSWERED 1, FLAGGED 2, DELETED 4,
//   DRAFT 8, SEEN 16 — the owner's \Seen, "internal seen"; high bits internal: EXPUNGED
//   1<<31, UNLINKED 1<<30), user_flags at 36 (4 × 32 bits, flag n is bit n%32 of word n/32),
//   and from version 16 a CRC32 of the record before its last 4 bytes (OFFSET_RECORD_CRC).
//   Versions 12 to 19 share this record layout up to user_flags; version 20 (3.8+) moved the
//   fields and is refused with a clear error rather than misread.
// Message files are "UID." in the mailbox directory.
#pragma once
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/types.h"

namespace kurier::mail_import {

struct CyrusHeader {
  std::string name;       // Cyrus' internal name ("user.bob.Archive"), dlist format only
  std::string quotaroot;
  std::string uniqueid;
  std::vector<std::string> user_flags;  // index = flag number ("" for a gap)
};
std::optional<CyrusHeader> parse_cyrus_header(std::string_view bytes, std::string& error);

struct CyrusIndexHeader {
  uint32_t minor_version = 0;
  uint32_t start_offset = 0;
  uint32_t record_size = 0;
  uint32_t num_records = 0;
  uint32_t last_uid = 0;
  uint32_t uidvalidity = 0;
};

struct CyrusRecord {
  store::Uid uid = 0;
  int64_t internal_date = 0;
  uint32_t size = 0;
  uint32_t system_flags = 0;   // Cyrus bits (FLAG_*)
  uint32_t internal_flags = 0; // high bits
  std::array<uint32_t, 4> user_flags{};
  bool expunged() const { return (internal_flags & 0x80000000u) != 0; }
};

struct CyrusIndex {
  CyrusIndexHeader header;
  std::vector<CyrusRecord> records;
  std::vector<std::string> errors;  // records skipped (bad CRC, UID order), with why
};

// nullopt with `error` when the header is unusable (truncated, unknown version, bad CRC).
std::optional<CyrusIndex> parse_cyrus_index(std::string_view bytes, std::string& error);

// A record's flags in kurier's terms: system flags mapped, user flags named through the header.
store::Flags cyrus_flags(const CyrusRecord& record, const CyrusHeader& header);

// The CRC32 Cyrus uses (zlib's: ISO-HDLC polynomial), over bytes.
uint32_t cyrus_crc32(std::string_view bytes);

// A user's subscriptions file (CONFIGDIR/user/X/USER.sub, a flat cyrusdb of "KEY\tVALUE\n"
// lines; imap/mboxlist.c), as kurier folder names of that user (INBOX, and INBOX's children as
// top-level folders, as import_cyrus names them). Two forms:
// - Cyrus 3.x (3.6 writes it): a first line "\x1fVER\x1f\t2", then keys "N" + the name's levels
//   separated by \x1f, the user's own relative to "INBOX" ("NINBOX\x1fArchive\x1f2019");
// - Cyrus 2.x: internal names, '.' between levels and '^' for a '.' in a name ("user.bob",
//   "user.bob.Archive", with "DOMAIN!" in front on a virtual-domain server); `user` is the file's
//   name without ".sub" (the mailbox owner, '.' written '^').
// Levels are modified UTF-7 and are decoded. Other users' and shared folders, and keys of other
// kinds, are returned in `skipped`.
struct CyrusSubscriptions {
  std::vector<std::string> folders;
  std::vector<std::string> skipped;
};
CyrusSubscriptions parse_cyrus_subscriptions(std::string_view text, std::string_view user);

}  // namespace kurier::mail_import
