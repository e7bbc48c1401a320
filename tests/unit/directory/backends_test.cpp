// The Directory contract on every SQL backend: SQLite always; MariaDB and PostgreSQL when a server
// is given (KURIER_TEST_MARIADB_DSN, KURIER_TEST_POSTGRESQL_DSN; scripts/test.sh and
// `tests/integration/db_support.py mariadb postgresql -- unit_directory` start real ones).
// Each test starts from an empty database.
#include <gtest/gtest.h>

#include <cstdlib>
#include <mutex>
#include <set>
#include <thread>

#include "directory/cached_directory.h"
#include "directory/open.h"
#include "directory/sql_directory.h"
#include "sqldb/dsn.h"
#include "sqldb/mariadb_driver.h"
#include "sqldb/postgresql_driver.h"
#include "../temp_dir.h"

using namespace kurier;
using directory::Error;

namespace {

// Drops every table of the server database, so each test sees a new one.
void empty_server_database(const std::string& dsn_text) {
  auto dsn = sqldb::parse_dsn(dsn_text);
  auto c = dsn.dialect == sqldb::Dialect::mariadb ? sqldb::open_mariadb(dsn) : sqldb::open_postgresql(dsn);
  std::vector<std::string> tables;
  {
    auto st = c->query(dsn.dialect == sqldb::Dialect::mariadb
                           ? "SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE()"
                           : "SELECT tablename FROM pg_tables WHERE schemaname = 'public'");
    while (st.step()) tables.push_back(st.text(0));
  }
  if (dsn.dialect == sqldb::Dialect::mariadb) c->exec("SET FOREIGN_KEY_CHECKS = 0");
  for (const auto& t : tables)
    c->exec("DROP TABLE IF EXISTS " + t + (dsn.dialect == sqldb::Dialect::postgresql ? " CASCADE" : ""));
}

class Backend : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "sqlite") return;
    const char* dsn = std::getenv(GetParam() == "mariadb" ? "KURIER_TEST_MARIADB_DSN" : "KURIER_TEST_POSTGRESQL_DSN");
    if (!dsn || !*dsn) GTEST_SKIP() << "no " << GetParam() << " server (see tests/integration/db_support.py)";
    dsn_ = dsn;
    empty_server_database(dsn_);
  }

  std::unique_ptr<directory::Directory> open() {
    if (GetParam() == "sqlite") return directory::open_sqlite((tmp_.path() / "directory.db").string());
    return directory::open_server(dsn_);
  }

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

  static Error::Kind kind_of(const std::function<void()>& fn) {
    try {
      fn();
    } catch (const Error& e) {
      return e.kind();
    }
    ADD_FAILURE() << "no directory::Error";
    return Error::Invalid;
  }

  std::string dsn_;
  kurier::testing::TempDir tmp_{"kurier-backend"};
};

TEST_P(Backend, DomainsAreCaseInsensitiveAndUnique) {
  auto dir = open();
  directory::Domain d;
  d.name = "example.test";
  d.default_quota = 5'000'000'000ull;  // above 32 bits
  d.max_accounts = 7;
  d.username_scheme = "prefix";
  d.prefix = "ex";
  dir->add_domain(d);
  auto found = dir->find_domain("EXAMPLE.Test");
  ASSERT_TRUE(found);
  EXPECT_EQ(found->name, "example.test");
  EXPECT_EQ(found->default_quota, 5'000'000'000ull);
  EXPECT_EQ(found->max_accounts, 7u);
  EXPECT_EQ(found->username_scheme, "prefix");
  EXPECT_EQ(found->next_login_number, 1u);
  EXPECT_GT(found->created_at, 0);
  EXPECT_EQ(kind_of([&] { d.name = "Example.TEST"; dir->add_domain(d); }), Error::Conflict);
  EXPECT_EQ(kind_of([&] { d.username_scheme = "other"; d.name = "b.test"; dir->add_domain(d); }), Error::Conflict);

  found->transport = "relay:mx.example.net:25";
  dir->update_domain(*found);
  dir->update_domain(*found);  // the same values again: still found (MariaDB counts matched rows)
  EXPECT_EQ(dir->domain_by_id(found->id)->transport, "relay:mx.example.net:25");
  found->id += 1000;
  EXPECT_EQ(kind_of([&] { dir->update_domain(*found); }), Error::NotFound);
  add_domain(*dir, "a.test");
  auto all = dir->list_domains();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].name, "a.test");
}

