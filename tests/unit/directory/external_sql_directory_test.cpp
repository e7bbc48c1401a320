// The "sql" backend over another application's tables (Web-cyradm's, here in a SQLite file so the
// test needs no server; test_sql_directory.py runs it against a real MariaDB).
#include <gtest/gtest.h>

#include "config/config.h"
#include "directory/external_sql_directory.h"
#include "sqldb/sqlite_driver.h"
#include "../temp_dir.h"

using namespace kurier;
using directory::Error;

TEST(ExternalPasswordHash, NamesEachSchemeWebCyradmWrote) {
  bool plain = true;
  EXPECT_EQ(directory::external_password_hash("$1$salt$abc", "auto", plain), "$1$salt$abc");
  EXPECT_FALSE(plain);
  EXPECT_EQ(directory::external_password_hash("{SHA512-CRYPT}$6$x$y", "auto", plain), "{SHA512-CRYPT}$6$x$y");
  EXPECT_EQ(directory::external_password_hash("*14E65567ABDB5135D0CFD9A70B3032C179A49EE7", "auto", plain),
            "{MYSQL41}*14E65567ABDB5135D0CFD9A70B3032C179A49EE7");
  EXPECT_FALSE(plain);
  EXPECT_EQ(directory::external_password_hash("abNANd1rDfiNc", "des", plain), "{DES-CRYPT}abNANd1rDfiNc");
  EXPECT_FALSE(plain);
  EXPECT_EQ(directory::external_password_hash("abNANd1rDfiNc", "auto", plain), "{PLAIN}abNANd1rDfiNc");
  EXPECT_TRUE(plain);
  EXPECT_EQ(directory::external_password_hash("*notHEX", "auto", plain), "{PLAIN}*notHEX");
  EXPECT_TRUE(plain);
}

namespace {

class ExternalDirectory : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string path = (tmp_.path() / "cyradm.db").string();
    auto pool = std::make_unique<sqldb::Pool>(sqldb::Dialect::sqlite, [path] { return sqldb::open_sqlite(path); }, 2);
    pool->write([](sqldb::Connection& c) {
      c.exec("CREATE TABLE accountuser (username TEXT, password TEXT, imap INTEGER NOT NULL DEFAULT 1, "
             "pop INTEGER NOT NULL DEFAULT 1, sieve INTEGER NOT NULL DEFAULT 1, smtpauth INTEGER NOT NULL DEFAULT 1)");
      c.exec("CREATE TABLE domain (domain_name TEXT)");
      c.exec("CREATE TABLE virtual (alias TEXT, dest TEXT, username TEXT, status INTEGER DEFAULT 1)");
      c.exec("INSERT INTO domain VALUES ('prefix.test')");
      c.exec("INSERT INTO accountuser (username, password) VALUES ('test0001', 'plain-pw'), ('test0002', '*14E65567ABDB5135D0CFD9A70B3032C179A49EE7'), ('cyrus', 'secret')");
      c.exec(
          "INSERT INTO virtual (alias, dest, username, status) VALUES "
          "('alice@prefix.test', 'test0001', 'test0001', 1), ('bob@prefix.test', 'test0002', 'test0002', 1), "
          "('info@prefix.test', 'test0001, bob@prefix.test', 'test0001', 1), "
          "('fwd@prefix.test', 'someone@remote.example', 'test0001', 1), "
          "('@prefix.test', 'test0002', 'test0002', 1), ('old@prefix.test', 'test0001', 'test0001', 0)");
    });
    auto c = config::defaults("mx.test", tmp_.path());
    const auto& d = c.directory;
    directory::ExternalQueries q{d.password_query, d.address_query, d.alias_query,   d.domain_query,
                                 d.sender_query,   d.services_query, d.password_scheme};
    dir_ = directory::open_external(std::move(pool), directory::open_sqlite((tmp_.path() / "local.db").string()), q);
  }

  void run(const std::string& sql) {
    std::string path = (tmp_.path() / "cyradm.db").string();
    sqldb::Pool pool(sqldb::Dialect::sqlite, [path] { return sqldb::open_sqlite(path); }, 1);
    pool.write([&](sqldb::Connection& c) { c.exec(sql); });
  }

  kurier::testing::TempDir tmp_{"kurier-external"};
  std::unique_ptr<directory::Directory> dir_;
};

}  // namespace

TEST_F(ExternalDirectory, AccountsByLoginAndAddressWithStableIds) {
  auto a = dir_->find_account_by_login("test0001");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->address, "alice@prefix.test");
  EXPECT_EQ(a->password_hash, "{PLAIN}plain-pw");
  EXPECT_EQ(dir_->find_account_by_login("test0002")->password_hash, "{MYSQL41}*14E65567ABDB5135D0CFD9A70B3032C179A49EE7");
  EXPECT_FALSE(dir_->find_account_by_login("nobody"));
  EXPECT_FALSE(dir_->find_account_by_login("cyrus"));  // no address: no mail account
  auto by_address = dir_->find_account_by_address("alice@prefix.test");
  ASSERT_TRUE(by_address);
  EXPECT_EQ(by_address->id, a->id);
  EXPECT_EQ(dir_->find_account_by_login("test0001")->id, a->id);  // the same id every time
  EXPECT_EQ(dir_->account_by_id(a->id)->login, "test0001");
  EXPECT_FALSE(dir_->find_account_by_address("info@prefix.test"));  // an alias, not an account
}

