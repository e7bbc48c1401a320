#include "store/sqlite_db.h"

#include <sqlite3.h>

#include "store/errors.h"

namespace kurier::store {

namespace {
constexpr int kBusyTimeoutMs = 10000;
}

SqliteDb::SqliteDb(const std::filesystem::path& path, Role role) : path_(path) {
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
  if (role == Role::writer) flags |= SQLITE_OPEN_CREATE;
  if (sqlite3_open_v2(path.c_str(), &db_, flags, nullptr) != SQLITE_OK) {
    std::string message = db_ ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close_v2(db_);
    db_ = nullptr;
    throw StoreError(StoreErrc::database, "open " + path.string() + ": " + message);
  }
  sqlite3_extended_result_codes(db_, 1);
  sqlite3_busy_timeout(db_, kBusyTimeoutMs);
  if (role == Role::writer) {
    // WAL lets readers run beside the single writer; synchronous=FULL syncs the WAL on every
    // commit, so a committed transaction survives power loss.
    exec("PRAGMA journal_mode=WAL");
    exec("PRAGMA synchronous=FULL");
  } else {
    exec("PRAGMA query_only=1");
  }
  // Every commit of the writer empties the readers' page caches, so a busy mailbox re-reads its
  // pages all the time: mapped, the main file costs page lookups instead of a pread(2) each.
  exec("PRAGMA mmap_size=268435456");
}

SqliteDb::~SqliteDb() {
  for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
  sqlite3_close_v2(db_);
}

void SqliteDb::exec(const char* sql) {
  char* error = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &error) != SQLITE_OK) {
    std::string message = error ? error : sqlite3_errmsg(db_);
    sqlite3_free(error);
    std::string shown(sql, std::min<size_t>(std::char_traits<char>::length(sql), 80));
    throw StoreError(StoreErrc::database, path_.string() + ": " + message + " (in: " + shown + ")");
  }
}

sqlite3_stmt* SqliteDb::statement(const char* sql) {
  auto it = cache_.find(sql);
  if (it != cache_.end()) return it->second;
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr) != SQLITE_OK)
    fail("prepare", sql);
  cache_.emplace(sql, stmt);
  return stmt;
}

void SqliteDb::fail(const char* action, const char* sql) const {
  std::string message = path_.string() + ": " + action + ": " + sqlite3_errmsg(db_);
  if (sql) message += std::string(" (in: ") + std::string(sql).substr(0, 80) + ")";
  int code = sqlite3_extended_errcode(db_);
  StoreErrc errc = (code == SQLITE_CONSTRAINT_UNIQUE || code == SQLITE_CONSTRAINT_PRIMARYKEY)
                       ? StoreErrc::already_exists
                       : StoreErrc::database;
  throw StoreError(errc, message);
}

Query::~Query() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

void Query::bind(int index, std::string_view value) {
  if (sqlite3_bind_text(stmt_, index, value.empty() ? "" : value.data(), int(value.size()), SQLITE_TRANSIENT) !=
      SQLITE_OK)
    db_.fail("bind", sql_);
}

void Query::bind(int index, SqlBlob value) {
  if (sqlite3_bind_blob(stmt_, index, value.bytes.empty() ? "" : value.bytes.data(), int(value.bytes.size()),
                        SQLITE_TRANSIENT) != SQLITE_OK)
    db_.fail("bind", sql_);
}

void Query::bind_int64(int index, int64_t value) {
  if (sqlite3_bind_int64(stmt_, index, value) != SQLITE_OK) db_.fail("bind", sql_);
}

bool Query::next() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  db_.fail("step", sql_);
}

void Query::run() {
  while (next()) {
  }
}

int64_t Query::int64(int column) const { return sqlite3_column_int64(stmt_, column); }

std::string Query::text(int column) const {
  auto* data = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
  return data ? std::string(data, size_t(sqlite3_column_bytes(stmt_, column))) : std::string();
}

std::string Query::blob(int column) const {
  auto* data = static_cast<const char*>(sqlite3_column_blob(stmt_, column));
  return data ? std::string(data, size_t(sqlite3_column_bytes(stmt_, column))) : std::string();
}

int64_t Query::single_int64() {
  if (!next()) throw StoreError(StoreErrc::database, std::string("no row from: ") + sql_);
  return int64(0);
}

ReadTransaction::ReadTransaction(SqliteDb& db) : db_(db) { db_.exec("BEGIN"); }

ReadTransaction::~ReadTransaction() {
  try {
    db_.exec("COMMIT");
  } catch (...) {
    sqlite3_exec(db_.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
  }
}

}  // namespace kurier::store
