// AdminService over a real SQLite directory in a temp folder: the rules the CLI and web API share.
#include "accounts/admin_service.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "accounts/authenticator.h"

using namespace kurier;
using accounts::Actor;
using accounts::Error;

namespace {

class AdminServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_path = std::filesystem::temp_directory_path() / ("kurier-acct-" + std::to_string(::getpid()) + "-" +
                                                         ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_path);
    std::filesystem::create_directories(dir_path);
    dir = directory::open_sqlite((dir_path / "directory.db").string());
    svc = std::make_unique<accounts::AdminService>(*dir, accounts::Hooks{
        [this](const directory::Account& a) { created.push_back(a.address); },
        [this](const directory::Account& a) { removed.push_back(a.address); }});
    svc->add_domain(sys, "Example.TEST", {});
  }
  void TearDown() override { std::filesystem::remove_all(dir_path); }

  Error::Kind kind_of(const std::function<void()>& fn) {
    try {
      fn();
    } catch (const Error& e) {
      return e.kind();
    }
    ADD_FAILURE() << "no error thrown";
    return Error::Invalid;
  }

  std::filesystem::path dir_path;
  std::unique_ptr<directory::Directory> dir;
  std::unique_ptr<accounts::AdminService> svc;
  Actor sys = Actor::system();
  std::vector<std::string> created, removed;
};

TEST_F(AdminServiceTest, DomainNamesAreNormalisedAndValidated) {
  EXPECT_EQ(svc->show_domain(sys, "EXAMPLE.test").name, "example.test");
  EXPECT_EQ(svc->show_domain(sys, "example.test").default_quota, 20000u * 1024);  // the seed's default
  EXPECT_EQ(kind_of([&] { svc->add_domain(sys, "example.test", {}); }), Error::Conflict);
  for (auto bad : {"", "nodot", "-a.test", "a..test", "a_b.test", "exa mple.test"})
    EXPECT_EQ(kind_of([&] { svc->add_domain(sys, bad, {}); }), Error::Invalid) << bad;
}

TEST_F(AdminServiceTest, UsersRoundTripAndRejectBadInput) {
  auto a = svc->add_user(sys, "Alice@Example.test", "correct horse", std::nullopt, "Alice");
  EXPECT_EQ(a.address, "alice@example.test");
  EXPECT_EQ(a.login, "alice@example.test");
  EXPECT_EQ(a.quota, 20000u * 1024);
  EXPECT_EQ(created, std::vector<std::string>{"alice@example.test"});
  EXPECT_EQ(kind_of([&] { svc->add_user(sys, "alice@example.test", "correct horse", {}, ""); }), Error::Conflict);
  EXPECT_EQ(kind_of([&] { svc->add_user(sys, "bob@unknown.test", "correct horse", {}, ""); }), Error::NotFound);
  EXPECT_EQ(kind_of([&] { svc->add_user(sys, "not-an-address", "correct horse", {}, ""); }), Error::Invalid);
  EXPECT_EQ(kind_of([&] { svc->add_user(sys, "a..b@example.test", "correct horse", {}, ""); }), Error::Invalid);
  EXPECT_EQ(kind_of([&] { svc->add_user(sys, "postmaster@example.test", "correct horse", {}, ""); }), Error::Invalid);
  EXPECT_EQ(kind_of([&] { svc->add_user(sys, "carol@example.test", "short", {}, ""); }), Error::Invalid);
  EXPECT_EQ(svc->list_users(sys, std::nullopt).size(), 1u);
  svc->remove_user(sys, "alice@example.test");
  EXPECT_EQ(removed, std::vector<std::string>{"alice@example.test"});
  EXPECT_EQ(kind_of([&] { svc->show_user(sys, "alice@example.test"); }), Error::NotFound);
}

TEST_F(AdminServiceTest, MaxAccountsIsEnforced) {
  accounts::DomainSettings s;
  s.max_accounts = 1;
  svc->set_domain(sys, "example.test", s);
  svc->add_user(sys, "one@example.test", "password1", {}, "");
  EXPECT_EQ(kind_of([&] { svc->add_user(sys, "two@example.test", "password1", {}, ""); }), Error::Limit);
  EXPECT_EQ(svc->list_users(sys, std::string("example.test")).size(), 1u);
}

