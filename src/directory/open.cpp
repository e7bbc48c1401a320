// Choosing the directory backend (see open.h).
#include "directory/open.h"

#include "directory/cached_directory.h"
#include "directory/external_sql_directory.h"
#include "directory/sql_directory.h"
#include "sqldb/dsn.h"
#include "sqldb/mariadb_driver.h"
#include "sqldb/postgresql_driver.h"

namespace kurier::directory {

std::string sqlite_path(const config::Config& c) { return (c.data_dir / "directory.db").string(); }

namespace {

std::unique_ptr<sqldb::Pool> server_pool(const std::string& dsn_text) {
  sqldb::Dsn dsn;
  try {
    dsn = sqldb::parse_dsn(dsn_text);
  } catch (const sqldb::Error& e) {
    throw Error(Error::Invalid, e.what());
  }
  sqldb::Pool::Factory factory;
  if (dsn.dialect == sqldb::Dialect::mariadb)
    factory = [dsn] { return sqldb::open_mariadb(dsn); };
  else
    factory = [dsn] { return sqldb::open_postgresql(dsn); };
  return std::make_unique<sqldb::Pool>(dsn.dialect, std::move(factory), dsn.pool_size);
}

}  // namespace

std::unique_ptr<Directory> open_server(const std::string& dsn_text) { return open_sql(server_pool(dsn_text)); }

std::unique_ptr<Directory> open_external(const config::Config& c) {
  const auto& d = c.directory;
  ExternalQueries q{d.password_query, d.address_query, d.alias_query,  d.domain_query,
                    d.sender_query,   d.services_query, d.password_scheme};
  return open_external(server_pool(d.dsn), open_sqlite(sqlite_path(c)), std::move(q));
}

// kurier's own directory behind the read cache. (The "sql" backend is not cached: the other
// application's writes bump no counter kurier could watch.)
std::unique_ptr<Directory> with_cache(std::unique_ptr<Directory> dir, const config::Config& c) {
  CacheOptions o;
  o.max_weight = size_t(c.directory.cache_size);
  o.check_interval = std::chrono::milliseconds(c.directory.cache_check_interval_ms);
  return open_cached(std::move(dir), o);
}

std::unique_ptr<Directory> open_configured(const config::Config& c) {
  const std::string& backend = c.directory.backend;
  if (backend == "sqlite") return with_cache(open_sqlite(sqlite_path(c)), c);
  if (backend == "mariadb" || backend == "postgresql") return with_cache(open_server(c.directory.dsn), c);
  if (backend == "sql") return open_external(c);
  throw Error(Error::Invalid, "[directory] backend \"" + backend + "\" is not available in this build");
}

}  // namespace kurier::directory
