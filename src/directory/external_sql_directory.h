// The "sql" directory backend: accounts, addresses, aliases and domains read from a database
// kurier does not own (a running Web-cyradm or PostfixAdmin database, as the seed's pam_mysql and
// Postfix mysql_table read it), through configurable parameterized queries; never written.
//
// Each query is neutral SQL with `?` placeholders, every one bound to the same value:
//   password_query  login -> the stored password (first column)
//   address_query   address -> logins (rows; comma-separated lists are split)
//   alias_query     address or "@domain" -> targets (addresses, logins, "@domain")
//   domain_query    domain -> any row when it is local
//   sender_query    login -> its primary address (sender rewriting)
//   services_query  login -> one row, four columns: IMAP, POP3, Sieve, SMTP AUTH allowed (the seed's
//                   accountuser imap/pop/sieve/smtpauth switches); "" = every service allowed
// Web-cyradm's tables are the defaults (config::Config::Directory, docs/CONFIG.md).
//
// What the other database cannot hold lives in kurier's own directory (data_dir/directory.db):
// an account seen for the first time gets a shadow row there, which gives it the stable id the
// mail store keys its mail by; Sieve scripts, web admins, last logins and tombstones are kept
// there too. Every change to accounts, domains or aliases is refused (Error::Invalid): the other
// application manages them. Password hashes are handed to auth::verify_password in its scheme
// names: "$…$" crypt(3) as is, "*HEX" as {MYSQL41}, 13-character DES crypt as {DES-CRYPT} when
// password_scheme = "des", anything else as {PLAIN} with a logged warning.
#pragma once
#include <memory>
#include <string>

#include "directory/directory.h"
#include "sqldb/pool.h"

namespace kurier::directory {

struct ExternalQueries {
  std::string password_query, address_query, alias_query, domain_query, sender_query, services_query;
  std::string password_scheme = "auto";  // "auto" or "des" (13-character hashes are DES crypt)
};

// The stored password in verify_password's terms; plaintext is set when it was plaintext.
std::string external_password_hash(const std::string& stored, const std::string& scheme, bool& plaintext);

std::unique_ptr<Directory> open_external(std::unique_ptr<sqldb::Pool> external, std::unique_ptr<Directory> local,
                                         ExternalQueries queries);

}  // namespace kurier::directory
