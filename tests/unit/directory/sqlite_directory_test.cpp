// The embedded SQLite directory: account ids, tombstones of removed accounts, and the migration
// of a database made by the first schema version.
#include <gtest/gtest.h>

#include <sqlite3.h>

#include <filesystem>
#include <mutex>
#include <set>
#include <thread>

#include "directory/directory.h"
#include "../temp_dir.h"

using namespace kurier;

namespace {

class SqliteDirectoryTest : public ::testing::Test {
 protected:
  std::string path() const { return (tmp_.path() / "directory.db").string(); }

  static int64_t add_domain(directory::Directory& dir, const std::string& name) {
    directory::Domain d;
    d.name = name;
    dir.add_domain(d);
    return dir.find_domain(name)->id;
  }

  static int64_t add_account(directory::Directory& dir, int64_t domain, const std::string& address) {
    directory::Account a;
    a.domain_id = domain;
    a.login = a.address = address;
    a.password_hash = "{PLAIN}x";
    return dir.add_account(a);
  }

  kurier::testing::TempDir tmp_{"kurier-directory"};
};

TEST_F(SqliteDirectoryTest, RemovedAccountIdIsNeverReused) {
  auto dir = directory::open_sqlite(path());
  int64_t d = add_domain(*dir, "example.test");
  int64_t first = add_account(*dir, d, "a@example.test");
  int64_t second = add_account(*dir, d, "b@example.test");
  dir->remove_account(second);  // the largest id: plain INTEGER PRIMARY KEY would hand it out again
  int64_t third = add_account(*dir, d, "c@example.test");
  EXPECT_GT(third, second);
  dir->remove_account(third);
  int64_t again = add_account(*dir, d, "c@example.test");  // the same address again
  EXPECT_GT(again, third);
  EXPECT_LT(first, second);
}

TEST_F(SqliteDirectoryTest, RemovalLeavesATombstoneUntilForgotten) {
  auto dir = directory::open_sqlite(path());
  int64_t d = add_domain(*dir, "example.test");
  int64_t a = add_account(*dir, d, "a@example.test");
  EXPECT_TRUE(dir->removed_accounts().empty());
  dir->remove_account(a);
  auto removed = dir->removed_accounts();
  ASSERT_EQ(removed.size(), 1u);
  EXPECT_EQ(removed[0].id, a);
  EXPECT_EQ(removed[0].address, "a@example.test");
  EXPECT_GT(removed[0].removed_at, 0);
  dir->forget_removed_account(a);
  EXPECT_TRUE(dir->removed_accounts().empty());
}

TEST_F(SqliteDirectoryTest, DomainRemovalTombstonesItsAccounts) {
  auto dir = directory::open_sqlite(path());
  int64_t d = add_domain(*dir, "example.test");
  int64_t other = add_domain(*dir, "other.test");
  int64_t a = add_account(*dir, d, "a@example.test");
  int64_t b = add_account(*dir, d, "b@example.test");
  add_account(*dir, other, "c@other.test");
  dir->remove_domain(d);
  auto removed = dir->removed_accounts();
  ASSERT_EQ(removed.size(), 2u);
  EXPECT_EQ(removed[0].id, a);
  EXPECT_EQ(removed[1].id, b);
}

TEST_F(SqliteDirectoryTest, RemovalByAnotherConnectionIsSeen) {
  // The CLI removes accounts from its own process, through its own connection.
  auto server = directory::open_sqlite(path());
  int64_t d = add_domain(*server, "example.test");
  int64_t a = add_account(*server, d, "a@example.test");
  auto cli = directory::open_sqlite(path());
  cli->remove_account(a);
  ASSERT_EQ(server->removed_accounts().size(), 1u);
  EXPECT_EQ(server->removed_accounts()[0].id, a);
}

TEST_F(SqliteDirectoryTest, ReservedIdsAreSkipped) {
  auto dir = directory::open_sqlite(path());
  int64_t d = add_domain(*dir, "example.test");
  dir->reserve_account_ids(41);  // before the first account: no sqlite_sequence row yet
  EXPECT_EQ(add_account(*dir, d, "a@example.test"), 42);
  dir->reserve_account_ids(10);  // never lowers it
  EXPECT_EQ(add_account(*dir, d, "b@example.test"), 43);
  dir->reserve_account_ids(99);
  EXPECT_EQ(add_account(*dir, d, "c@example.test"), 100);
}

// A directory.db as schema version 1 wrote it (the v1 migration, verbatim), with an account
// removed the old way: no tombstone, and its id free for reuse.
void make_v1_database(const std::string& path) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  const char* v1 = R"sql(
CREATE TABLE domains (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE COLLATE NOCASE,
  default_quota INTEGER NOT NULL DEFAULT 0, max_quota_per_account INTEGER NOT NULL DEFAULT 0,
  total_quota INTEGER NOT NULL DEFAULT 0, max_accounts INTEGER NOT NULL DEFAULT 0,
  username_scheme TEXT NOT NULL DEFAULT 'address' CHECK (username_scheme IN ('address', 'prefix')),
  prefix TEXT NOT NULL DEFAULT '', next_login_number INTEGER NOT NULL DEFAULT 1,
  transport TEXT NOT NULL DEFAULT '', created_at INTEGER NOT NULL);
CREATE TABLE accounts (id INTEGER PRIMARY KEY,
  domain_id INTEGER NOT NULL REFERENCES domains(id) ON DELETE CASCADE,
  login TEXT NOT NULL UNIQUE COLLATE NOCASE, address TEXT NOT NULL UNIQUE COLLATE NOCASE,
  display_name TEXT NOT NULL DEFAULT '', password_hash TEXT NOT NULL, scram_secret TEXT NOT NULL DEFAULT '',
  quota INTEGER NOT NULL DEFAULT 0, enabled INTEGER NOT NULL DEFAULT 1, services INTEGER NOT NULL DEFAULT 31,
  created_at INTEGER NOT NULL, last_login INTEGER NOT NULL DEFAULT 0);
CREATE INDEX accounts_domain ON accounts(domain_id);
CREATE TABLE aliases (id INTEGER PRIMARY KEY, domain_id INTEGER NOT NULL REFERENCES domains(id) ON DELETE CASCADE,
  source TEXT NOT NULL COLLATE NOCASE, target TEXT NOT NULL COLLATE NOCASE, UNIQUE (source, target));
CREATE INDEX aliases_domain ON aliases(domain_id);
CREATE TABLE admins (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE COLLATE NOCASE,
  password_hash TEXT NOT NULL, is_super INTEGER NOT NULL DEFAULT 0, created_at INTEGER NOT NULL);
CREATE TABLE admin_domains (admin_id INTEGER NOT NULL REFERENCES admins(id) ON DELETE CASCADE,
  domain_id INTEGER NOT NULL REFERENCES domains(id) ON DELETE CASCADE, PRIMARY KEY (admin_id, domain_id));
INSERT INTO domains (id, name, created_at) VALUES (1, 'example.test', 1);
INSERT INTO accounts (id, domain_id, login, address, display_name, password_hash, quota, services, created_at, last_login)
  VALUES (1, 1, 'a@example.test', 'a@example.test', 'Alice', '$y$hash', 1024, 7, 11, 12),
         (2, 1, 'b@example.test', 'b@example.test', '', '{PLAIN}pw', 0, 31, 13, 0),
         (3, 1, 'gone@example.test', 'gone@example.test', '', '{PLAIN}pw', 0, 31, 14, 0);
DELETE FROM accounts WHERE id = 3;
INSERT INTO aliases (domain_id, source, target) VALUES (1, 'info@example.test', 'a@example.test');
PRAGMA user_version = 1;
)sql";
  char* err = nullptr;
  ASSERT_EQ(sqlite3_exec(db, v1, nullptr, nullptr, &err), SQLITE_OK) << (err ? err : "");
  sqlite3_close(db);
}

