// Opens the directory kurier.toml names ([directory] backend and dsn): the embedded SQLite file
// in data_dir, or kurier's schema on a MariaDB or PostgreSQL server (created and migrated at
// open). The one place the server and the CLI choose a backend.
#pragma once
#include <memory>
#include <string>

#include "config/config.h"
#include "directory/directory.h"

namespace kurier::directory {

// Throws Error(Unavailable) when the database cannot be reached or migrated, Error(Invalid) for a
// backend this build does not know.
std::unique_ptr<Directory> open_configured(const config::Config& c);

// The SQLite file of the "sqlite" backend.
std::string sqlite_path(const config::Config& c);

// The "sql" backend: [directory] dsn's database read through the configured queries, with
// kurier's own records in data_dir/directory.db (external_sql_directory.h).
std::unique_ptr<Directory> open_external(const config::Config& c);

// kurier's directory on the server a DSN names (mariadb://…, postgresql://…).
std::unique_ptr<Directory> open_server(const std::string& dsn);

}  // namespace kurier::directory
