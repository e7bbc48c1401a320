// kurier's one SQLite layer (see sqlite.h).
#include "common/sqlite.h"

#include <sqlite3.h>

namespace kurier::sql {
namespace {

constexpr int kBusyTimeoutMs = 10000;
constexpr size_t kSqlShownInErrors = 80;

std::string quoted_sql(std::string_view sql) {
  if (sql.empty()) return {};
  return " (in: " + std::string(sql.substr(0, kSqlShownInErrors)) + ")";
}

}  // namespace

bool Error::is_constraint() const { return (code_ & 0xff) == SQLITE_CONSTRAINT; }
bool Error::is_unique_violation() const {
  return code_ == SQLITE_CONSTRAINT_UNIQUE || code_ == SQLITE_CONSTRAINT_PRIMARYKEY;
}
bool Error::is_busy() const { return (code_ & 0xff) == SQLITE_BUSY || (code_ & 0xff) == SQLITE_LOCKED; }

// ---- Statement ----

Statement::~Statement() {
  if (!stmt_) return;
  if (cached_) {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  } else {
    sqlite3_finalize(stmt_);
  }
}

void Statement::fail(std::string_view action) const {
  const char* sql = sqlite3_sql(stmt_);
  db_.fail(action, sql ? sql : "");
}

Statement& Statement::bind(int index, int64_t v) {
  if (sqlite3_bind_int64(stmt_, index, v) != SQLITE_OK) fail("bind");
  return *this;
}

// An empty view may have no data(); SQLite would bind NULL for a null pointer, so bind "".
Statement& Statement::bind(int index, std::string_view v) {
  if (sqlite3_bind_text(stmt_, index, v.empty() ? "" : v.data(), int(v.size()), SQLITE_TRANSIENT) != SQLITE_OK)
    fail("bind");
  return *this;
}

Statement& Statement::bind_blob(int index, std::string_view v) {
  if (sqlite3_bind_blob(stmt_, index, v.empty() ? "" : v.data(), int(v.size()), SQLITE_TRANSIENT) != SQLITE_OK)
    fail("bind");
  return *this;
}

Statement& Statement::bind_null(int index) {
  if (sqlite3_bind_null(stmt_, index) != SQLITE_OK) fail("bind");
  return *this;
}

bool Statement::step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  fail("step");
}

void Statement::run() {
  while (step()) {
  }
}

void Statement::reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

int64_t Statement::int64(int col) const { return sqlite3_column_int64(stmt_, col); }

std::string Statement::text(int col) const {
  auto* data = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, col));
  return data ? std::string(data, size_t(sqlite3_column_bytes(stmt_, col))) : std::string();
}

std::string Statement::blob(int col) const {
  auto* data = static_cast<const char*>(sqlite3_column_blob(stmt_, col));
  return data ? std::string(data, size_t(sqlite3_column_bytes(stmt_, col))) : std::string();
}

bool Statement::is_null(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }

int64_t Statement::single_int64() {
  if (!step()) {
    const char* sql = sqlite3_sql(stmt_);
    throw Error(SQLITE_ERROR, db_.path() + ": no row from: " + (sql ? sql : ""));
  }
  return int64(0);
}

// ---- Database ----

Database::Database(const std::string& path, const Options& options) : path_(path) {
  int flags = SQLITE_OPEN_READWRITE | (options.single_thread ? SQLITE_OPEN_NOMUTEX : SQLITE_OPEN_FULLMUTEX);
  if (options.role == Role::writer) flags |= SQLITE_OPEN_CREATE;
  int rc = sqlite3_open_v2(path.c_str(), &db_, flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = "cannot open database " + path + ": " + (db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc));
    int code = db_ ? sqlite3_extended_errcode(db_) : rc;
    sqlite3_close_v2(db_);
    db_ = nullptr;
    throw Error(code, msg);
  }
  sqlite3_extended_result_codes(db_, 1);
  sqlite3_busy_timeout(db_, kBusyTimeoutMs);
  try {
    configure(options);
  } catch (...) {
    sqlite3_close_v2(db_);
    throw;
  }
}

void Database::configure(const Options& options) {
  if (options.role == Role::writer) {
    // WAL lets readers run beside the single writer; synchronous=FULL syncs the WAL on every
    // commit, so a committed transaction survives power loss.
    exec("PRAGMA journal_mode=WAL");
    exec(options.sync == Sync::full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL");
  } else {
    exec("PRAGMA query_only=1");
  }
  exec("PRAGMA foreign_keys=ON");
  // Every commit of a writer empties the other connections' page caches, so a busy database
  // re-reads its pages all the time: mapped, the main file costs page lookups, not a pread(2) each.
  if (options.memory_map) exec("PRAGMA mmap_size=268435456");
}

Database::~Database() {
  for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
  sqlite3_close_v2(db_);
}

void Database::fail(std::string_view action, std::string_view sql) const {
  std::string message = path_ + ": " + std::string(action) + ": " + sqlite3_errmsg(db_) + quoted_sql(sql);
  throw Error(sqlite3_extended_errcode(db_), message);
}

void Database::exec(const char* sql) {
  char* error = nullptr;
  int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &error);
  if (rc == SQLITE_OK) return;
  std::string message = error ? error : sqlite3_errstr(rc);
  sqlite3_free(error);
  throw Error(rc, path_ + ": " + message + quoted_sql(sql));
}

Statement Database::prepare(std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db_, sql.data(), int(sql.size()), &stmt, nullptr) != SQLITE_OK) fail("prepare", sql);
  return Statement(*this, stmt, false);
}

Statement Database::cached(const char* static_sql) {
  auto it = cache_.find(static_sql);
  if (it == cache_.end()) {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v3(db_, static_sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr) != SQLITE_OK)
      fail("prepare", static_sql);
    it = cache_.emplace(static_sql, stmt).first;
  }
  return Statement(*this, it->second, true);
}

int64_t Database::last_insert_id() const { return sqlite3_last_insert_rowid(db_); }
int Database::changes() const { return sqlite3_changes(db_); }

void Database::run_transaction(const char* begin, const std::function<void()>& fn) {
  exec(begin);
  try {
    fn();
    exec("COMMIT");
  } catch (...) {
    rollback();
    throw;
  }
}

void Database::transaction(const std::function<void()>& fn) { run_transaction("BEGIN IMMEDIATE", fn); }
void Database::snapshot(const std::function<void()>& fn) { run_transaction("BEGIN", fn); }
void Database::rollback() noexcept { sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr); }

int64_t Database::pragma_int64(const char* pragma) { return cached(pragma).single_int64(); }
int64_t Database::user_version() { return pragma_int64("PRAGMA user_version"); }
int64_t Database::data_version() { return pragma_int64("PRAGMA data_version"); }

void Database::migrate(const std::vector<std::string>& migrations) {
  int64_t have = user_version();
  if (have > int64_t(migrations.size()))
    throw Error(0, path_ + ": database schema version " + std::to_string(have) +
                       " is newer than this kurier understands (" + std::to_string(migrations.size()) + ")");
  for (size_t v = size_t(have); v < migrations.size(); ++v) {
    transaction([&] {
      exec(migrations[v]);
      exec("PRAGMA user_version = " + std::to_string(v + 1));
    });
  }
}

}  // namespace kurier::sql
