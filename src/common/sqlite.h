// A thin RAII layer over the SQLite C API: a database handle, prepared statements with typed
// binds and reads, transactions, and versioned schema migrations. Parameterized SQL only.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

struct sqlite3;
struct sqlite3_stmt;

namespace kurier::sql {

class Error : public std::runtime_error {
 public:
  Error(int code, const std::string& what) : std::runtime_error(what), code_(code) {}
  int code() const { return code_; }
  bool is_constraint() const;
  bool is_busy() const;

 private:
  int code_;
};

class Statement {
 public:
  Statement(sqlite3* db, std::string_view sql);
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  // Binds are 1-based like SQLite's; bind() returns *this so calls chain.
  Statement& bind(int index, int64_t v);
  Statement& bind(int index, std::string_view v);
  Statement& bind_blob(int index, std::string_view v);
  Statement& bind_null(int index);
  template <class... Args>
  Statement& bind_all(const Args&... args) {
    int i = 1;
    (bind_one(i++, args), ...);
    return *this;
  }

  bool step();       // true while a row is available
  void run();        // step to completion, for statements without rows
  void reset();      // ready to bind and run again

  int64_t int64(int col) const;
  std::string text(int col) const;
  bool is_null(int col) const;

 private:
  void bind_one(int i, int64_t v) { bind(i, v); }
  void bind_one(int i, int v) { bind(i, int64_t(v)); }
  void bind_one(int i, uint32_t v) { bind(i, int64_t(v)); }
  void bind_one(int i, uint64_t v) { bind(i, int64_t(v)); }
  void bind_one(int i, bool v) { bind(i, int64_t(v)); }
  void bind_one(int i, const std::string& v) { bind(i, std::string_view(v)); }
  void bind_one(int i, std::string_view v) { bind(i, v); }
  void bind_one(int i, const char* v) { bind(i, std::string_view(v)); }
  void bind_one(int i, std::nullopt_t) { bind_null(i); }
  template <class T>
  void bind_one(int i, const std::optional<T>& v) { v ? bind_one(i, *v) : bind_null(i); }

  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
};

class Database {
 public:
  // Opens (creating if needed) with WAL, foreign keys on, synchronous=FULL (a commit is on
  // disk when it returns) and a busy timeout so CLI and server can write concurrently.
  explicit Database(const std::string& path);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  void exec(std::string_view sql);  // one or more statements without parameters
  Statement prepare(std::string_view sql) { return Statement(db_, sql); }
  int64_t last_insert_id() const;
  int changes() const;
  sqlite3* handle() { return db_; }

  // Runs fn inside BEGIN IMMEDIATE … COMMIT, rolling back if it throws.
  void transaction(const std::function<void()>& fn);

  // Applies migrations[i] for every version above the stored user_version, each in its own
  // transaction, so a database from any earlier version is brought up to date at open.
  void migrate(const std::vector<std::string>& migrations);
  int64_t user_version();
  // PRAGMA data_version: changes when another connection (e.g. the CLI) commits.
  int64_t data_version();

 private:
  sqlite3* db_ = nullptr;
  std::string path_;
};

}  // namespace kurier::sql
