// Thin RAII layer over one SQLite connection: prepared-statement cache, typed binding and
// column access, transactions. Internal to the SQLite backend (see sqlite_mail_store.h).
// A connection is used by one thread at a time (opened with SQLITE_OPEN_NOMUTEX).
#pragma once
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>

struct sqlite3;
struct sqlite3_stmt;

namespace kurier::store {

class SqliteDb {
 public:
  enum class Role { writer, reader };
  SqliteDb(const std::filesystem::path& path, Role role);
  ~SqliteDb();
  SqliteDb(const SqliteDb&) = delete;
  SqliteDb& operator=(const SqliteDb&) = delete;

  // Runs SQL text without parameters (pragmas, BEGIN/COMMIT, migration scripts).
  void exec(const char* sql);
  // Prepared once per connection, keyed by the address of the SQL text (see sqlite_sql.h).
  sqlite3_stmt* statement(const char* sql);
  [[noreturn]] void fail(const char* action, const char* sql = nullptr) const;
  sqlite3* handle() const { return db_; }

 private:
  sqlite3* db_ = nullptr;
  std::filesystem::path path_;
  std::unordered_map<const char*, sqlite3_stmt*> cache_;
};

// Marks bytes to bind as a BLOB rather than TEXT.
struct SqlBlob {
  std::string_view bytes;
};

// One execution of a cached statement: binds ?1..?N from the constructor arguments, steps, and
// resets the statement when destroyed. Text is bound as a copy, so temporaries are fine.
class Query {
 public:
  template <class... Args>
  Query(SqliteDb& db, const char* sql, const Args&... args) : db_(db), sql_(sql),
                                                               stmt_(db.statement(sql)) {
    int index = 1;
    (bind(index++, args), ...);
  }
  ~Query();
  Query(const Query&) = delete;
  Query& operator=(const Query&) = delete;

  bool next();  // true while a row is available
  void run();   // executes a statement that returns no rows
  int64_t int64(int column) const;
  std::string text(int column) const;
  std::string blob(int column) const;
  // Convenience for single-value queries: the first column of the first row (throws if none).
  int64_t single_int64();

 private:
  void bind(int index, std::string_view value);
  void bind(int index, const std::string& value) { bind(index, std::string_view(value)); }
  void bind(int index, const char* value) { bind(index, std::string_view(value)); }
  void bind(int index, SqlBlob value);
  void bind_int64(int index, int64_t value);
  template <class T, class = std::enable_if_t<std::is_integral_v<T>>>
  void bind(int index, T value) { bind_int64(index, static_cast<int64_t>(value)); }

  SqliteDb& db_;
  const char* sql_;
  sqlite3_stmt* stmt_;
};

// BEGIN ... COMMIT on a read connection so several queries see one snapshot (WAL).
class ReadTransaction {
 public:
  explicit ReadTransaction(SqliteDb& db);
  ~ReadTransaction();

 private:
  SqliteDb& db_;
};

}  // namespace kurier::store