TEST_P(Backend, AccountsByLoginAndAddressIgnoringCase) {
  auto dir = open();
  int64_t d = add_domain(*dir, "example.test");
  directory::Account a;
  a.domain_id = d;
  a.login = "test0001";
  a.address = "Alice@example.test";
  a.display_name = "Älice “quoted”";
  a.password_hash = "$6$salt$hash";
  a.scram_secret = "SCRAM-SHA-256$4096:c2FsdA==$a:b";
  a.quota = 3'000'000'000ull;
  a.services = directory::kImap | directory::kPop3;
  int64_t id = dir->add_account(a);
  auto by_login = dir->find_account_by_login("TEST0001");
  ASSERT_TRUE(by_login);
  EXPECT_EQ(by_login->id, id);
  EXPECT_EQ(by_login->display_name, "Älice “quoted”");
  EXPECT_EQ(by_login->quota, 3'000'000'000ull);
  EXPECT_EQ(by_login->services, uint32_t(directory::kImap | directory::kPop3));
  EXPECT_EQ(dir->find_account_by_address("alice@EXAMPLE.test")->login, "test0001");
  EXPECT_FALSE(dir->find_account_by_address("bob@example.test"));
  EXPECT_EQ(kind_of([&] { a.login = "other"; dir->add_account(a); }), Error::Conflict);  // same address

  add_account(*dir, d, "bob@example.test");
  EXPECT_EQ(dir->count_accounts(d), 2u);
  EXPECT_EQ(dir->sum_account_quota(d), 3'000'000'000ull);
  EXPECT_EQ(dir->list_accounts(d).size(), 2u);
  EXPECT_EQ(dir->list_accounts(std::nullopt)[0].address, "Alice@example.test");

  by_login->enabled = false;
  by_login->address = "bob@example.test";
  EXPECT_EQ(kind_of([&] { dir->update_account(*by_login); }), Error::Conflict);
  by_login->address = "alice@example.test";
  dir->update_account(*by_login);
  EXPECT_FALSE(dir->account_by_id(id)->enabled);
  dir->set_credentials(id, "$y$new", "SCRAM-new");
  dir->record_login(id, 1700000000);
  auto again = dir->account_by_id(id);
  EXPECT_EQ(again->password_hash, "$y$new");
  EXPECT_EQ(again->scram_secret, "SCRAM-new");
  EXPECT_EQ(again->last_login, 1700000000);
}

TEST_P(Backend, IdsAreNeverReusedAndRemovalsLeaveTombstones) {
  auto dir = open();
  int64_t d = add_domain(*dir, "example.test");
  int64_t other = add_domain(*dir, "other.test");
  int64_t a = add_account(*dir, d, "a@example.test");
  int64_t b = add_account(*dir, d, "b@example.test");
  int64_t c = add_account(*dir, other, "c@other.test");
  dir->add_alias_targets(d, "info@example.test", {"b@example.test", "c@other.test"});
  dir->remove_account(c);  // the largest id
  int64_t again = add_account(*dir, other, "c@other.test");
  EXPECT_GT(again, c);
  EXPECT_EQ(dir->alias_targets("info@example.test"), std::vector<std::string>{"b@example.test"});
  dir->remove_domain(d);  // its accounts go by the cascade, each with a tombstone
  auto removed = dir->removed_accounts();
  ASSERT_EQ(removed.size(), 3u);
  EXPECT_EQ(removed[0].id, a);
  EXPECT_EQ(removed[1].id, b);
  EXPECT_EQ(removed[2].id, c);
  EXPECT_EQ(removed[2].address, "c@other.test");
  EXPECT_TRUE(dir->alias_targets("info@example.test").empty());
  EXPECT_FALSE(dir->find_account_by_address("a@example.test"));
  dir->forget_removed_account(b);
  EXPECT_EQ(dir->removed_accounts().size(), 2u);
  EXPECT_EQ(kind_of([&] { dir->remove_account(a); }), Error::NotFound);
  EXPECT_EQ(kind_of([&] { dir->remove_domain(d); }), Error::NotFound);

  dir->reserve_account_ids(again + 40);
  EXPECT_EQ(add_account(*dir, other, "d@other.test"), again + 41);
  dir->reserve_account_ids(5);  // never lowers
  EXPECT_EQ(add_account(*dir, other, "e@other.test"), again + 42);
}

TEST_P(Backend, AliasesGroupAndRemove) {
  auto dir = open();
  int64_t d = add_domain(*dir, "example.test");
  dir->add_alias_targets(d, "info@example.test", {"a@example.test", "b@example.test"});
  dir->add_alias_targets(d, "info@example.test", {"A@example.test", "c@example.test"});  // a duplicate skipped
  dir->add_alias_targets(d, "@example.test", {"a@example.test"});
  EXPECT_EQ(dir->alias_targets("INFO@example.test"),
            (std::vector<std::string>{"a@example.test", "b@example.test", "c@example.test"}));
  auto all = dir->list_aliases(d);
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].source, "@example.test");
  EXPECT_EQ(all[1].targets.size(), 3u);
  EXPECT_EQ(dir->remove_alias("info@example.test", std::string("b@example.test")), 1u);
  EXPECT_EQ(dir->remove_alias("info@example.test", std::nullopt), 2u);
  EXPECT_EQ(dir->remove_alias("info@example.test", std::nullopt), 0u);
  EXPECT_EQ(kind_of([&] { dir->add_alias_targets(d + 99, "x@nowhere.test", {"a@example.test"}); }), Error::Conflict);
}

