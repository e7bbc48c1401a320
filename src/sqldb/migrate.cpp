// Schema migrations (see migrate.h).
#include "sqldb/migrate.h"

#include "sqldb/dialect.h"

namespace kurier::sqldb {
namespace {

unsigned mask_of(Dialect d) {
  switch (d) {
    case Dialect::sqlite: return kSqlite;
    case Dialect::postgresql: return kPostgresql;
    case Dialect::mariadb: return kMariadb;
  }
  return 0;
}

}  // namespace

void migrate(Pool& pool, std::string_view component, const std::vector<Migration>& migrations) {
  std::string_view setup = setup_sql(pool.dialect());
  if (!setup.empty()) pool.read([&](Connection& c) { c.exec(setup); });
  const unsigned mine = mask_of(pool.dialect());
  const int64_t current = pool.read([&](Connection& c) { return schema_version(c, component); });
  for (size_t i = size_t(current); i < migrations.size(); ++i) {
    const int64_t target = int64_t(i) + 1;
    pool.write([&](Connection& c) {
      if (schema_version(c, component) >= target) return;
      for (const auto& step : migrations[i])
        if (step.dialects & mine) c.exec(step.sql);
      set_schema_version(c, component, target);
    });
  }
}

}  // namespace kurier::sqldb
