// Versioned schema migrations over the SQL layer, for any component (the directory now; the mail
// store and queue when they move to a server). A migration is a list of single statements in
// neutral SQL; a step may be limited to some dialects (SQLite's history has table rebuilds the
// servers never needed). Append a migration to change a schema; never edit a shipped one.
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "sqldb/pool.h"

namespace kurier::sqldb {

enum DialectMask : unsigned {
  kSqlite = 1u << 0,
  kPostgresql = 1u << 1,
  kMariadb = 1u << 2,
  kServers = kPostgresql | kMariadb,
  kAllDialects = kSqlite | kServers,
};

struct MigrationStep {
  std::string sql;  // one statement (a SQLite-only step may hold several)
  unsigned dialects = kAllDialects;
};
using Migration = std::vector<MigrationStep>;

// Brings `component` from its recorded version (dialect.h: schema_version) to
// migrations.size(): migrations[i] makes version i + 1. Each version in its own write
// transaction, which re-reads the version first, so processes opening the database at once apply
// each migration once. (MariaDB commits DDL as it goes: there a failed migration stays half done
// and must be finished by hand; SQLite and PostgreSQL roll it back.)
void migrate(Pool& pool, std::string_view component, const std::vector<Migration>& migrations);

}  // namespace kurier::sqldb