TEST_P(Backend, AdminsAndTheirDomains) {
  auto dir = open();
  add_domain(*dir, "b.test");
  add_domain(*dir, "a.test");
  dir->add_admin({0, "Root", "$y$h", true, {}});
  dir->add_admin({0, "dom", "$y$h", false, {"b.test", "a.test"}});
  EXPECT_EQ(kind_of([&] { dir->add_admin({0, "ROOT", "$y$h", false, {}}); }), Error::Conflict);
  EXPECT_EQ(kind_of([&] { dir->add_admin({0, "x", "$y$h", false, {"nowhere.test"}}); }), Error::NotFound);
  EXPECT_FALSE(dir->find_admin("x"));  // the failed add left nothing behind
  auto dom = dir->find_admin("DOM");
  ASSERT_TRUE(dom);
  EXPECT_EQ(dom->domains, (std::vector<std::string>{"a.test", "b.test"}));
  dom->domains = {"b.test"};
  dir->update_admin(*dom);
  EXPECT_EQ(dir->find_admin("dom")->domains, std::vector<std::string>{"b.test"});
  auto all = dir->list_admins();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_TRUE(all[1].is_super);  // ordered by name: dom, Root
  dir->remove_admin(dom->id);
  EXPECT_EQ(kind_of([&] { dir->remove_admin(dom->id); }), Error::NotFound);
}

TEST_P(Backend, SieveScriptsBytesOneActiveAndCascade) {
  auto dir = open();
  int64_t d = add_domain(*dir, "example.test");
  int64_t a = add_account(*dir, d, "a@example.test");
  const std::string binary("require \"x\";\0\xff\x01", 16);
  dir->put_sieve_script(a, "one", "keep;");
  dir->put_sieve_script(a, "two", binary);
  EXPECT_EQ(dir->find_sieve_script(a, "two")->content, binary);
  EXPECT_EQ(dir->list_sieve_scripts(a)[1].size, 16u);
  dir->activate_sieve_script(a, "two");
  dir->activate_sieve_script(a, "one");
  EXPECT_EQ(dir->active_sieve_script(a)->name, "one");
  dir->put_sieve_script(a, "one", "stop;");  // replaced, still active
  EXPECT_EQ(dir->active_sieve_script(a)->content, "stop;");
  EXPECT_EQ(kind_of([&] { dir->remove_sieve_script(a, "one"); }), Error::Conflict);
  EXPECT_EQ(kind_of([&] { dir->rename_sieve_script(a, "one", "two"); }), Error::Conflict);
  EXPECT_EQ(kind_of([&] { dir->rename_sieve_script(a, "nope", "x"); }), Error::NotFound);
  EXPECT_EQ(kind_of([&] { dir->put_sieve_script(a + 99, "x", "keep;"); }), Error::Conflict);
  dir->rename_sieve_script(a, "one", "One");  // names are case-sensitive
  EXPECT_EQ(dir->active_sieve_script(a)->name, "One");
  dir->activate_sieve_script(a, "");
  EXPECT_FALSE(dir->active_sieve_script(a));
  dir->remove_sieve_script(a, "two");
  dir->remove_account(a);
  EXPECT_TRUE(dir->list_sieve_scripts(a).empty());
}

