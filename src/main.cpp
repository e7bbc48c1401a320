// kurier: one binary for SMTP, LMTP, IMAP, POP3, ManageSieve and the web admin.
#include "cli/cli.h"

int main(int argc, char** argv) { return kurier::cli::run(argc, argv); }