TEST_F(AdminServiceTest, PrefixSchemeNumbersLogins) {
  accounts::DomainSettings s;
  s.username_scheme = "prefix";
  s.prefix = "test";
  svc->add_domain(sys, "seed.test", s);
  EXPECT_EQ(svc->add_user(sys, "a@seed.test", "password1", {}, "").login, "test0001");
  EXPECT_EQ(svc->add_user(sys, "b@seed.test", "password1", {}, "").login, "test0002");
  EXPECT_EQ(svc->show_user(sys, "test0002").address, "b@seed.test");
}

TEST_F(AdminServiceTest, AliasesCatchAllsAndLoops) {
  svc->add_user(sys, "alice@example.test", "password1", {}, "");
  auto al = svc->add_alias(sys, "info@example.test", {"alice@example.test", "someone@remote.test"});
  EXPECT_EQ(al.targets.size(), 2u);
  svc->add_alias(sys, "@example.test", {"alice@example.test"});
  // keep-a-copy forward on an account is allowed
  svc->add_alias(sys, "alice@example.test", {"alice@example.test", "backup@remote.test"});
  EXPECT_EQ(kind_of([&] { svc->add_alias(sys, "loop@example.test", {"loop@example.test"}); }), Error::Invalid);
  svc->add_alias(sys, "a@example.test", {"b@example.test"});
  EXPECT_EQ(kind_of([&] { svc->add_alias(sys, "b@example.test", {"a@example.test"}); }), Error::Invalid);
  EXPECT_EQ(kind_of([&] { svc->add_alias(sys, "x@nowhere.test", {"alice@example.test"}); }), Error::NotFound);
  EXPECT_EQ(kind_of([&] { svc->add_alias(sys, "x@example.test", {"bad target"}); }), Error::Invalid);
  EXPECT_EQ(kind_of([&] { svc->add_user(sys, "info@example.test", "password1", {}, ""); }), Error::Conflict);
  svc->remove_alias(sys, "info@example.test", std::string("someone@remote.test"));
  EXPECT_EQ(dir->alias_targets("info@example.test"), std::vector<std::string>{"alice@example.test"});
  EXPECT_EQ(kind_of([&] { svc->remove_alias(sys, "nothing@example.test", std::nullopt); }), Error::NotFound);
}

TEST_F(AdminServiceTest, DomainAliases) {
  svc->add_domain(sys, "other.test", {});
  svc->add_alias(sys, "@other.test", {"@example.test"});
  EXPECT_EQ(dir->alias_targets("@other.test"), std::vector<std::string>{"@example.test"});
  EXPECT_EQ(kind_of([&] { svc->add_alias(sys, "@example.test", {"@example.test"}); }), Error::Invalid);
}

TEST_F(AdminServiceTest, DomainAdminsSeeOnlyTheirDomains) {
  svc->add_domain(sys, "other.test", {});
  svc->add_admin(sys, "boss", "password1", true, {});
  svc->add_admin(sys, "delegate", "password1", false, {"example.test"});
  Actor da{Actor::DomainAdmin, "delegate", {"example.test"}};
  EXPECT_EQ(svc->list_domains(da).size(), 1u);
  svc->add_user(da, "u@example.test", "password1", {}, "");
  EXPECT_EQ(kind_of([&] { svc->add_user(da, "u@other.test", "password1", {}, ""); }), Error::Forbidden);
  EXPECT_EQ(kind_of([&] { svc->add_domain(da, "new.test", {}); }), Error::Forbidden);
  EXPECT_EQ(kind_of([&] { svc->list_admins(da); }), Error::Forbidden);
  EXPECT_TRUE(svc->verify_admin("delegate", "password1").has_value());
  EXPECT_FALSE(svc->verify_admin("delegate", "wrong-password").has_value());
  svc->remove_admin(sys, "delegate");
  EXPECT_EQ(kind_of([&] { svc->remove_admin(sys, "boss"); }), Error::Invalid);  // the last super-admin stays
}

TEST_F(AdminServiceTest, DomainAdminQuotaCeilings) {
  accounts::DomainSettings s;
  s.max_quota_per_account = 10 * 1024 * 1024;
  s.default_quota = 5 * 1024 * 1024;
  svc->set_domain(sys, "example.test", s);
  Actor da{Actor::DomainAdmin, "d", {"example.test"}};
  svc->add_user(da, "u@example.test", "password1", {}, "");
  accounts::UserSettings big;
  big.quota = 20 * 1024 * 1024;
  EXPECT_EQ(kind_of([&] { svc->set_user(da, "u@example.test", big); }), Error::Limit);
  svc->set_user(sys, "u@example.test", big);  // the super-admin may
}