TEST_F(SqliteDirectoryTest, MigratesAVersion1Database) {
  make_v1_database(path());
  auto dir = directory::open_sqlite(path());
  auto a = dir->find_account_by_address("a@example.test");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->id, 1);
  EXPECT_EQ(a->display_name, "Alice");
  EXPECT_EQ(a->password_hash, "$y$hash");
  EXPECT_EQ(a->quota, 1024u);
  EXPECT_EQ(a->services, 7u);
  EXPECT_EQ(a->created_at, 11);
  EXPECT_EQ(a->last_login, 12);
  EXPECT_EQ(dir->list_accounts(std::nullopt).size(), 2u);
  EXPECT_EQ(dir->alias_targets("info@example.test"), std::vector<std::string>{"a@example.test"});
  // The server reserves what its store has seen (id 3 still owns mail there).
  dir->reserve_account_ids(3);
  EXPECT_EQ(add_account(*dir, 1, "new@example.test"), 4);
  dir->remove_account(1);
  ASSERT_EQ(dir->removed_accounts().size(), 1u);
  // Opening again migrates nothing twice.
  dir.reset();
  dir = directory::open_sqlite(path());
  EXPECT_EQ(dir->removed_accounts().size(), 1u);
  EXPECT_EQ(add_account(*dir, 1, "newer@example.test"), 5);
}

}  // namespace