TEST_P(Backend, VersionSeesChangesFromAnotherInstance) {
  auto server = open();
  auto cli = open();
  uint64_t v0 = server->version();
  int64_t d = add_domain(*cli, "example.test");
  EXPECT_NE(server->version(), v0);
  uint64_t v1 = server->version();
  int64_t a = add_account(*cli, d, "a@example.test");
  EXPECT_NE(server->version(), v1);
  uint64_t v2 = server->version();
  cli->record_login(a, 5);
  EXPECT_EQ(server->version(), v2);
}

// The cache's correctness rests on this: every write that changes what a lookup answers moves
// the database-side counter, in its own transaction, whoever makes it.
TEST_P(Backend, EveryWriteMovesTheVersion) {
  auto dir = open();
  auto other = open();
  int64_t d = add_domain(*other, "example.test");
  int64_t a = add_account(*other, d, "a@example.test");
  auto moves = [&](const char* what, const std::function<void()>& write) {
    uint64_t before = dir->version();
    write();
    EXPECT_NE(dir->version(), before) << what;
  };
  moves("update_domain", [&] { auto x = *other->domain_by_id(d); x.max_accounts = 9; other->update_domain(x); });
  moves("take_login_number", [&] { other->take_login_number(d); });
  moves("update_account", [&] { auto x = *other->account_by_id(a); x.enabled = false; other->update_account(x); });
  moves("set_credentials", [&] { other->set_credentials(a, "{PLAIN}y", ""); });
  moves("add_alias_targets", [&] { other->add_alias_targets(d, "x@example.test", {"a@example.test"}); });
  moves("remove_alias", [&] { other->remove_alias("x@example.test", std::nullopt); });
  moves("put_sieve_script", [&] { other->put_sieve_script(a, "s", "keep;"); });
  moves("activate_sieve_script", [&] { other->activate_sieve_script(a, "s"); });
  moves("rename_sieve_script", [&] { other->activate_sieve_script(a, ""); other->rename_sieve_script(a, "s", "t"); });
  moves("remove_sieve_script", [&] { other->remove_sieve_script(a, "t"); });
  int64_t p = 0;
  moves("add_app_password", [&] { p = other->add_app_password({0, a, "phone", "h1", 0}); });
  moves("remove_app_password", [&] { other->remove_app_password(a, p); });
  directory::Admin admin;
  admin.name = "boss";
  admin.password_hash = "x";
  moves("add_admin", [&] { other->add_admin(admin); });
  moves("update_admin", [&] { auto x = *other->find_admin("boss"); x.is_super = true; other->update_admin(x); });
  moves("remove_admin", [&] { other->remove_admin(other->find_admin("boss")->id); });
  moves("add_account", [&] { add_account(*other, d, "b@example.test"); });
  moves("remove_account", [&] { other->remove_account(a); });
  moves("remove_domain", [&] { other->remove_domain(d); });
}

// The cache in front of each backend: its own changes at once, another instance's (the CLI, a
// second node) when it next reads the counter, unknown names cached and invalidated the same way.
TEST_P(Backend, CacheSeesAnotherWritersChangeAtTheNextCounterCheck) {
  auto other = open();
  auto stale = directory::open_cached(open(), {100000, std::chrono::hours(1)});  // never checks again
  auto checking = directory::open_cached(open(), {100000, std::chrono::milliseconds(0)});
  int64_t d = add_domain(*other, "example.test");
  int64_t a = add_account(*other, d, "a@example.test");
  ASSERT_TRUE(stale->find_account_by_address("a@example.test")->enabled);
  ASSERT_TRUE(checking->find_account_by_login("A@Example.TEST")->enabled);
  EXPECT_FALSE(stale->find_account_by_address("new@example.test"));
  EXPECT_FALSE(checking->find_account_by_address("new@example.test"));
  EXPECT_TRUE(stale->alias_targets("x@example.test").empty());

  auto acct = *other->account_by_id(a);
  acct.enabled = false;
  other->update_account(acct);
  other->set_credentials(a, "{PLAIN}new", "");
  add_account(*other, d, "new@example.test");
  other->add_alias_targets(d, "x@example.test", {"a@example.test"});

  // Served from the cache until the counter is read again: the cache does cache...
  EXPECT_TRUE(stale->find_account_by_address("a@example.test")->enabled);
  EXPECT_EQ(stale->account_by_id(a)->password_hash, "{PLAIN}x");
  EXPECT_FALSE(stale->find_account_by_address("new@example.test"));
  EXPECT_TRUE(stale->alias_targets("x@example.test").empty());
  // ...and reading the counter shows every change, the unknown name that now exists included.
  EXPECT_FALSE(checking->find_account_by_login("a@example.test")->enabled);
  EXPECT_EQ(checking->account_by_id(a)->password_hash, "{PLAIN}new");
  EXPECT_TRUE(checking->find_account_by_address("new@example.test"));
  EXPECT_EQ(checking->alias_targets("X@example.test"), std::vector<std::string>{"a@example.test"});

  // A change through the cache itself is visible to it at once, however long its interval.
  stale->remove_account(a);
  EXPECT_FALSE(stale->find_account_by_address("a@example.test"));
  EXPECT_FALSE(stale->account_by_id(a));
  EXPECT_TRUE(stale->find_account_by_address("new@example.test"));
}

