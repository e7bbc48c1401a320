// kurier's one SQLite layer, over the C API: connections opened as writer or reader, RAII
// statements with typed binds and reads, a per-connection cache of prepared statements for hot
// paths, transactions, and versioned schema migrations (PRAGMA user_version). Parameterized SQL
// only. Every failure is an sql::Error carrying SQLite's extended result code and a message that
// names the database file and the SQL.
//
// A connection and its statements are used by one thread at a time: either the owner holds a
// lock around every call (directory, queue, delivery state) or one thread owns the connection
// (the store's writer thread and its pool of readers).
#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

struct sqlite3;
struct sqlite3_stmt;

namespace kurier::sql {

class Error : public std::runtime_error {
 public:
  Error(int code, const std::string& what) : std::runtime_error(what), code_(code) {}
  int code() const { return code_; }  // extended result code, e.g. SQLITE_CONSTRAINT_UNIQUE
  bool is_constraint() const;
  bool is_unique_violation() const;  // a UNIQUE or PRIMARY KEY constraint
  bool is_busy() const;

 private:
  int code_;
};

// Marks bytes to bind as a BLOB rather than TEXT (for bind_all and Database::query).
struct Blob {
  std::string_view bytes;
};

class Database;

// One prepared statement. From Database::prepare it is owned and finalized when destroyed; from
// Database::cached/query it is the connection's cached statement, reset and cleared when
// destroyed, so it is ready for the next use. Text and blobs are bound as copies.
class Statement {
 public:
  ~Statement();
  Statement(Statement&& other) noexcept
      : db_(other.db_), stmt_(std::exchange(other.stmt_, nullptr)), cached_(other.cached_) {}
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  // Binds are 1-based like SQLite's; bind() returns *this so calls chain.
  Statement& bind(int index, int64_t v);
  Statement& bind(int index, std::string_view v);
  Statement& bind_blob(int index, std::string_view v);
  Statement& bind_null(int index);
  // Binds ?1..?N from the arguments: integers, strings, Blob, std::optional (empty is NULL).
  template <class... Args>
  Statement& bind_all(const Args&... args) {
    int i = 1;
    (bind_one(i++, args), ...);
    return *this;
  }

  bool step();  // true while a row is available
  void run();   // step to completion, for statements without rows
  void reset();  // ready to bind and run again

  int64_t int64(int col) const;
  std::string text(int col) const;
  std::string blob(int col) const;
  bool is_null(int col) const;
  // For single-value queries: the first column of the first row; throws if there is no row.
  int64_t single_int64();

 private:
  friend class Database;
  Statement(Database& db, sqlite3_stmt* stmt, bool cached) : db_(db), stmt_(stmt), cached_(cached) {}
  [[noreturn]] void fail(std::string_view action) const;

  template <class T, class = std::enable_if_t<std::is_integral_v<T>>>
  void bind_one(int i, T v) { bind(i, static_cast<int64_t>(v)); }
  void bind_one(int i, const std::string& v) { bind(i, std::string_view(v)); }
  void bind_one(int i, std::string_view v) { bind(i, v); }
  void bind_one(int i, const char* v) { bind(i, std::string_view(v)); }
  void bind_one(int i, Blob v) { bind_blob(i, v.bytes); }
  void bind_one(int i, std::nullopt_t) { bind_null(i); }
  template <class T>
  void bind_one(int i, const std::optional<T>& v) { v ? bind_one(i, *v) : (void)bind_null(i); }

  Database& db_;
  sqlite3_stmt* stmt_;
  bool cached_;
};

class Database {
 public:
  enum class Role {
    writer,  // creates the file; WAL, so readers run beside the one writer
    reader,  // PRAGMA query_only: this connection can never write
  };
  enum class Sync {
    full,    // a commit is on disk when it returns (synchronous=FULL, the default)
    normal,  // WAL synced at checkpoints only: a power loss may drop the last commits
  };
  struct Options {
    Role role = Role::writer;
    Sync sync = Sync::full;  // writers only
    // One thread owns the connection (SQLITE_OPEN_NOMUTEX) instead of SQLite's own mutex.
    bool single_thread = false;
    // PRAGMA mmap_size=256 MiB: reads map the main file instead of a pread(2) per page.
    bool memory_map = false;
  };

  // Opens the file with foreign keys on, extended result codes and a busy timeout, so the CLI
  // and the server can use one database concurrently.
  explicit Database(const std::string& path) : Database(path, Options{}) {}
  Database(const std::string& path, const Options& options);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  void exec(const char* sql);  // one or more statements without parameters
  void exec(const std::string& sql) { exec(sql.c_str()); }
  // A statement of its own, finalized with the returned object (SQL built at run time).
  Statement prepare(std::string_view sql);
  // The connection's statement for this SQL text, prepared once (SQLITE_PREPARE_PERSISTENT) and
  // found again by the ADDRESS of the text: pass only text with static storage (a literal or a
  // constexpr array), and use one statement of a given text at a time.
  Statement cached(const char* static_sql);
  template <class... Args>
  Statement query(const char* static_sql, const Args&... args) {
    Statement st = cached(static_sql);
    st.bind_all(args...);
    return st;
  }

  int64_t last_insert_id() const;
  int changes() const;
  const std::string& path() const { return path_; }

  // Runs fn inside BEGIN IMMEDIATE … COMMIT, rolling back if it throws.
  void transaction(const std::function<void()>& fn);
  // Runs fn inside BEGIN … COMMIT, so its reads see one snapshot of the database (WAL).
  void snapshot(const std::function<void()>& fn);
  void rollback() noexcept;  // ROLLBACK, ignoring errors (there may be no transaction left)

  // Applies migrations[i] for every version above the stored user_version, each in its own
  // transaction, so a database from any earlier version is brought up to date at open.
  void migrate(const std::vector<std::string>& migrations);
  int64_t user_version();
  // PRAGMA data_version: changes when another connection (e.g. the CLI) commits.
  int64_t data_version();

 private:
  friend class Statement;
  void configure(const Options& options);
  [[noreturn]] void fail(std::string_view action, std::string_view sql) const;
  void run_transaction(const char* begin, const std::function<void()>& fn);
  int64_t pragma_int64(const char* pragma);

  sqlite3* db_ = nullptr;
  std::string path_;
  std::unordered_map<const char*, sqlite3_stmt*> cache_;
};

}  // namespace kurier::sql