TEST_F(SqliteDirectoryTest, SieveScriptsOneActiveRenameAndCascade) {
  auto dir = directory::open_sqlite(path());
  int64_t d = add_domain(*dir, "example.test");
  int64_t a = add_account(*dir, d, "a@example.test");
  int64_t b = add_account(*dir, d, "b@example.test");
  dir->put_sieve_script(a, "one", "keep;\n");
  dir->put_sieve_script(a, "two", std::string("discard;\0", 9));
  dir->put_sieve_script(b, "one", "stop;");
  EXPECT_FALSE(dir->active_sieve_script(a));

  dir->activate_sieve_script(a, "two");
  dir->activate_sieve_script(a, "one");  // only one active at a time
  auto active = dir->active_sieve_script(a);
  ASSERT_TRUE(active);
  EXPECT_EQ(active->name, "one");
  EXPECT_EQ(active->content, "keep;\n");
  auto list = dir->list_sieve_scripts(a);
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].name, "one");
  EXPECT_TRUE(list[0].active);
  EXPECT_EQ(list[1].size, 9u);  // bytes, NUL included
  EXPECT_FALSE(list[1].active);
  EXPECT_EQ(dir->find_sieve_script(a, "two")->content, std::string("discard;\0", 9));

  dir->put_sieve_script(a, "one", "stop;\n");  // replacing keeps it active
  EXPECT_EQ(dir->active_sieve_script(a)->content, "stop;\n");

  EXPECT_THROW(dir->activate_sieve_script(a, "nope"), directory::Error);
  EXPECT_EQ(dir->active_sieve_script(a)->name, "one");  // a failed SETACTIVE changes nothing
  try {
    dir->rename_sieve_script(a, "one", "two");
    FAIL() << "renamed onto an existing name";
  } catch (const directory::Error& e) {
    EXPECT_EQ(e.kind(), directory::Error::Conflict);
  }
  dir->rename_sieve_script(a, "one", "main");
  EXPECT_EQ(dir->active_sieve_script(a)->name, "main");
  try {
    dir->remove_sieve_script(a, "main");
    FAIL() << "removed the active script";
  } catch (const directory::Error& e) {
    EXPECT_EQ(e.kind(), directory::Error::Conflict);
  }
  dir->activate_sieve_script(a, "");
  EXPECT_FALSE(dir->active_sieve_script(a));
  dir->remove_sieve_script(a, "main");
  EXPECT_FALSE(dir->find_sieve_script(a, "main"));
  EXPECT_THROW(dir->remove_sieve_script(a, "main"), directory::Error);

  dir->remove_account(b);
  EXPECT_TRUE(dir->list_sieve_scripts(b).empty());
  EXPECT_EQ(dir->list_sieve_scripts(a).size(), 1u);
}

