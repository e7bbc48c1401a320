// `kurier export maildir|mbox ADDRESS DIR`: an account's folders written out so no user is
// locked in. Maildir as Dovecot reads it (INBOX at DIR, Maildir++ ".Sub.Folder" directories,
// flags in the file names, dovecot-keywords, dovecot-uidlist with UIDVALIDITY and UIDs, file
// mtime = INTERNALDATE, subscriptions); mbox as mboxrd, one file per folder (DIR/NAME.mbox,
// hierarchy as directories) with Status/X-Status/X-Keywords headers carrying the flags.
#pragma once
#include <string>

#include "config/config.h"
#include "directory/directory.h"

namespace kurier::cli {

struct ExportResult {
  uint64_t folders = 0, messages = 0, bytes = 0;
};

ExportResult export_maildir(const config::Config& config, directory::Directory& directory,
                            const std::string& address, const std::string& dir);
ExportResult export_mbox(const config::Config& config, directory::Directory& directory,
                         const std::string& address, const std::string& dir);

}  // namespace kurier::cli
