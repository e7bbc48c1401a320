// Maildir as Dovecot and Courier write it, pure (names and file contents in, structures out):
// - message file names "UNIQUE[,S=size][,W=vsize]:2,FLAGS" (cr.yp.to/proto/maildir.html
//   "info": experimental semantics "2," then flags in ASCII order: D draft, F flagged,
//   P passed, R replied, S seen, T trashed; Dovecot adds lowercase a-z, each one the keyword
//   of that index in dovecot-keywords; doc.dovecot.org "Maildir mailbox format");
// - dovecot-keywords: lines "INDEX NAME";
// - dovecot-uidlist: a header line (version 1: "1 UIDVALIDITY NEXTUID"; version 3:
//   "3 V<uidvalidity> N<nextuid> G<guid> ..." with one-letter keys), then one line per message:
//   version 1 "UID FILENAME", version 3 "UID [<key><value> ...] :FILENAME" with extension
//   fields such as S (size), W (virtual size), G (GUID), P (POP3 UIDL), O (POP3 order)
//   (Dovecot src/lib-storage/index/maildir/maildir-uidlist.c);
// - Maildir++ folder names (".Sub.Folder", '.' the separator, modified UTF-7).
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/types.h"

namespace kurier::mail_import {

struct MaildirName {
  std::string base;             // the unique part: what a Maildir name keeps across flag changes
  std::optional<uint64_t> size;   // ,S= (the file's size)
  std::optional<uint64_t> vsize;  // ,W= (the size with CRLF line ends: RFC822.SIZE)
  uint32_t system_flags = 0;    // store::SystemFlag bits
  bool passed = false;          // P: forwarded ($Forwarded)
  std::vector<int> keyword_indexes;  // a..z -> 0..25, in the order written
};

// Every file name parses (a name without ":2," simply has no flags); info of another version
// ("1,...") is ignored, as Dovecot does.
MaildirName parse_maildir_name(std::string_view filename);

// The flags of a name, with keyword letters resolved through dovecot-keywords; unknown letters
// are dropped (reported in `unknown_letters`).
store::Flags maildir_flags(const MaildirName& name, const std::vector<std::string>& keywords,
                           std::string* unknown_letters = nullptr);

// "base:2,FLAGS" for export: system flags as letters, keywords as letters from `keyword_index`
// (a keyword not in it is added there, up to 26).
std::string format_maildir_name(std::string_view base, const store::Flags& flags,
                                std::vector<std::string>& keyword_index);

// dovecot-keywords: index -> name (gaps are empty strings). Malformed lines are skipped and
// counted in `bad_lines`.
std::vector<std::string> parse_dovecot_keywords(std::string_view text, size_t* bad_lines = nullptr);
std::string format_dovecot_keywords(const std::vector<std::string>& keywords);

struct UidlistEntry {
  store::Uid uid = 0;
  std::string filename;     // as written (base name, maybe with ":2,..." info)
  std::map<char, std::string> extensions;  // version 3 fields: 'W' -> "1250", 'P' -> "UIDL", ...
};

struct Uidlist {
  int version = 0;           // 1 or 3
  uint32_t uidvalidity = 0;
  store::Uid next_uid = 1;
  std::string guid;          // version 3 'G' (mailbox GUID), hex
  std::vector<UidlistEntry> entries;  // in file order (ascending UIDs)
  std::vector<std::string> errors;    // lines skipped, with why ("line 7: ...")
};

// nullopt (with `error`) when the header is unusable (the UIDs then cannot be trusted at all);
// bad record lines are skipped and listed in `errors`.
std::optional<Uidlist> parse_dovecot_uidlist(std::string_view text, std::string& error);
// A version 3 dovecot-uidlist for export.
std::string format_dovecot_uidlist(const Uidlist& list);

// Maildir++ folder directory ".Sub.Folder" (modified UTF-7) -> "Sub/Folder" (UTF-8); nullopt
// for names that are not folders ("." and "..", "cur", no leading dot, bad UTF-7).
std::optional<std::string> maildirpp_folder_name(std::string_view dirname);
// The other way, for export: "Sub/Folder" -> ".Sub.Folder"; nullopt when a level holds '.'.
std::optional<std::string> maildirpp_dir_name(std::string_view mailbox);

}  // namespace kurier::mail_import
