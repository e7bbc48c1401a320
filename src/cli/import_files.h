// `kurier import maildir|mbox|cyrus`: the mail of another server's files into one account,
// through ImportTarget (import_target.h); formats parsed by src/import/.
#pragma once
#include <string>

#include "cli/import_target.h"

namespace kurier::cli {

// A Dovecot or Courier Maildir: INBOX at DIR, folders as Maildir++ ".Sub.Folder" directories or
// Dovecot's LAYOUT=fs subdirectories; dovecot-uidlist (UIDs, UIDVALIDITY, next UID, POP3 UIDLs)
// and dovecot-keywords kept where present; the subscriptions file.
void import_maildir(ImportTarget& target, const std::string& dir);
// One mbox file (mboxrd or mboxo) into `folder`.
void import_mbox(ImportTarget& target, const std::string& file, const std::string& folder);
// One Cyrus user's spool tree: the mailbox at DIR (INBOX) and its subdirectories, with
// cyrus.index (UIDs, internal dates, flags, UIDVALIDITY) and cyrus.header (user flag names);
// the subscriptions from `subscriptions` (the user's CONFIGDIR/user/X/USER.sub) unless "".
void import_cyrus(ImportTarget& target, const std::string& dir, const std::string& subscriptions);

}  // namespace kurier::cli
