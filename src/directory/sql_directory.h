// The directory on kurier's SQL layer (src/sqldb): one implementation for SQLite, PostgreSQL and
// MariaDB. Its schema and all its SQL live in sql_directory.cpp, in neutral SQL.
#pragma once
#include <memory>
#include <string_view>

#include "directory/directory.h"
#include "sqldb/pool.h"

namespace kurier::directory {

// Migrates the database behind pool to the current directory schema and serves from it.
// Throws Error(Unavailable) when the database cannot be reached or migrated.
std::unique_ptr<Directory> open_sql(std::unique_ptr<sqldb::Pool> pool);

}  // namespace kurier::directory
