// The SQLite driver behind the SQL layer: statements, errors by kind, ids, migrations and the
// retry of a writer that finds the database locked (sqldb/sqlite_driver.h, migrate.h).
#include <gtest/gtest.h>

#include <thread>

#include "sqldb/dialect.h"
#include "sqldb/migrate.h"
#include "sqldb/pool.h"
#include "sqldb/sqlite_driver.h"
#include "../temp_dir.h"

using namespace kurier::sqldb;

namespace {

class SqliteDriverTest : public ::testing::Test {
 protected:
  std::string path() const { return (tmp_.path() / "t.db").string(); }
  std::unique_ptr<Pool> pool(size_t size = 4) {
    std::string p = path();
    return std::make_unique<Pool>(Dialect::sqlite, [p] { return open_sqlite(p); }, size);
  }
  kurier::testing::TempDir tmp_{"kurier-sqldb"};
};

const std::vector<Migration> kSchema = {
    {{"CREATE TABLE items (id {id}, name {nocase} NOT NULL UNIQUE, body {blob}, n {int} NOT NULL DEFAULT 0)"}},
    {{"CREATE TABLE counters (id {int} PRIMARY KEY, value {int} NOT NULL)"},
     {"INSERT INTO counters (id, value) VALUES (1, 0)"}},
};

}  // namespace

TEST_F(SqliteDriverTest, BindStepReadAndIds) {
  auto p = pool();
  migrate(*p, "test", kSchema);
  int64_t a = p->write([](Connection& c) { return c.insert("INSERT INTO items (name, body) VALUES (?, ?)", "Alpha", Blob{std::string_view("\0x", 2)}); });
  int64_t b = p->write([](Connection& c) { return c.insert("INSERT INTO items (name, n) VALUES (?, ?)", "beta", 7); });
  EXPECT_GT(b, a);
  p->read([&](Connection& c) {
    auto st = c.query("SELECT id, name, body, n FROM items WHERE name = ?", "ALPHA");  // {nocase}
    ASSERT_TRUE(st.step());
    EXPECT_EQ(st.int64(0), a);
    EXPECT_EQ(st.text(1), "Alpha");
    EXPECT_EQ(st.blob(2), std::string("\0x", 2));
    EXPECT_FALSE(st.step());
    EXPECT_FALSE(st.step());  // a finished statement is not run again
  });
  p->read([&](Connection& c) {
    EXPECT_TRUE(c.query("SELECT body FROM items WHERE id = ?", b).step());
    auto st = c.query("SELECT body FROM items WHERE id = ?", b);  // the same statement, reset and rebound
    ASSERT_TRUE(st.step());
    EXPECT_TRUE(st.is_null(0));
    EXPECT_EQ(c.scalar("SELECT n FROM items WHERE id = ?", b), 7);
    EXPECT_EQ(c.scalar("SELECT n FROM items WHERE id = ?", 999), std::nullopt);
    EXPECT_EQ(c.run("UPDATE items SET n = n + 1"), 2);
  });
}

TEST_F(SqliteDriverTest, ConstraintViolationsHaveTheirKind) {
  auto p = pool();
  migrate(*p, "test", kSchema);
  p->write([](Connection& c) { c.run("INSERT INTO items (name) VALUES (?)", "x"); });
  try {
    p->write([](Connection& c) { c.run("INSERT INTO items (name) VALUES (?)", "X"); });
    FAIL() << "a case-insensitive duplicate was stored";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), Error::unique_violation);
  }
  try {
    p->write([](Connection& c) { c.run("INSERT INTO items (name) VALUES (?)", std::nullopt); });
    FAIL() << "NULL stored in a NOT NULL column";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), Error::constraint);
  }
  // The failed transactions were rolled back: only the first row is there.
  EXPECT_EQ(p->read([](Connection& c) { return c.scalar("SELECT count(*) FROM items"); }), 1);
}

TEST_F(SqliteDriverTest, MigrationsRunOnceAndInOrder) {
  {
    auto p = pool();
    migrate(*p, "test", {kSchema[0]});
    EXPECT_EQ(p->read([](Connection& c) { return schema_version(c, "test"); }), 1);
  }
  auto p = pool();
  migrate(*p, "test", kSchema);
  migrate(*p, "test", kSchema);  // nothing left to do: the INSERT does not run twice
  EXPECT_EQ(p->read([](Connection& c) { return c.scalar("SELECT count(*) FROM counters"); }), 1);
  EXPECT_EQ(p->read([](Connection& c) { return schema_version(c, "test"); }), 2);
}

TEST_F(SqliteDriverTest, ReservedIdsAreSkippedAndNeverLowered) {
  auto p = pool();
  migrate(*p, "test", kSchema);
  p->write([](Connection& c) { reserve_ids(c, "items", 41); });
  EXPECT_EQ(p->write([](Connection& c) { return c.insert("INSERT INTO items (name) VALUES ('a')"); }), 42);
  p->write([](Connection& c) { reserve_ids(c, "items", 5); });
  EXPECT_EQ(p->write([](Connection& c) { return c.insert("INSERT INTO items (name) VALUES ('b')"); }), 43);
}

// Writers on several connections (and so several threads) contend for SQLite's one write lock;
// each read-modify-write transaction is still applied exactly once, with no lock of ours.
TEST_F(SqliteDriverTest, ConcurrentWritersEachApplyOnce) {
  auto p = pool(4);
  migrate(*p, "test", kSchema);
  constexpr int kThreads = 4, kEach = 50;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < kEach; ++i)
        p->write([](Connection& c) {
          int64_t v = *c.scalar("SELECT value FROM counters WHERE id = 1");
          c.run("UPDATE counters SET value = ? WHERE id = 1", v + 1);
        });
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(p->read([](Connection& c) { return c.scalar("SELECT value FROM counters WHERE id = 1"); }),
            kThreads * kEach);
}
