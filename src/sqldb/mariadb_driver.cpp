// MariaDB connections for the SQL layer (see mariadb_driver.h).
#include "sqldb/mariadb_driver.h"

#include <mysql.h>

#include <charconv>
#include <cstring>
#include <unordered_map>
#include <vector>

#include "sqldb/dialect.h"

namespace kurier::sqldb {
namespace {

Error::Kind kind_of(unsigned code) {
  switch (code) {
    case 1062:  // ER_DUP_ENTRY
    case 1586:  // ER_DUP_ENTRY_WITH_KEY_NAME
      return Error::unique_violation;
    case 1048:  // ER_BAD_NULL_ERROR
    case 1451:  // ER_ROW_IS_REFERENCED_2
    case 1452:  // ER_NO_REFERENCED_ROW_2
    case 4025:  // ER_CONSTRAINT_FAILED (CHECK)
      return Error::constraint;
    case 1205:  // ER_LOCK_WAIT_TIMEOUT
    case 1213:  // ER_LOCK_DEADLOCK
      return Error::retry;
    case 1053:  // ER_SERVER_SHUTDOWN
    case 1927:  // ER_CONNECTION_KILLED
    case 2002:  // CR_CONNECTION_ERROR
    case 2003:  // CR_CONN_HOST_ERROR
    case 2006:  // CR_SERVER_GONE_ERROR
    case 2013:  // CR_SERVER_LOST
    case 2055:  // CR_SERVER_LOST_EXTENDED
    case 4031:  // ER_CLIENT_INTERACTION_TIMEOUT
      return Error::connection;
    default:
      return Error::other;
  }
}

bool is_connection_loss(unsigned code) { return kind_of(code) == Error::connection; }

class MariaConnection;

class MariaStatement final : public Statement {
 public:
  MariaStatement(MariaConnection& conn, MYSQL_STMT* stmt, std::string sql);
  ~MariaStatement() override { mysql_stmt_close(stmt_); }

  void bind_int64(int i, int64_t v) override {
    Param& p = slot(i);
    p.type = MYSQL_TYPE_LONGLONG;
    p.number = v;
  }
  void bind_text(int i, std::string_view v) override { set_bytes(slot(i), MYSQL_TYPE_STRING, v); }
  void bind_blob(int i, std::string_view v) override { set_bytes(slot(i), MYSQL_TYPE_BLOB, v); }
  void bind_null(int i) override { slot(i).type = MYSQL_TYPE_NULL; }
  bool step() override;
  int64_t int64(int col) const override {
    const std::string& v = columns_.at(size_t(col)).bytes;
    int64_t n = 0;
    std::from_chars(v.data(), v.data() + v.size(), n);  // NULL reads as 0
    return n;
  }
  std::string text(int col) const override { return columns_.at(size_t(col)).bytes; }
  std::string blob(int col) const override { return columns_.at(size_t(col)).bytes; }
  bool is_null(int col) const override { return columns_.at(size_t(col)).null; }
  int64_t affected_rows() const override { return affected_; }
  void reset() override {
    if (executed_) mysql_stmt_free_result(stmt_);
    executed_ = false;
    for (auto& p : params_) p = Param{};
    affected_ = 0;
  }

 private:
  struct Param {
    enum_field_types type = MYSQL_TYPE_NULL;
    long long number = 0;
    std::string bytes;
  };
  struct Column {
    std::string bytes;
    unsigned long length = 0;
    my_bool null = 0;
    my_bool error = 0;
  };

  Param& slot(int i) {
    if (i < 1 || size_t(i) > params_.size()) throw Error(Error::other, "no parameter " + std::to_string(i) + " in: " + sql_);
    return params_[size_t(i) - 1];
  }
  static void set_bytes(Param& p, enum_field_types type, std::string_view v) {
    p.type = type;
    p.bytes.assign(v.data(), v.size());
  }
  void execute();
  bool fetch();
  [[noreturn]] void fail();

