// PostgreSQL connections for the SQL layer (see postgresql_driver.h).
#include "sqldb/postgresql_driver.h"

#include <libpq-fe.h>

#include <charconv>
#include <cstdlib>
#include <optional>
#include <unordered_map>
#include <vector>

#include "sqldb/dialect.h"

namespace kurier::sqldb {
namespace {

struct ResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using Result = std::unique_ptr<PGresult, ResultDeleter>;

Error::Kind kind_of(std::string_view sqlstate, bool connection_bad) {
  if (connection_bad) return Error::connection;
  if (sqlstate == "23505") return Error::unique_violation;
  if (sqlstate.substr(0, 2) == "23") return Error::constraint;
  if (sqlstate == "40001" || sqlstate == "40P01") return Error::retry;
  if (sqlstate.substr(0, 2) == "08" || sqlstate == "57P01" || sqlstate == "57P02" || sqlstate == "57P03")
    return Error::connection;
  return Error::other;
}

std::string trimmed(const char* message) {
  std::string s = message ? message : "";
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

class PgConnection;

class PgStatement final : public Statement {
 public:
  PgStatement(PgConnection& conn, std::string name, std::string sql) : conn_(conn), name_(std::move(name)), sql_(std::move(sql)) {}

  void bind_int64(int i, int64_t v) override { slot(i) = {std::to_string(v), false}; }
  void bind_text(int i, std::string_view v) override { slot(i) = {std::string(v), false}; }
  void bind_blob(int i, std::string_view v) override { slot(i) = {std::string(v), true}; }
  void bind_null(int i) override { slot(i) = {std::nullopt, false}; }
  bool step() override;
  int64_t int64(int col) const override {
    const char* v = value(col);
    int64_t n = 0;
    std::from_chars(v, v + PQgetlength(result_.get(), row_, col), n);  // NULL reads as 0
    return n;
  }
  std::string text(int col) const override {
    return std::string(value(col), size_t(PQgetlength(result_.get(), row_, col)));
  }
  std::string blob(int col) const override {
    size_t n = 0;
    unsigned char* bytes = PQunescapeBytea(reinterpret_cast<const unsigned char*>(value(col)), &n);
    if (!bytes) throw Error(Error::other, "bad bytea value");
    std::string out(reinterpret_cast<char*>(bytes), n);
    PQfreemem(bytes);
    return out;
  }
  bool is_null(int col) const override { return PQgetisnull(result_.get(), row_, col) != 0; }
  int64_t affected_rows() const override { return affected_; }
  void reset() override {
    result_.reset();
    row_ = -1;
    params_.clear();
    affected_ = 0;
  }

 private:
  struct Param {
    std::optional<std::string> value;
    bool binary = false;
  };
  Param& slot(int i) {
    if (size_t(i) > params_.size()) params_.resize(size_t(i));
    return params_[size_t(i) - 1];
  }
  const char* value(int col) const { return PQgetvalue(result_.get(), row_, col); }

  PgConnection& conn_;
  std::string name_, sql_;
  bool prepared_ = false;
  std::vector<Param> params_;
  Result result_;
  int row_ = -1;
  int64_t affected_ = 0;
};

class PgConnection final : public Connection {
 public:
  explicit PgConnection(const Dsn& dsn) {
    std::vector<std::pair<const char*, std::string>> kv = {
        {"host", dsn.socket.empty() ? dsn.host : dsn.socket},
        {"port", std::to_string(dsn.port)},
        {"dbname", dsn.database},
        {"user", dsn.user},
        {"password", dsn.password},
        {"connect_timeout", std::to_string(dsn.connect_timeout)},
        {"application_name", "kurier"},
        {"sslmode", dsn.sslmode.empty() ? "prefer" : dsn.sslmode},
        {"sslrootcert", dsn.sslrootcert},
        {"sslcert", dsn.sslcert},
        {"sslkey", dsn.sslkey},
    };
    std::vector<const char*> keys, values;
    for (auto& [k, v] : kv) {
      if (v.empty()) continue;
      keys.push_back(k);
      values.push_back(v.c_str());
    }
    keys.push_back(nullptr);
    values.push_back(nullptr);
    conn_ = PQconnectdbParams(keys.data(), values.data(), 0);
    if (!conn_ || PQstatus(conn_) != CONNECTION_OK) {
      std::string why = conn_ ? trimmed(PQerrorMessage(conn_)) : "out of memory";
      if (conn_) PQfinish(conn_);
      throw Error(Error::connection, "postgresql " + redacted(dsn) + ": " + why);
    }
    // Notices ("relation already exists, skipping") are not errors: not for the log.
    PQsetNoticeProcessor(conn_, [](void*, const char*) {}, nullptr);
    for (auto sql : session_setup(Dialect::postgresql)) exec(sql);
  }
  ~PgConnection() override {
    cache_.clear();
    PQfinish(conn_);
  }

  Dialect dialect() const override { return Dialect::postgresql; }

  Statement& statement(const std::string& neutral_sql) override {
    auto it = cache_.find(neutral_sql);
    if (it == cache_.end()) {
      std::string name = "k" + std::to_string(cache_.size() + 1);
      it = cache_.emplace(neutral_sql, std::make_unique<PgStatement>(*this, name, native_sql(Dialect::postgresql, neutral_sql)))
               .first;
    }
    return *it->second;
  }

  void exec(std::string_view neutral_sql) override {
    std::string native = native_sql(Dialect::postgresql, neutral_sql);
    Result r(PQexec(conn_, native.c_str()));
    check(r.get(), native);
  }

  void begin() override { exec(begin_sql(Dialect::postgresql)); }
  void commit() override { exec("COMMIT"); }
  void rollback() noexcept override {
    if (PQstatus(conn_) != CONNECTION_OK) return;
    PQclear(PQexec(conn_, "ROLLBACK"));
  }
  int64_t last_insert_id() override { throw Error(Error::other, "PostgreSQL returns ids by RETURNING"); }
  bool usable() const override { return PQstatus(conn_) == CONNECTION_OK; }

  PGconn* raw() { return conn_; }

  // Throws the classified error unless r is a success.
  void check(PGresult* r, std::string_view sql) {
    ExecStatusType status = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return;
    const char* state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
    std::string message = trimmed(r ? PQresultErrorMessage(r) : PQerrorMessage(conn_));
    if (message.empty()) message = trimmed(PQerrorMessage(conn_));
    bool bad = PQstatus(conn_) != CONNECTION_OK;
    throw Error(kind_of(state ? state : "", bad), "postgresql: " + message + " (in: " + std::string(sql) + ")");
  }

 private:
  PGconn* conn_ = nullptr;
  std::unordered_map<std::string, std::unique_ptr<PgStatement>> cache_;
};

bool PgStatement::step() {
  if (!result_) {
    PGconn* c = conn_.raw();
    if (!prepared_) {
      Result r(PQprepare(c, name_.c_str(), sql_.c_str(), 0, nullptr));
      conn_.check(r.get(), sql_);
      prepared_ = true;
    }
    std::vector<const char*> values(params_.size());
    std::vector<int> lengths(params_.size()), formats(params_.size());
    for (size_t i = 0; i < params_.size(); ++i) {
      values[i] = params_[i].value ? params_[i].value->data() : nullptr;
      lengths[i] = params_[i].value ? int(params_[i].value->size()) : 0;
      formats[i] = params_[i].binary ? 1 : 0;
    }
    result_.reset(PQexecPrepared(c, name_.c_str(), int(params_.size()), values.data(), lengths.data(), formats.data(), 0));
    try {
      conn_.check(result_.get(), sql_);
    } catch (...) {
      result_.reset();
      throw;
    }
    const char* tuples = PQcmdTuples(result_.get());
    affected_ = tuples && *tuples ? std::strtoll(tuples, nullptr, 10) : 0;
  }
  ++row_;
  return row_ < PQntuples(result_.get());
}

}  // namespace

std::unique_ptr<Connection> open_postgresql(const Dsn& dsn) { return std::make_unique<PgConnection>(dsn); }

}  // namespace kurier::sqldb
