// The SQLite driver of the SQL layer, over src/common/sqlite.h (which the store and queue keep
// using directly). Every connection is a WAL writer with a busy timeout, so several connections
// of one process, and other processes (the CLI), share the file; a writer that still finds the
// database locked gets Error::retry and Pool runs its transaction again.
#pragma once
#include <memory>
#include <string>

#include "sqldb/sqldb.h"

namespace kurier::sqldb {

std::unique_ptr<Connection> open_sqlite(const std::string& path);

}  // namespace kurier::sqldb
