// `kurier import imap`: an account's folders copied from another IMAP server by login, with
// flags, internal dates, UIDs and UIDVALIDITY where they can be kept, and subscriptions.
#pragma once
#include <string>

#include "cli/imap_client.h"
#include "cli/import_target.h"

namespace kurier::cli {

void import_imap(ImportTarget& target, ImapClient& client);

}  // namespace kurier::cli
