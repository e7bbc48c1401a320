// The SQLite layer (common/sqlite.h): typed binds and reads, the statement cache, transactions,
// migrations, reader connections and the errors that name the file and the SQL.
#include "common/sqlite.h"

#include <gtest/gtest.h>

#include "../temp_dir.h"

namespace kurier::sql {
namespace {

class SqliteTest : public ::testing::Test {
 protected:
  std::string path() const { return (dir_.path() / "test.db").string(); }

  static Database::Options reader() {
    Database::Options options;
    options.role = Database::Role::reader;
    return options;
  }

  kurier::testing::TempDir dir_{"kurier-sqlite"};
};

constexpr char kInsert[] = "INSERT INTO t(n, s, b) VALUES(?1, ?2, ?3)";
constexpr char kSelect[] = "SELECT n, s, b FROM t WHERE n = ?1";
constexpr char kCount[] = "SELECT count(*) FROM t";

TEST_F(SqliteTest, BindsAndReadsTypedValues) {
  Database db(path());
  db.exec("CREATE TABLE t(n INTEGER, s TEXT, b BLOB)");
  std::string bytes("a\0b", 3);
  db.query(kInsert, uint64_t(7), std::string_view(), Blob{bytes}).run();
  db.query(kInsert, 8, std::optional<std::string>(), std::nullopt).run();
  auto row = db.query(kSelect, 7);
  ASSERT_TRUE(row.step());
  EXPECT_EQ(row.int64(0), 7);
  EXPECT_FALSE(row.is_null(1));  // an empty view binds '' rather than NULL
  EXPECT_EQ(row.text(1), "");
  EXPECT_EQ(row.blob(2), bytes);
  EXPECT_FALSE(row.step());
  auto other = db.prepare("SELECT s, b FROM t WHERE n = 8");
  ASSERT_TRUE(other.step());
  EXPECT_TRUE(other.is_null(0));
  EXPECT_TRUE(other.is_null(1));
}

TEST_F(SqliteTest, CachedStatementIsReusedAndResetAfterUse) {
  Database db(path());
  db.exec("CREATE TABLE t(n INTEGER, s TEXT, b BLOB)");
  for (int i = 0; i < 3; ++i) db.query(kInsert, i, "x", Blob{}).run();
  {
    auto first = db.query(kCount);
    ASSERT_TRUE(first.step());  // left on its row: the destructor resets it
  }
  // Not reset, the cached statement would step past its only row here; reset, it runs afresh
  // and sees what another connection committed meanwhile.
  EXPECT_EQ(db.query(kCount).single_int64(), 3);
  Database other(path());
  other.exec("DELETE FROM t");
  EXPECT_EQ(db.query(kCount).single_int64(), 0);
}

TEST_F(SqliteTest, TransactionRollsBackWhenItThrows) {
  Database db(path());
  db.exec("CREATE TABLE t(n INTEGER, s TEXT, b BLOB)");
  EXPECT_THROW(db.transaction([&] {
    db.query(kInsert, 1, "x", Blob{}).run();
    throw std::runtime_error("abort");
  }),
               std::runtime_error);
  EXPECT_EQ(db.query(kCount).single_int64(), 0);
  db.transaction([&] { db.query(kInsert, 1, "x", Blob{}).run(); });
  int64_t seen = 0;
  db.snapshot([&] { seen = db.query(kCount).single_int64(); });
  EXPECT_EQ(seen, 1);
}

TEST_F(SqliteTest, ErrorsNameTheFileAndTheSql) {
  Database db(path());
  db.exec("CREATE TABLE u(k TEXT PRIMARY KEY)");
  db.prepare("INSERT INTO u VALUES('a')").run();
  try {
    db.prepare("INSERT INTO u VALUES('a')").run();
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_TRUE(e.is_constraint());
    EXPECT_TRUE(e.is_unique_violation());
    EXPECT_NE(std::string(e.what()).find(path()), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("INSERT INTO u"), std::string::npos) << e.what();
  }
  try {
    db.prepare("SELECT nope FROM u");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_FALSE(e.is_constraint());
    EXPECT_NE(std::string(e.what()).find("SELECT nope"), std::string::npos) << e.what();
  }
  EXPECT_THROW(db.prepare("SELECT k FROM u WHERE k = 'b'").single_int64(), Error);
}

TEST_F(SqliteTest, MigrationsRunOnceAndRefuseNewerSchemas) {
  std::vector<std::string> migrations = {"CREATE TABLE a(x)", "CREATE TABLE b(y)"};
  {
    Database db(path());
    db.migrate({migrations[0]});
    EXPECT_EQ(db.user_version(), 1);
    db.migrate(migrations);
    EXPECT_EQ(db.user_version(), 2);
    db.migrate(migrations);  // nothing left to apply
  }
  Database db(path());
  EXPECT_THROW(db.migrate({migrations[0]}), Error);
}

TEST_F(SqliteTest, WriterIsDurableAndReaderCannotWrite) {
  Database writer(path());
  writer.exec("CREATE TABLE t(n INTEGER, s TEXT, b BLOB)");
  {
    auto mode = writer.prepare("PRAGMA journal_mode");
    ASSERT_TRUE(mode.step());
    EXPECT_EQ(mode.text(0), "wal");
  }  // finalized: a statement left open would keep the writer's later commits pending
  EXPECT_EQ(writer.prepare("PRAGMA synchronous").single_int64(), 2);  // FULL

  Database::Options options = reader();
  options.single_thread = true;
  options.memory_map = true;
  Database read(path(), options);
  EXPECT_EQ(read.prepare("PRAGMA mmap_size").single_int64(), 268435456);
  EXPECT_EQ(read.query(kCount).single_int64(), 0);
  EXPECT_THROW(read.exec("DELETE FROM t"), Error);
  int64_t before = read.data_version();
  writer.query(kInsert, 1, "x", Blob{}).run();
  EXPECT_NE(read.data_version(), before);
}

TEST_F(SqliteTest, NormalSyncAndReaderDoesNotCreateTheFile) {
  Database::Options options;
  options.sync = Database::Sync::normal;
  Database db(path(), options);
  EXPECT_EQ(db.prepare("PRAGMA synchronous").single_int64(), 1);  // NORMAL
  EXPECT_THROW(Database((dir_.path() / "missing.db").string(), reader()), Error);
}

}  // namespace
}  // namespace kurier::sql
