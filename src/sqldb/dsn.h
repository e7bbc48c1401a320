// Database addresses as kurier.toml writes them (pure parsing; CONTRACT "Directory backends"):
//
//   mariadb://USER:PASSWORD@HOST:PORT/DATABASE?sslmode=require   (also mysql://)
//   postgresql://USER:PASSWORD@HOST:PORT/DATABASE?sslmode=verify-full&sslrootcert=/etc/ca.pem
//                                                                 (also postgres://)
//
// User, password, database and parameter values are percent-decoded (RFC 3986 2.1), so a
// password may hold '@', ':' or '/' as %40, %3A, %2F. HOST may be a name, an IPv4 address or
// [IPv6]; an empty host (mariadb:///db, postgresql:///db) or ?socket=PATH / ?host=/dir means a
// Unix socket. Ports default to 3306 and 5432.
//
// Parameters (the same names for both servers):
//   sslmode      disable | prefer | require | verify-ca | verify-full (PostgreSQL's names).
//                require encrypts; verify-ca also checks the chain against sslrootcert;
//                verify-full also checks the host name. Default: prefer on PostgreSQL (libpq's
//                default), disable on MariaDB.
//   sslrootcert  CA file; sslcert, sslkey: client certificate and key
//   connect_timeout  seconds (default 5)
//   pool_size    most connections kurier opens to it (default 16)
//   socket / host    Unix socket path (MariaDB) or directory (PostgreSQL)
// Unknown parameters are refused, so a typo never silently drops TLS.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "sqldb/sqldb.h"

namespace kurier::sqldb {

struct Dsn {
  Dialect dialect = Dialect::postgresql;
  std::string user;
  std::string password;
  std::string host;         // empty: the Unix socket
  uint16_t port = 0;        // the dialect's default when the DSN names none
  std::string database;
  std::string socket;       // Unix socket path (MariaDB) or directory (PostgreSQL)
  std::string sslmode;      // "" = the default above
  std::string sslrootcert, sslcert, sslkey;
  int connect_timeout = 5;  // seconds
  size_t pool_size = 16;
};

// Throws Error(Error::other) naming what is wrong (never echoing the password).
Dsn parse_dsn(std::string_view text);

// The DSN without its password, for logs and error messages.
std::string redacted(const Dsn& dsn);

}  // namespace kurier::sqldb
