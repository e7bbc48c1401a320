// `kurier import web-cyradm --dsn mariadb://USER:PASS@HOST:PORT/DB [--dry-run]` (CONTRACT): a
// Web-cyradm 0.5 database (the seed's tables domain, accountuser, adminuser, domainadmin, virtual)
// into kurier's directory, on whichever backend kurier.toml names.
//   domain       -> domains: quotas (KiB), max accounts, the prefix scheme with the next number
//                   after the highest login, a "smtp:HOST[:PORT]" transport as a relay domain
//   accountuser  -> accounts: login kept (test0001), primary address from virtual, the
//                   imap/pop/sieve/smtpauth switches; plaintext passwords hashed now, crypt(3),
//                   MD5-crypt and PASSWORD() hashes kept until the next login re-hashes them
//   virtual      -> an account's other addresses, forwards, catch-alls and domain aliases
//   adminuser + domainadmin -> admins: '*' makes a super-admin, domains a domain admin
// Resumable: what exists already is left alone and counted, so a re-run imports nothing twice.
#pragma once

namespace CLI {
class App;
}

namespace kurier::cli {

struct Context;
// Adds web-cyradm under `kurier import`.
void add_web_cyradm_import(CLI::App& import, Context& ctx);

}  // namespace kurier::cli
