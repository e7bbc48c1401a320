// Cyrus cyrus.header and cyrus.index (cyrus.h).
#include "import/cyrus.h"

#include "store/flags.h"

namespace kurier::mail_import {
namespace {

constexpr std::string_view kHeaderMagic = "\241\002\213\015Cyrus mailbox header\n";
constexpr uint32_t kFirstCheckedHeaderVersion = 12;
constexpr uint32_t kFirstCheckedRecordVersion = 16;
constexpr uint32_t kLastKnownVersion = 19;
constexpr size_t kRecordFieldsEnd = 52;  // through user_flags

// Cyrus FLAG_* bits (imap/mailbox.h).
constexpr uint32_t kCyrusAnswered = 1u << 0, kCyrusFlagged = 1u << 1, kCyrusDeleted = 1u << 2,
                   kCyrusDraft = 1u << 3, kCyrusSeen = 1u << 4;

uint32_t be32(std::string_view b, size_t at) {
  auto u = [&](size_t i) { return uint32_t(uint8_t(b[at + i])); };
  return (u(0) << 24) | (u(1) << 16) | (u(2) << 8) | u(3);
}

std::vector<std::string_view> lines_of(std::string_view text) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (start < text.size()) {
    size_t nl = text.find('\n', start);
    out.push_back(text.substr(start, nl == std::string_view::npos ? std::string_view::npos : nl - start));
    if (nl == std::string_view::npos) break;
    start = nl + 1;
  }
  return out;
}

std::optional<CyrusIndexHeader> read_index_header(std::string_view bytes, std::string& error) {
  if (bytes.size() < 48) {
    error = "cyrus.index is truncated (" + std::to_string(bytes.size()) + " bytes, no full header)";
    return std::nullopt;
  }
  CyrusIndexHeader h;
  h.minor_version = be32(bytes, 8);
  h.start_offset = be32(bytes, 12);
  h.record_size = be32(bytes, 16);
  h.num_records = be32(bytes, 20);
  h.last_uid = be32(bytes, 28);
  h.uidvalidity = be32(bytes, 44);
  if (h.minor_version < kFirstCheckedHeaderVersion || h.minor_version > kLastKnownVersion) {
    error = "cyrus.index version " + std::to_string(h.minor_version) +
            " is not supported (versions 12 to 19: Cyrus 2.4 to 3.6)";
    return std::nullopt;
  }
  if (h.start_offset < 48 || h.start_offset > bytes.size() || h.record_size < kRecordFieldsEnd ||
      h.record_size > 4096) {
    error = "cyrus.index header is damaged (start offset " + std::to_string(h.start_offset) +
            ", record size " + std::to_string(h.record_size) + ")";
    return std::nullopt;
  }
  std::string_view head = bytes.substr(0, h.start_offset);
  if (be32(head, head.size() - 4) != cyrus_crc32(head.substr(0, head.size() - 4))) {
    error = "cyrus.index header checksum mismatch";
    return std::nullopt;
  }
  return h;
}

CyrusRecord read_record(std::string_view r) {
  CyrusRecord rec;
  rec.uid = be32(r, 0);
  rec.internal_date = int64_t(be32(r, 4));
  rec.size = be32(r, 12);
  uint32_t stored = be32(r, 32);
  rec.system_flags = stored & 0x0000ffffu;
  rec.internal_flags = stored & 0xffff0000u;
  for (size_t i = 0; i < 4; ++i) rec.user_flags[i] = be32(r, 36 + 4 * i);
  return rec;
}

}  // namespace

uint32_t cyrus_crc32(std::string_view bytes) {
  static const auto table = [] {
    std::array<uint32_t, 256> t{};
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  uint32_t crc = 0xffffffffu;
  for (unsigned char ch : bytes) crc = table[(crc ^ ch) & 0xff] ^ (crc >> 8);
  return crc ^ 0xffffffffu;
}

std::optional<CyrusHeader> parse_cyrus_header(std::string_view bytes, std::string& error) {
  if (!bytes.starts_with(kHeaderMagic)) {
    error = "cyrus.header does not start with Cyrus' magic text";
    return std::nullopt;
  }
  auto lines = lines_of(bytes);
  // The magic is three lines; then quotaroot\tuniqueid, user flags, ACL.
  if (lines.size() < 5) {
    error = "cyrus.header is truncated";
    return std::nullopt;
  }
  CyrusHeader h;
  std::string_view ids = lines[3];
  size_t tab = ids.find('\t');
  h.quotaroot = std::string(ids.substr(0, tab));
  if (tab != std::string_view::npos) h.uniqueid = std::string(ids.substr(tab + 1));
  std::string_view flags = lines[4];
  size_t start = 0;
  while (start <= flags.size()) {
    size_t sp = flags.find(' ', start);
    std::string_view name = flags.substr(start, sp == std::string_view::npos ? std::string_view::npos : sp - start);
    if (!name.empty()) h.user_flags.emplace_back(name);
    if (sp == std::string_view::npos) break;
    start = sp + 1;
  }
  return h;
}

std::optional<CyrusIndex> parse_cyrus_index(std::string_view bytes, std::string& error) {
  auto header = read_index_header(bytes, error);
  if (!header) return std::nullopt;
  CyrusIndex index;
  index.header = *header;
  uint64_t needed = uint64_t(header->start_offset) + uint64_t(header->num_records) * header->record_size;
  uint32_t complete = header->num_records;
  if (needed > bytes.size()) {
    complete = uint32_t((bytes.size() - header->start_offset) / header->record_size);
    index.errors.push_back("cyrus.index is truncated: " + std::to_string(header->num_records) +
                           " records announced, " + std::to_string(complete) + " present");
  }
  bool checked = header->minor_version >= kFirstCheckedRecordVersion;
  store::Uid last = 0;
  for (uint32_t i = 0; i < complete; ++i) {
    std::string_view r = bytes.substr(header->start_offset + size_t(i) * header->record_size, header->record_size);
    if (checked && be32(r, r.size() - 4) != cyrus_crc32(r.substr(0, r.size() - 4))) {
      index.errors.push_back("record " + std::to_string(i + 1) + ": checksum mismatch");
      continue;
    }
    CyrusRecord rec = read_record(r);
    if (rec.uid == 0 || rec.uid <= last) {
      index.errors.push_back("record " + std::to_string(i + 1) + ": UID " + std::to_string(rec.uid) + " out of order");
      continue;
    }
    last = rec.uid;
    index.records.push_back(rec);
  }
  return index;
}

store::Flags cyrus_flags(const CyrusRecord& record, const CyrusHeader& header) {
  store::Flags flags;
  if (record.system_flags & kCyrusAnswered) flags.system |= store::kAnswered;
  if (record.system_flags & kCyrusFlagged) flags.system |= store::kFlagged;
  if (record.system_flags & kCyrusDeleted) flags.system |= store::kDeleted;
  if (record.system_flags & kCyrusDraft) flags.system |= store::kDraft;
  if (record.system_flags & kCyrusSeen) flags.system |= store::kSeen;
  for (size_t n = 0; n < 128; ++n) {
    if (!(record.user_flags[n / 32] & (1u << (n % 32)))) continue;
    if (n < header.user_flags.size() && store::is_valid_keyword(header.user_flags[n]))
      flags.keywords.push_back(header.user_flags[n]);
  }
  return flags;
}

}  // namespace kurier::mail_import