TEST_P(Backend, CacheKeepsLastLoginCurrentAndEvictsBeyondItsSize) {
  auto other = open();
  auto cache = directory::open_cached(open(), {4, std::chrono::hours(1)});
  int64_t d = add_domain(*other, "example.test");
  int64_t a = add_account(*other, d, "a@example.test");
  ASSERT_TRUE(cache->find_account_by_login("a@example.test"));
  cache->record_login(a, 77);  // writes no counter: the cache brings its copies up to date itself
  EXPECT_EQ(cache->find_account_by_login("a@example.test")->last_login, 77);
  EXPECT_EQ(cache->find_account_by_address("a@example.test")->last_login, 77);
  EXPECT_EQ(cache->account_by_id(a)->last_login, 77);
  EXPECT_EQ(other->account_by_id(a)->last_login, 77);

  // Past its size the least recently used entries go, and are read again.
  EXPECT_FALSE(cache->find_account_by_address("late@example.test"));
  for (int i = 0; i < 8; ++i) cache->find_account_by_address("nobody" + std::to_string(i) + "@example.test");
  add_account(*other, d, "late@example.test");
  EXPECT_TRUE(cache->find_account_by_address("late@example.test"));
}

// Read-then-write transactions from many threads and two instances (two kurier processes): the
// database serializes them (and aborts some, which the pool runs again); no number is lost or
// given twice.
TEST_P(Backend, LoginNumbersFromManyThreadsAreUnique) {
  auto one = open();
  auto two = open();
  int64_t d = add_domain(*one, "example.test");
  std::mutex m;
  std::set<uint32_t> seen;
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&, t] {
      auto& dir = t % 2 ? *one : *two;
      for (int i = 0; i < 25; ++i) {
        uint32_t n = dir.take_login_number(d);
        std::lock_guard lock(m);
        EXPECT_TRUE(seen.insert(n).second) << n;
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(seen.size(), 200u);
  EXPECT_EQ(*seen.rbegin(), 200u);
  EXPECT_EQ(one->find_domain("example.test")->next_login_number, 201u);
}

TEST_P(Backend, MigratingAgainChangesNothing) {
  {
    auto dir = open();
    add_domain(*dir, "example.test");
  }
  auto dir = open();
  EXPECT_EQ(dir->list_domains().size(), 1u);
}

INSTANTIATE_TEST_SUITE_P(Sql, Backend, ::testing::Values("sqlite", "mariadb", "postgresql"),
                         [](const auto& info) { return info.param; });

TEST(OpenServer, AnUnreachableServerIsUnavailableAndABadDsnInvalid) {
  try {
    directory::open_server("postgresql://u:secret@127.0.0.1:1/db?connect_timeout=2");
    FAIL() << "opened";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), Error::Unavailable);
    EXPECT_EQ(std::string(e.what()).find("secret"), std::string::npos) << e.what();
  }
  try {
    directory::open_server("mariadb://u:secret@127.0.0.1:1/db?connect_timeout=2");
    FAIL() << "opened";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), Error::Unavailable);
    EXPECT_EQ(std::string(e.what()).find("secret"), std::string::npos) << e.what();
  }
  EXPECT_THROW(directory::open_server("ftp://x/y"), Error);
}

}  // namespace