namespace {

// tests/unit/data/directory/v3.db: made by the release before the SQL layer (schema version 3)
// with its CLI: example.test (100M default quota, 50 accounts) with alice (quota 1G, name
// "Alice Liddell", scripts "filter" active and "other"), bob and the removed gone (id 3,
// tombstoned); prefix.test (prefix scheme "test") with carol as test0001 and a catch-all to her;
// aliases info@ -> alice, bob and alice@ -> alice@elsewhere.test; super-admin admin and domain
// admin dom of example.test.
TEST_F(SqliteDirectoryTest, OpensAndMigratesAVersion3DatabaseOfThePreviousRelease) {
  std::filesystem::copy_file(std::string(KURIER_TEST_DATA) + "/directory/v3.db", path());
  auto dir = directory::open_sqlite(path());

  auto example = dir->find_domain("EXAMPLE.test");
  ASSERT_TRUE(example);
  EXPECT_EQ(example->default_quota, 100u * 1024 * 1024);
  EXPECT_EQ(example->max_accounts, 50u);
  auto prefix = dir->find_domain("prefix.test");
  ASSERT_TRUE(prefix);
  EXPECT_EQ(prefix->username_scheme, "prefix");
  EXPECT_EQ(prefix->next_login_number, 2u);

  auto alice = dir->find_account_by_login("Alice@Example.Test");
  ASSERT_TRUE(alice);
  EXPECT_EQ(alice->id, 1);
  EXPECT_EQ(alice->display_name, "Alice Liddell");
  EXPECT_EQ(alice->quota, 1024u * 1024 * 1024);
  EXPECT_FALSE(alice->password_hash.empty());
  EXPECT_FALSE(alice->scram_secret.empty());
  auto carol = dir->find_account_by_login("test0001");
  ASSERT_TRUE(carol);
  EXPECT_EQ(carol->address, "carol@prefix.test");
  EXPECT_EQ(carol->id, 4);

  EXPECT_EQ(dir->alias_targets("info@example.test"), (std::vector<std::string>{"alice@example.test", "bob@example.test"}));
  EXPECT_EQ(dir->alias_targets("@prefix.test"), std::vector<std::string>{"carol@prefix.test"});
  auto dom = dir->find_admin("dom");
  ASSERT_TRUE(dom);
  EXPECT_FALSE(dom->is_super);
  EXPECT_EQ(dom->domains, std::vector<std::string>{"example.test"});
  EXPECT_TRUE(dir->find_admin("admin")->is_super);

  auto active = dir->active_sieve_script(alice->id);
  ASSERT_TRUE(active);
  EXPECT_EQ(active->name, "filter");
  EXPECT_EQ(dir->list_sieve_scripts(alice->id).size(), 2u);

  auto removed = dir->removed_accounts();
  ASSERT_EQ(removed.size(), 1u);
  EXPECT_EQ(removed[0].id, 3);
  EXPECT_EQ(removed[0].address, "gone@example.test");

  // Ids keep climbing past every id ever given, and removals still leave one tombstone each.
  int64_t dave = add_account(*dir, example->id, "dave@example.test");
  EXPECT_EQ(dave, 5);
  dir->remove_account(alice->id);
  dir->remove_domain(prefix->id);
  removed = dir->removed_accounts();
  ASSERT_EQ(removed.size(), 3u);
  EXPECT_EQ(removed[0].id, 1);
  EXPECT_EQ(removed[1].id, 3);
  EXPECT_EQ(removed[2].id, 4);
  EXPECT_FALSE(dir->active_sieve_script(alice->id));  // scripts went with the account
  EXPECT_TRUE(dir->alias_targets("info@example.test") == std::vector<std::string>{"bob@example.test"});

  dir.reset();  // and it opens again without migrating twice
  dir = directory::open_sqlite(path());
  EXPECT_EQ(dir->removed_accounts().size(), 3u);
  EXPECT_EQ(add_account(*dir, example->id, "erin@example.test"), 6);
}

TEST_F(SqliteDirectoryTest, VersionChangesWithEveryChangeFromAnyConnection) {
  auto server = directory::open_sqlite(path());
  auto cli = directory::open_sqlite(path());
  uint64_t v0 = server->version();
  int64_t d = add_domain(*cli, "example.test");
  uint64_t v1 = server->version();
  EXPECT_NE(v1, v0);
  int64_t a = add_account(*cli, d, "a@example.test");
  uint64_t v2 = server->version();
  EXPECT_NE(v2, v1);
  server->record_login(a, 123);  // not a change a cache cares about
  EXPECT_EQ(server->version(), v2);
  EXPECT_EQ(cli->account_by_id(a)->last_login, 123);
  EXPECT_THROW(cli->add_domain([] { directory::Domain x; x.name = "EXAMPLE.TEST"; return x; }()), directory::Error);
  EXPECT_EQ(server->version(), v2);  // a refused change changed nothing
  cli->set_credentials(a, "{PLAIN}new", "");
  EXPECT_NE(server->version(), v2);
}

// Prefix logins are handed out by a read-then-write transaction: from many threads (the server's
// offload pool) every number is given exactly once.
TEST_F(SqliteDirectoryTest, LoginNumbersAreUniqueUnderConcurrency) {
  auto dir = directory::open_sqlite(path());
  int64_t d = add_domain(*dir, "example.test");
  std::mutex m;
  std::set<uint32_t> seen;
  std::vector<std::thread> threads;
  for (int t = 0; t < 6; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 30; ++i) {
        uint32_t n = dir->take_login_number(d);
        std::lock_guard lock(m);
        EXPECT_TRUE(seen.insert(n).second) << n;
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(seen.size(), 180u);
  EXPECT_EQ(*seen.begin(), 1u);
  EXPECT_EQ(*seen.rbegin(), 180u);
}

}  // namespace

namespace kurier::directory {
namespace {

class WebTablesTest : public ::testing::Test {
 protected:
  WebTablesTest() : dir_(open_sqlite((tmp_.path() / "directory.db").string())) {
    dir_->add_domain({0, "a.example"});
    dir_->add_domain({0, "b.example"});
    for (auto d : {"a.example", "b.example"}) {
      auto id = dir_->find_domain(d)->id;
      for (int i = 0; i < 5; ++i) {
        Account acc;
        acc.domain_id = id;
        acc.address = acc.login = "u" + std::to_string(i) + "@" + d;
        acc.password_hash = "x";
        dir_->add_account(acc);
      }
    }
  }
  kurier::testing::TempDir tmp_{"kurier-webtables"};
  std::unique_ptr<Directory> dir_;
};

TEST_F(WebTablesTest, PagesAccountsByAddress) {
  auto first = dir_->page_accounts(std::nullopt, "", 3);
  ASSERT_EQ(first.size(), 3u);
  EXPECT_EQ(first[0].address, "u0@a.example");
  auto next = dir_->page_accounts(std::nullopt, first.back().address, 100);
  EXPECT_EQ(next.size(), 7u);
  EXPECT_EQ(next.back().address, "u4@b.example");
  auto b = dir_->page_accounts(dir_->find_domain("b.example")->id, "u1@b.example", 10);
  ASSERT_EQ(b.size(), 3u);
  EXPECT_EQ(b[0].address, "u2@b.example");
}

TEST_F(WebTablesTest, AppPasswordsGoWithTheirAccount) {
  auto acc = *dir_->find_account_by_address("u1@a.example");
  auto id = dir_->add_app_password({0, acc.id, "phone", "hash1", 0});
  EXPECT_EQ(dir_->find_app_password("hash1")->account_id, acc.id);
  EXPECT_EQ(dir_->list_app_passwords(acc.id).size(), 1u);
  EXPECT_FALSE(dir_->remove_app_password(acc.id + 1, id));
  EXPECT_TRUE(dir_->remove_app_password(acc.id, id));
  EXPECT_FALSE(dir_->find_app_password("hash1"));
  dir_->add_app_password({0, acc.id, "tablet", "hash2", 0});
  dir_->remove_account(acc.id);
  EXPECT_FALSE(dir_->find_app_password("hash2"));
}

TEST_F(WebTablesTest, ApiKeysAndRevocation) {
  ApiKey k;
  k.name = "ci";
  k.hash = "h";
  k.owner = "admin";
  k.domains = {"a.example", "b.example"};
  k.expires_at = 123;
  auto id = dir_->add_api_key(k);
  auto found = dir_->find_api_key("h");
  ASSERT_TRUE(found);
  EXPECT_EQ(found->domains, k.domains);
  EXPECT_EQ(found->expires_at, 123);
  EXPECT_EQ(found->revoked_at, 0);
  EXPECT_TRUE(dir_->revoke_api_key(id, 99));
  EXPECT_FALSE(dir_->revoke_api_key(id, 100));
  EXPECT_EQ(dir_->find_api_key("h")->revoked_at, 99);
}

TEST_F(WebTablesTest, TotpStepsAreUsedOnce) {
  dir_->put_totp({"admin:root", std::string("\x01\x00\x02", 3), false, 0});
  EXPECT_EQ(dir_->find_totp("admin:root")->secret, std::string("\x01\x00\x02", 3));
  dir_->put_totp({"admin:root", "s", true, 0});
  EXPECT_TRUE(dir_->find_totp("admin:root")->confirmed);
  EXPECT_TRUE(dir_->use_totp_step("admin:root", 10));
  EXPECT_FALSE(dir_->use_totp_step("admin:root", 10));
  EXPECT_FALSE(dir_->use_totp_step("admin:root", 9));
  EXPECT_TRUE(dir_->use_totp_step("admin:root", 11));
  dir_->remove_totp("admin:root");
  EXPECT_FALSE(dir_->find_totp("admin:root"));
}

TEST_F(WebTablesTest, AuditLogNewestFirstPerDomain) {
  for (int i = 0; i < 4; ++i)
    dir_->append_audit({0, 0, "admin", "super-admin", "127.0.0.1", "account.create", "x", i % 2 ? "a.example" : "b.example", "", "{}"});
  auto all = dir_->list_audit(std::nullopt, 0, 10);
  ASSERT_EQ(all.size(), 4u);
  EXPECT_GT(all[0].id, all[1].id);
  auto a = dir_->list_audit(std::vector<std::string>{"a.example"}, 0, 10);
  ASSERT_EQ(a.size(), 2u);
  auto older = dir_->list_audit(std::nullopt, all[1].id, 10);
  EXPECT_EQ(older.size(), 2u);
  // An empty domain list is no domain, never every domain.
  EXPECT_TRUE(dir_->list_audit(std::vector<std::string>{}, 0, 10).empty());
}

}  // namespace
}  // namespace kurier::directory
