// The PostgreSQL driver of the SQL layer, over libpq: every statement with parameters is a
// server-side prepared statement (PQprepare once per connection, PQexecPrepared after), blobs
// travel as binary parameters, TLS as the DSN's sslmode asks. Errors are classified by SQLSTATE:
// 23505 unique, 23xxx constraint, 40001/40P01 retry, class 08 and 57P0x (shutdown) connection.
#pragma once
#include <memory>

#include "sqldb/dsn.h"
#include "sqldb/sqldb.h"

namespace kurier::sqldb {

// Throws Error(Error::connection) when the server cannot be reached or refuses the login.
std::unique_ptr<Connection> open_postgresql(const Dsn& dsn);

}  // namespace kurier::sqldb