  MariaConnection& conn_;
  MYSQL_STMT* stmt_;
  std::string sql_;
  std::vector<Param> params_;
  std::vector<Column> columns_;
  bool executed_ = false;
  int64_t affected_ = 0;
};

class MariaConnection final : public Connection {
 public:
  explicit MariaConnection(const Dsn& dsn) : mysql_(mysql_init(nullptr)) {
    if (!mysql_) throw Error(Error::connection, "mariadb: out of memory");
    configure(dsn);
    const char* host = dsn.host.empty() ? nullptr : dsn.host.c_str();
    const char* socket = dsn.socket.empty() ? nullptr : dsn.socket.c_str();
    if (!mysql_real_connect(mysql_, host, dsn.user.c_str(), dsn.password.c_str(), dsn.database.c_str(), dsn.port,
                            socket, CLIENT_FOUND_ROWS)) {
      std::string why = mysql_error(mysql_);
      mysql_close(mysql_);
      throw Error(Error::connection, "mariadb " + redacted(dsn) + ": " + why);
    }
    try {
      for (auto sql : session_setup(Dialect::mariadb)) exec(sql);
    } catch (...) {
      mysql_close(mysql_);
      throw;
    }
  }
  ~MariaConnection() override {
    cache_.clear();
    mysql_close(mysql_);
  }

  Dialect dialect() const override { return Dialect::mariadb; }

  Statement& statement(const std::string& neutral_sql) override {
    auto it = cache_.find(neutral_sql);
    if (it == cache_.end()) {
      std::string native = native_sql(Dialect::mariadb, neutral_sql);
      MYSQL_STMT* stmt = mysql_stmt_init(mysql_);
      if (!stmt) fail(native);
      if (mysql_stmt_prepare(stmt, native.data(), native.size()) != 0) {
        unsigned code = mysql_stmt_errno(stmt);
        std::string message = mysql_stmt_error(stmt);
        mysql_stmt_close(stmt);
        fail(code, message, native);
      }
      it = cache_.emplace(neutral_sql, std::make_unique<MariaStatement>(*this, stmt, native)).first;
    }
    return *it->second;
  }

  void exec(std::string_view neutral_sql) override {
    std::string native = native_sql(Dialect::mariadb, neutral_sql);
    if (mysql_real_query(mysql_, native.data(), native.size()) != 0) fail(native);
    if (MYSQL_RES* r = mysql_store_result(mysql_)) mysql_free_result(r);
  }

  void begin() override { exec(begin_sql(Dialect::mariadb)); }
  void commit() override { exec("COMMIT"); }
  void rollback() noexcept override {
    if (!lost_) mysql_rollback(mysql_);
  }
  int64_t last_insert_id() override { return last_insert_id_; }
  bool usable() const override { return !lost_; }

  void set_last_insert_id(int64_t id) { last_insert_id_ = id; }
  [[noreturn]] void fail(unsigned code, const std::string& message, std::string_view sql) {
    if (is_connection_loss(code)) lost_ = true;
    throw Error(kind_of(code), "mariadb: " + message + " (in: " + std::string(sql) + ")");
  }

 private:
  [[noreturn]] void fail(std::string_view sql) { fail(mysql_errno(mysql_), mysql_error(mysql_), sql); }

