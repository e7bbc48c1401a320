// kurier's dialect-neutral SQL layer: what the directory (and later the mail store and queue)
// needs from a database, the same over SQLite, PostgreSQL and MariaDB.
//
//   Connection  one session with the database: prepare (cached per connection), bind, step,
//               read, transactions. Drivers implement it (sqlite_driver.cpp, ...).
//   Cursor      a prepared statement in use; it is reset when the cursor goes away.
//   Pool        connections shared by threads, with the one retry loop (pool.h).
//   dialect.h   every difference between the SQL dialects, in one place.
//
// Callers write neutral SQL: `?` placeholders, and {tokens} for the few things the dialects spell
// differently (column types, insert-or-ignore, upsert; dialect.h lists them). There is no
// in-process lock standing in for the database's: concurrency is the database's business, and a
// transaction the database aborts (serialization failure, deadlock, busy) is run again by Pool.
//
// The namespace is sqldb because kurier::sql is src/common/sqlite.h, the SQLite layer the store
// and queue use directly (and this layer's SQLite driver wraps).
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace kurier::sqldb {

enum class Dialect { sqlite, postgresql, mariadb };
std::string_view dialect_name(Dialect d);

class Error : public std::runtime_error {
 public:
  enum Kind {
    other,
    unique_violation,  // a UNIQUE or PRIMARY KEY constraint
    constraint,        // another constraint (foreign key, check, not null)
    retry,             // the database aborted the transaction: run it again (serialization, deadlock, busy)
    connection,        // the connection is gone or could not be made (server restarting, network)
  };
  Error(Kind kind, const std::string& what) : std::runtime_error(what), kind_(kind) {}
  Kind kind() const { return kind_; }
  bool is_constraint() const { return kind_ == unique_violation || kind_ == constraint; }

 private:
  Kind kind_;
};

// Marks bytes to bind as a BLOB (BYTEA, LONGBLOB) rather than text.
struct Blob {
  std::string_view bytes;
};

// A prepared statement of one connection, as a driver implements it. Binds are 1-based.
class Statement {
 public:
  virtual ~Statement() = default;
  virtual void bind_int64(int index, int64_t v) = 0;
  virtual void bind_text(int index, std::string_view v) = 0;
  virtual void bind_blob(int index, std::string_view v) = 0;
  virtual void bind_null(int index) = 0;
  virtual bool step() = 0;  // runs it on the first call; true while a row is available
  virtual int64_t int64(int col) const = 0;  // 0-based columns
  virtual std::string text(int col) const = 0;
  virtual std::string blob(int col) const = 0;
  virtual bool is_null(int col) const = 0;
  virtual int64_t affected_rows() const = 0;  // rows an INSERT/UPDATE/DELETE changed, once run
  virtual void reset() = 0;                   // ready to bind and run again; bindings cleared
};

// A cached statement in use: binds its arguments, reads rows, and resets the statement when it
// goes away so the next user finds it clean.
class Cursor {
 public:
  explicit Cursor(Statement& st) : st_(&st) {}
  ~Cursor() {
    if (st_) st_->reset();
  }
  Cursor(Cursor&& o) noexcept : st_(std::exchange(o.st_, nullptr)) {}
  Cursor(const Cursor&) = delete;
  Cursor& operator=(const Cursor&) = delete;

  template <class... Args>
  Cursor& bind_all(const Args&... args) {
    int i = 1;
    (bind_one(i++, args), ...);
    return *this;
  }
  bool step() { return st_->step(); }
  // Steps to completion (statements without rows); returns the rows changed.
  int64_t run() {
    while (st_->step()) {
    }
    return st_->affected_rows();
  }
  int64_t int64(int col) const { return st_->int64(col); }
  std::string text(int col) const { return st_->text(col); }
  std::string blob(int col) const { return st_->blob(col); }
  bool is_null(int col) const { return st_->is_null(col); }

 private:
  template <class T, class = std::enable_if_t<std::is_integral_v<T>>>
  void bind_one(int i, T v) { st_->bind_int64(i, static_cast<int64_t>(v)); }
  void bind_one(int i, const std::string& v) { st_->bind_text(i, v); }
  void bind_one(int i, std::string_view v) { st_->bind_text(i, v); }
  void bind_one(int i, const char* v) { st_->bind_text(i, v); }
  void bind_one(int i, Blob v) { st_->bind_blob(i, v.bytes); }
  void bind_one(int i, std::nullopt_t) { st_->bind_null(i); }
  template <class T>
  void bind_one(int i, const std::optional<T>& v) { v ? bind_one(i, *v) : st_->bind_null(i); }

  Statement* st_;
};

// One session with a database. Used by one thread at a time (Pool hands it out).
class Connection {
 public:
  virtual ~Connection() = default;
  virtual Dialect dialect() const = 0;

  // The connection's prepared statement for this neutral SQL, translated (dialect.h) and
  // prepared on first use, then kept for the connection's life. One user per text at a time.
  virtual Statement& statement(const std::string& neutral_sql) = 0;
  // Runs neutral SQL without parameters (schema changes); several statements separated by ';'.
  virtual void exec(std::string_view neutral_sql) = 0;

  // Transactions. begin() starts one at the isolation that makes a read-then-write safe
  // (dialect.h: begin_sql); the database may abort it with Error::retry, and Pool runs it again.
  virtual void begin() = 0;
  virtual void commit() = 0;
  virtual void rollback() noexcept = 0;

  // The id the last INSERT on this connection generated (for dialects without RETURNING).
  virtual int64_t last_insert_id() = 0;
  // False once the connection failed in a way that leaves it unusable; Pool drops it.
  virtual bool usable() const = 0;

  // Convenience over statement(): bind the arguments and hand back the cursor.
  template <class... Args>
  Cursor query(const std::string& neutral_sql, const Args&... args) {
    Cursor c(statement(neutral_sql));
    c.bind_all(args...);
    return c;
  }
  // Runs a statement without rows; returns the rows changed.
  template <class... Args>
  int64_t run(const std::string& neutral_sql, const Args&... args) {
    return query(neutral_sql, args...).run();
  }
  // An INSERT into a table whose key is the generated column `id`; returns the new id
  // (RETURNING where the dialect has it, the driver's last insert id otherwise).
  template <class... Args>
  int64_t insert(const std::string& neutral_insert, const Args&... args) {
    if (!has_returning()) {
      run(neutral_insert, args...);
      return last_insert_id();
    }
    Cursor c = query(neutral_insert + " RETURNING id", args...);
    if (!c.step()) throw Error(Error::other, "INSERT returned no id: " + neutral_insert);
    return c.int64(0);
  }
  // The first column of the first row, or nullopt when there is no row.
  template <class... Args>
  std::optional<int64_t> scalar(const std::string& neutral_sql, const Args&... args) {
    Cursor c = query(neutral_sql, args...);
    if (!c.step() || c.is_null(0)) return std::nullopt;
    return c.int64(0);
  }

 private:
  bool has_returning() const;
};

}  // namespace kurier::sqldb
