// The MariaDB/MySQL driver of the SQL layer, over MariaDB Connector/C: every statement with
// parameters is a server-side prepared statement (mysql_stmt_prepare once per connection), results
// are buffered (mysql_stmt_store_result) so statements of one connection nest, TLS as the DSN's
// sslmode asks. Connected with CLIENT_FOUND_ROWS, so an UPDATE reports the rows it matched like
// the other dialects. Errors: 1062 unique, 1048/1451/1452/4025 constraint, 1205/1213 retry,
// 2002/2003/2006/2013/1053/1927/4031 connection.
#pragma once
#include <memory>

#include "sqldb/dsn.h"
#include "sqldb/sqldb.h"

namespace kurier::sqldb {

// Throws Error(Error::connection) when the server cannot be reached or refuses the login.
std::unique_ptr<Connection> open_mariadb(const Dsn& dsn);

}  // namespace kurier::sqldb