  void configure(const Dsn& dsn) {
    unsigned timeout = unsigned(dsn.connect_timeout);
    unsigned io_timeout = 30;  // a server that stops answering frees the thread within this
    my_bool off = 0;
    mysql_optionsv(mysql_, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
    mysql_optionsv(mysql_, MYSQL_OPT_READ_TIMEOUT, &io_timeout);
    mysql_optionsv(mysql_, MYSQL_OPT_WRITE_TIMEOUT, &io_timeout);
    mysql_optionsv(mysql_, MYSQL_OPT_RECONNECT, &off);  // the pool reconnects, knowing what was lost
    mysql_optionsv(mysql_, MYSQL_SET_CHARSET_NAME, "utf8mb4");
    const std::string& mode = dsn.sslmode;
    if (mode.empty() || mode == "disable") return;
    if (!dsn.sslrootcert.empty()) mysql_optionsv(mysql_, MYSQL_OPT_SSL_CA, dsn.sslrootcert.c_str());
    if (!dsn.sslcert.empty()) mysql_optionsv(mysql_, MYSQL_OPT_SSL_CERT, dsn.sslcert.c_str());
    if (!dsn.sslkey.empty()) mysql_optionsv(mysql_, MYSQL_OPT_SSL_KEY, dsn.sslkey.c_str());
    if (mode == "prefer") return;  // Connector/C uses TLS when the server offers it
    my_bool on = 1;
    mysql_optionsv(mysql_, MYSQL_OPT_SSL_ENFORCE, &on);
    // verify-ca and verify-full: the chain (against sslrootcert) and the host name; require:
    // encryption only.
    my_bool verify = mode != "require";
    mysql_optionsv(mysql_, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &verify);
  }

  MYSQL* mysql_;
  bool lost_ = false;
  int64_t last_insert_id_ = 0;
  std::unordered_map<std::string, std::unique_ptr<MariaStatement>> cache_;
};

MariaStatement::MariaStatement(MariaConnection& conn, MYSQL_STMT* stmt, std::string sql)
    : conn_(conn), stmt_(stmt), sql_(std::move(sql)), params_(mysql_stmt_param_count(stmt)) {}

void MariaStatement::fail() { conn_.fail(mysql_stmt_errno(stmt_), mysql_stmt_error(stmt_), sql_); }

void MariaStatement::execute() {
  std::vector<MYSQL_BIND> binds(params_.size());
  for (size_t i = 0; i < params_.size(); ++i) {
    MYSQL_BIND& b = binds[i];
    std::memset(&b, 0, sizeof b);
    Param& p = params_[i];
    b.buffer_type = p.type;
    if (p.type == MYSQL_TYPE_LONGLONG) {
      b.buffer = &p.number;
    } else if (p.type != MYSQL_TYPE_NULL) {
      b.buffer = p.bytes.data();
      b.buffer_length = p.bytes.size();
    }
  }
  if (!binds.empty() && mysql_stmt_bind_param(stmt_, binds.data()) != 0) fail();
  if (mysql_stmt_execute(stmt_) != 0) fail();
  executed_ = true;
  conn_.set_last_insert_id(int64_t(mysql_stmt_insert_id(stmt_)));
  unsigned fields = mysql_stmt_field_count(stmt_);
  if (fields == 0) {
    columns_.clear();
    affected_ = int64_t(mysql_stmt_affected_rows(stmt_));
    return;
  }
  // Buffered, so other statements of this connection may run while rows are read.
  if (mysql_stmt_store_result(stmt_) != 0) fail();
  columns_.assign(fields, Column{});
}

// Fetches the next row: every column as bytes (numbers as their decimal text), long values in a
// second pass with the length the first one reported.
bool MariaStatement::fetch() {
  std::vector<MYSQL_BIND> binds(columns_.size());
  for (size_t i = 0; i < columns_.size(); ++i) {
    MYSQL_BIND& b = binds[i];
    std::memset(&b, 0, sizeof b);
    Column& c = columns_[i];
    c.bytes.resize(64);
    b.buffer_type = MYSQL_TYPE_STRING;
    b.buffer = c.bytes.data();
    b.buffer_length = c.bytes.size();
    b.length = &c.length;
    b.is_null = &c.null;
    b.error = &c.error;
  }
  if (mysql_stmt_bind_result(stmt_, binds.data()) != 0) fail();
  int rc = mysql_stmt_fetch(stmt_);
  if (rc == MYSQL_NO_DATA) return false;
  if (rc == 1) fail();
  for (size_t i = 0; i < columns_.size(); ++i) {
    Column& c = columns_[i];
    if (c.null) {
      c.bytes.clear();
      continue;
    }
    if (c.length <= 64) {
      c.bytes.resize(c.length);
      continue;
    }
    c.bytes.assign(c.length, '\0');
    MYSQL_BIND& b = binds[i];
    b.buffer = c.bytes.data();
    b.buffer_length = c.bytes.size();
    if (mysql_stmt_fetch_column(stmt_, &b, unsigned(i), 0) != 0) fail();
  }
  return true;
}

bool MariaStatement::step() {
  if (!executed_) execute();
  if (columns_.empty()) return false;
  return fetch();
}

}  // namespace

std::unique_ptr<Connection> open_mariadb(const Dsn& dsn) { return std::make_unique<MariaConnection>(dsn); }

}  // namespace kurier::sqldb
