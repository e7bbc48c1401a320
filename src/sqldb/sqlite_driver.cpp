// SQLite connections for the SQL layer (see sqlite_driver.h).
#include "sqldb/sqlite_driver.h"

#include <unordered_map>

#include "common/sqlite.h"
#include "sqldb/dialect.h"

namespace kurier::sqldb {
namespace {

[[noreturn]] void rethrow(const sql::Error& e) {
  if (e.is_unique_violation()) throw Error(Error::unique_violation, e.what());
  if (e.is_constraint()) throw Error(Error::constraint, e.what());
  if (e.is_busy()) throw Error(Error::retry, e.what());
  throw Error(Error::other, e.what());
}

// Runs fn, turning SQLite's errors into the layer's.
template <class F>
auto translated(F&& fn) -> decltype(fn()) {
  try {
    return fn();
  } catch (const sql::Error& e) {
    rethrow(e);
  }
}

class SqliteStatement final : public Statement {
 public:
  SqliteStatement(sql::Database& db, sql::Statement st) : db_(db), st_(std::move(st)) {}

  void bind_int64(int i, int64_t v) override { translated([&] { st_.bind(i, v); }); }
  void bind_text(int i, std::string_view v) override { translated([&] { st_.bind(i, v); }); }
  void bind_blob(int i, std::string_view v) override { translated([&] { st_.bind_blob(i, v); }); }
  void bind_null(int i) override { translated([&] { st_.bind_null(i); }); }
  bool step() override {
    if (done_) return false;  // SQLite would run a finished statement again
    bool row = translated([&] { return st_.step(); });
    if (!row) {
      done_ = true;
      changes_ = db_.changes();
    }
    return row;
  }
  int64_t int64(int col) const override { return st_.int64(col); }
  std::string text(int col) const override { return st_.text(col); }
  std::string blob(int col) const override { return st_.blob(col); }
  bool is_null(int col) const override { return st_.is_null(col); }
  int64_t affected_rows() const override { return changes_; }
  void reset() override {
    st_.reset();
    done_ = false;
    changes_ = 0;
  }

 private:
  sql::Database& db_;
  sql::Statement st_;
  bool done_ = false;
  int64_t changes_ = 0;
};

class SqliteConnection final : public Connection {
 public:
  explicit SqliteConnection(const std::string& path) : db_(translated([&] { return open(path); })) {}

  Dialect dialect() const override { return Dialect::sqlite; }

  Statement& statement(const std::string& neutral_sql) override {
    auto it = cache_.find(neutral_sql);
    if (it == cache_.end()) {
      auto st = translated([&] { return db_->prepare(native_sql(Dialect::sqlite, neutral_sql)); });
      it = cache_.emplace(neutral_sql, std::make_unique<SqliteStatement>(*db_, std::move(st))).first;
    }
    return *it->second;
  }

  void exec(std::string_view neutral_sql) override {
    std::string native = native_sql(Dialect::sqlite, neutral_sql);
    translated([&] { db_->exec(native); });
  }

  void begin() override { exec(begin_sql(Dialect::sqlite)); }
  void commit() override { exec("COMMIT"); }
  void rollback() noexcept override { db_->rollback(); }
  int64_t last_insert_id() override { return db_->last_insert_id(); }
  bool usable() const override { return true; }

 private:
  static std::unique_ptr<sql::Database> open(const std::string& path) {
    return std::make_unique<sql::Database>(path);
  }

  std::unique_ptr<sql::Database> db_;
  std::unordered_map<std::string, std::unique_ptr<SqliteStatement>> cache_;
};

}  // namespace

std::unique_ptr<Connection> open_sqlite(const std::string& path) {
  return std::make_unique<SqliteConnection>(path);
}

}  // namespace kurier::sqldb
