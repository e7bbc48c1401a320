// The MariaDB and PostgreSQL drivers against real servers (KURIER_TEST_MARIADB_DSN,
// KURIER_TEST_POSTGRESQL_DSN and their _CA certificate; tests/integration/db_support.py starts
// them): TLS as the DSN asks, error kinds, blobs, and a pool that survives its connection being
// killed. Skipped without a server.
#include <gtest/gtest.h>

#include <cstdlib>

#include "sqldb/dialect.h"
#include "sqldb/dsn.h"
#include "sqldb/mariadb_driver.h"
#include "sqldb/pool.h"
#include "sqldb/postgresql_driver.h"

using namespace kurier::sqldb;

namespace {

class ServerDriver : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    std::string prefix = GetParam() == "mariadb" ? "KURIER_TEST_MARIADB_" : "KURIER_TEST_POSTGRESQL_";
    const char* dsn = std::getenv((prefix + "DSN").c_str());
    const char* ca = std::getenv((prefix + "CA").c_str());
    if (!dsn || !*dsn) GTEST_SKIP() << "no " << GetParam() << " server (see tests/integration/db_support.py)";
    dsn_ = dsn;
    ca_ = ca ? ca : "";
    auto c = connect(dsn_);
    if (!setup_sql(c->dialect()).empty()) c->exec(setup_sql(c->dialect()));
    c->exec("DROP TABLE IF EXISTS driver_test");
    c->exec("CREATE TABLE driver_test (id {id}, name {nocase} NOT NULL UNIQUE, body {blob}, n {int}) {table}");
  }

  std::unique_ptr<Connection> connect(const std::string& text) {
    Dsn d = parse_dsn(text);
    return d.dialect == Dialect::mariadb ? open_mariadb(d) : open_postgresql(d);
  }

  std::string with(const std::string& params) {
    return dsn_ + (dsn_.find('?') == std::string::npos ? "?" : "&") + params;
  }

  // Whether this connection is encrypted, as the server sees it.
  bool encrypted(Connection& c) {
    if (c.dialect() == Dialect::postgresql)
      return c.scalar("SELECT count(*) FROM pg_stat_ssl WHERE pid = pg_backend_pid() AND ssl").value_or(0) == 1;
    auto st = c.query("SELECT variable_value FROM information_schema.session_status WHERE variable_name = 'SSL_CIPHER'");
    return st.step() && !st.text(0).empty();
  }

  std::string dsn_, ca_;
};

TEST_P(ServerDriver, TlsWhenTheDsnAsksForIt) {
  EXPECT_FALSE(encrypted(*connect(with("sslmode=disable"))));
  EXPECT_TRUE(encrypted(*connect(with("sslmode=require"))));
  ASSERT_FALSE(ca_.empty());
  EXPECT_TRUE(encrypted(*connect(with("sslmode=verify-full&sslrootcert=" + ca_))));
  // A certificate that does not match the CA is refused when verifying.
  EXPECT_THROW(connect(with("sslmode=verify-ca&sslrootcert=/etc/ssl/certs/ca-certificates.crt")), Error);
}

TEST_P(ServerDriver, StatementsBlobsIdsAndErrorKinds) {
  auto c = connect(dsn_);
  const std::string bytes("\0\x01\xff'\"\\ ok", 10);
  int64_t a = c->insert("INSERT INTO driver_test (name, body, n) VALUES (?, ?, ?)", "Alpha", Blob{bytes}, 5'000'000'000LL);
  int64_t b = c->insert("INSERT INTO driver_test (name) VALUES (?)", std::string(300, 'x').substr(0, 255));
  EXPECT_GT(b, a);
  {
    auto st = c->query("SELECT id, name, body, n FROM driver_test WHERE name = ?", "ALPHA");
    ASSERT_TRUE(st.step());
    EXPECT_EQ(st.int64(0), a);
    EXPECT_EQ(st.text(1), "Alpha");
    EXPECT_EQ(st.blob(2), bytes);
    EXPECT_EQ(st.int64(3), 5'000'000'000LL);
    EXPECT_FALSE(st.step());
  }
  {
    auto st = c->query("SELECT name, body, n FROM driver_test WHERE id = ?", b);
    ASSERT_TRUE(st.step());
    EXPECT_EQ(st.text(0).size(), 255u);  // longer than the first fetch buffer
    EXPECT_TRUE(st.is_null(1));
    EXPECT_TRUE(st.is_null(2));
  }
  EXPECT_EQ(c->run("UPDATE driver_test SET n = ? WHERE id = ?", 5'000'000'000LL, a), 1);  // matched, unchanged
  EXPECT_EQ(c->run("DELETE FROM driver_test WHERE id = ?", 999999), 0);
  try {
    c->run("INSERT INTO driver_test (name) VALUES (?)", "alpha");
    FAIL() << "duplicate stored";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), Error::unique_violation) << e.what();
  }
  try {
    c->run("INSERT INTO driver_test (name) VALUES (?)", std::nullopt);
    FAIL() << "NULL stored";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), Error::constraint) << e.what();
  }
  EXPECT_THROW(c->run("SELECT nonsense FROM nowhere"), Error);
  EXPECT_TRUE(c->usable());
}

TEST_P(ServerDriver, APoolSurvivesItsConnectionBeingKilled) {
  std::string text = dsn_;
  Dialect dialect = parse_dsn(text).dialect;
  Pool pool(dialect, [this] { return connect(dsn_); }, 2);
  int64_t before = pool.read([&](Connection& c) {
    return *c.scalar(dialect == Dialect::mariadb ? "SELECT CONNECTION_ID()" : "SELECT pg_backend_pid()");
  });
  auto killer = connect(dsn_);
  if (dialect == Dialect::mariadb)
    killer->exec("KILL " + std::to_string(before));
  else
    killer->query("SELECT pg_terminate_backend(?)", before).step();
  // The next call finds its connection dead, replaces it, and runs once more.
  int64_t after = pool.read([&](Connection& c) {
    return *c.scalar(dialect == Dialect::mariadb ? "SELECT CONNECTION_ID()" : "SELECT pg_backend_pid()");
  });
  EXPECT_NE(after, before);
  pool.write([](Connection& c) { c.run("INSERT INTO driver_test (name) VALUES (?)", "after"); });
  EXPECT_EQ(pool.read([](Connection& c) { return c.scalar("SELECT count(*) FROM driver_test"); }), 1);
}

INSTANTIATE_TEST_SUITE_P(Servers, ServerDriver, ::testing::Values("mariadb", "postgresql"),
                         [](const auto& info) { return info.param; });

}  // namespace