TEST_F(AdminServiceTest, AuthenticatorChecksPasswordsAndServices) {
  svc->add_user(sys, "alice@example.test", "password1", {}, "");
  accounts::Authenticator auth(*dir, {});
  EXPECT_EQ(auth.check_password("alice@example.test", "password1", directory::kImap, "192.0.2.1").status,
            accounts::LoginResult::Ok);
  EXPECT_EQ(auth.check_password("alice@example.test", "nope", directory::kImap, "192.0.2.1").status,
            accounts::LoginResult::BadCredentials);
  EXPECT_EQ(auth.check_password("ghost@example.test", "password1", directory::kImap, "192.0.2.1").status,
            accounts::LoginResult::BadCredentials);
  accounts::UserSettings off;
  off.disable_services = directory::kPop3;
  svc->set_user(sys, "alice@example.test", off);
  EXPECT_EQ(auth.check_password("alice@example.test", "password1", directory::kPop3, "192.0.2.1").status,
            accounts::LoginResult::ServiceDisabled);
  EXPECT_TRUE(auth.scram_secret("alice@example.test", directory::kImap).has_value());
  // Admins are not mail accounts.
  svc->add_admin(sys, "root-admin", "password1", true, {});
  EXPECT_EQ(auth.check_password("root-admin", "password1", directory::kImap, "192.0.2.1").status,
            accounts::LoginResult::BadCredentials);
}

TEST_F(AdminServiceTest, ImportedPlainHashIsUpgradedAtLogin) {
  auto a = svc->add_user(sys, "old@example.test", "password1", {}, "");
  dir->set_credentials(a.id, "{PLAIN}legacy-secret", "");
  accounts::Authenticator auth(*dir, {});
  EXPECT_EQ(auth.check_password("old@example.test", "legacy-secret", directory::kImap, "192.0.2.9").status,
            accounts::LoginResult::Ok);
  auto after = dir->find_account_by_address("old@example.test");
  EXPECT_EQ(after->password_hash.rfind("$y$", 0), 0u);
  EXPECT_FALSE(after->scram_secret.empty());
}

}  // namespace

namespace {

TEST_F(AdminServiceTest, CachedLoginIsForgottenWhenThePasswordChanges) {
  svc->add_user(sys, "cache@example.test", "password1", {}, "");
  accounts::Authenticator auth(*dir, {});
  auto login = [&](const char* pw) {
    return auth.check_password("cache@example.test", pw, directory::kImap, "192.0.2.7").status;
  };
  EXPECT_EQ(login("password1"), accounts::LoginResult::Ok);
  EXPECT_EQ(login("password1"), accounts::LoginResult::Ok);  // from the cache
  accounts::UserSettings s;
  s.password = "password2";
  svc->set_user(sys, "cache@example.test", s);
  EXPECT_EQ(login("password1"), accounts::LoginResult::BadCredentials);
  EXPECT_EQ(login("password2"), accounts::LoginResult::Ok);
}

}  // namespace

namespace {

// The last login is written at the first login and then at most once a minute.
TEST_F(AdminServiceTest, LastLoginIsRecordedButNotRewrittenAtEveryLogin) {
  auto a = svc->add_user(sys, "seen@example.test", "password1", {}, "");
  EXPECT_EQ(a.last_login, 0);
  accounts::Authenticator auth(*dir, {});
  ASSERT_EQ(auth.check_password("seen@example.test", "password1", directory::kImap, "192.0.2.8").status,
            accounts::LoginResult::Ok);
  int64_t first = dir->find_account_by_address("seen@example.test")->last_login;
  EXPECT_GT(first, 0);
  dir->record_login(a.id, first - 30);  // as if it logged in 30 s ago
  ASSERT_EQ(auth.check_password("seen@example.test", "password1", directory::kImap, "192.0.2.8").status,
            accounts::LoginResult::Ok);
  EXPECT_EQ(dir->find_account_by_address("seen@example.test")->last_login, first - 30);
  dir->record_login(a.id, first - 120);  // two minutes ago: refreshed
  ASSERT_EQ(auth.check_password("seen@example.test", "password1", directory::kImap, "192.0.2.8").status,
            accounts::LoginResult::Ok);
  EXPECT_GE(dir->find_account_by_address("seen@example.test")->last_login, first);
}

}  // namespace