TEST_F(ExternalDirectory, AliasesCatchAllAndDomains) {
  EXPECT_TRUE(dir_->find_domain("PREFIX.test"));
  EXPECT_FALSE(dir_->find_domain("other.test"));
  EXPECT_TRUE(dir_->alias_targets("alice@prefix.test").empty());  // an account's own address
  EXPECT_EQ(dir_->alias_targets("info@prefix.test"), (std::vector<std::string>{"alice@prefix.test", "bob@prefix.test"}));
  EXPECT_EQ(dir_->alias_targets("fwd@prefix.test"), std::vector<std::string>{"someone@remote.example"});
  EXPECT_EQ(dir_->alias_targets("@prefix.test"), std::vector<std::string>{"bob@prefix.test"});
  EXPECT_TRUE(dir_->alias_targets("old@prefix.test").empty());  // status 0
}

TEST_F(ExternalDirectory, ChangesAreRefusedButKuriersOwnRecordsWork) {
  directory::Domain d;
  d.name = "new.test";
  EXPECT_THROW(dir_->add_domain(d), Error);
  EXPECT_THROW(dir_->add_alias_targets(1, "x@prefix.test", {"y@prefix.test"}), Error);
  auto a = dir_->find_account_by_login("test0001");
  EXPECT_THROW(dir_->remove_account(a->id), Error);
  dir_->set_credentials(a->id, "$y$new", "");  // an upgrade after login: not written there
  EXPECT_EQ(dir_->find_account_by_login("test0001")->password_hash, "{PLAIN}plain-pw");
  dir_->put_sieve_script(a->id, "s", "keep;");
  dir_->activate_sieve_script(a->id, "s");
  EXPECT_EQ(dir_->active_sieve_script(a->id)->content, "keep;");
  dir_->add_admin({0, "admin", "$y$h", true, {}});
  EXPECT_TRUE(dir_->find_admin("admin"));
}

// Web-cyradm's per-service switches (accountuser imap, pop, sieve, smtpauth) become the account's
// services, which every login path checks (accounts::Authenticator::admit).
TEST_F(ExternalDirectory, PerServiceSwitchesOfWebCyradm) {
  using namespace directory;
  EXPECT_EQ(dir_->find_account_by_login("test0001")->services, uint32_t(kAllServices));
  run("UPDATE accountuser SET imap = 0, smtpauth = 0 WHERE username = 'test0001'");
  EXPECT_EQ(dir_->find_account_by_login("test0001")->services, uint32_t(kPop3 | kSieve | kReceive));
  EXPECT_EQ(dir_->find_account_by_address("alice@prefix.test")->services, uint32_t(kPop3 | kSieve | kReceive));
  run("UPDATE accountuser SET pop = 0, sieve = 0, imap = 1 WHERE username = 'test0001'");
  EXPECT_EQ(dir_->account_by_id(dir_->find_account_by_login("test0001")->id)->services, uint32_t(kImap | kReceive));
  EXPECT_EQ(dir_->find_account_by_login("test0002")->services, uint32_t(kAllServices));
}

TEST(ExternalDirectoryServices, AQueryThatDoesNotFitSwitchesServicesOff) {
  kurier::testing::TempDir tmp{"kurier-external"};
  std::string path = (tmp.path() / "cyradm.db").string();
  auto pool = std::make_unique<sqldb::Pool>(sqldb::Dialect::sqlite, [path] { return sqldb::open_sqlite(path); }, 2);
  pool->write([](sqldb::Connection& c) {
    c.exec("CREATE TABLE accountuser (username TEXT, password TEXT, imap INTEGER)");
    c.exec("CREATE TABLE virtual (alias TEXT, dest TEXT, username TEXT, status INTEGER DEFAULT 1)");
    c.exec("INSERT INTO accountuser VALUES ('u1', 'pw', 1)");
    c.exec("INSERT INTO virtual (alias, dest, username) VALUES ('u1@x.test', 'u1', 'u1')");
  });
  auto c = config::defaults("mx.test", tmp.path());
  const auto& d = c.directory;
  auto open = [&](std::string services_query, std::unique_ptr<sqldb::Pool> p) {
    directory::ExternalQueries q{d.password_query, d.address_query,         d.alias_query,    d.domain_query,
                                 d.sender_query,   std::move(services_query), d.password_scheme};
    return directory::open_external(std::move(p), directory::open_sqlite((tmp.path() / "local.db").string()), q);
  };
  // One column where four are expected: IMAP as it says, the rest off (never on by mistake).
  auto dir = open("SELECT imap FROM accountuser WHERE username = ?", std::move(pool));
  EXPECT_EQ(dir->find_account_by_login("u1")->services, uint32_t(directory::kImap | directory::kReceive));
  // No services query: every service.
  auto all = open("", std::make_unique<sqldb::Pool>(sqldb::Dialect::sqlite, [path] { return sqldb::open_sqlite(path); }, 2));
  EXPECT_EQ(all->find_account_by_login("u1")->services, uint32_t(directory::kAllServices));
}
