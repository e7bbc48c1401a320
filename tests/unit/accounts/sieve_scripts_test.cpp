// The rules for users' Sieve scripts (accounts::SieveScripts) over a real SQLite directory.
#include "accounts/sieve_scripts.h"

#include <gtest/gtest.h>

#include "../temp_dir.h"

namespace kurier::accounts {
namespace {

class SieveScriptsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = directory::open_sqlite((tmp_.path() / "directory.db").string());
    directory::Domain d;
    d.name = "example.test";
    dir_->add_domain(d);
    directory::Account a;
    a.domain_id = dir_->find_domain("example.test")->id;
    a.login = a.address = "a@example.test";
    a.password_hash = "{PLAIN}x";
    account_ = dir_->add_account(a);
  }

  SieveScripts scripts(SieveLimits limits = {100, 2}) {
    SieveLanguage language;
    language.extensions = "fileinto";
    // A stand-in grammar for these rules' tests: the interpreter's own tests cover Sieve.
    language.check = [](std::string_view s) -> std::string {
      return s.find("bad") == std::string_view::npos ? "" : "line 1, column 1: bad script";
    };
    return SieveScripts(*dir_, limits, language);
  }

  kurier::testing::TempDir tmp_{"kurier-sieve-scripts"};
  std::unique_ptr<directory::Directory> dir_;
  int64_t account_ = 0;
};

TEST_F(SieveScriptsTest, PutChecksNameSizeCountAndSyntax) {
  auto s = scripts();
  EXPECT_TRUE(s.put(account_, "one", "keep;").ok());
  EXPECT_EQ(s.put(account_, "two", std::string(101, 'k')).status, SieveStatus::too_big);
  EXPECT_EQ(s.put(account_, "two", "bad;").status, SieveStatus::bad_script);
  EXPECT_EQ(s.put(account_, "two", "bad;").message, "line 1, column 1: bad script");
  EXPECT_TRUE(s.put(account_, "two", "stop;").ok());
  EXPECT_EQ(s.put(account_, "three", "keep;").status, SieveStatus::too_many);
  EXPECT_TRUE(s.put(account_, "two", "discard;").ok()) << "replacing does not count";
  EXPECT_EQ(s.get(account_, "two")->content, "discard;");
  EXPECT_EQ(s.put(account_, "", "keep;").status, SieveStatus::bad_name);
  EXPECT_EQ(s.list(account_).size(), 2u);  // nothing refused was stored
}

TEST_F(SieveScriptsTest, HaveSpaceAnswersLikePutWould) {
  auto s = scripts();
  EXPECT_TRUE(s.have_space(account_, "one", 100).ok());
  EXPECT_EQ(s.have_space(account_, "one", 101).status, SieveStatus::too_big);
  s.put(account_, "one", "keep;");
  s.put(account_, "two", "keep;");
  EXPECT_EQ(s.have_space(account_, "three", 10).status, SieveStatus::too_many);
  EXPECT_TRUE(s.have_space(account_, "two", 10).ok());
}

TEST_F(SieveScriptsTest, ActiveScriptCannotBeRemovedAndRenamesKeepIt) {
  auto s = scripts();
  s.put(account_, "one", "keep;");
  s.put(account_, "two", "keep;");
  EXPECT_EQ(s.activate(account_, "nope").status, SieveStatus::nonexistent);
  EXPECT_TRUE(s.activate(account_, "one").ok());
  EXPECT_EQ(s.remove(account_, "one").status, SieveStatus::active);
  EXPECT_EQ(s.rename(account_, "one", "two").status, SieveStatus::already_exists);
  EXPECT_EQ(s.rename(account_, "nope", "x").status, SieveStatus::nonexistent);
  EXPECT_TRUE(s.rename(account_, "one", "main").ok());
  EXPECT_TRUE(dir_->active_sieve_script(account_)->name == "main");
  EXPECT_TRUE(s.activate(account_, "").ok());
  EXPECT_TRUE(s.remove(account_, "main").ok());
  EXPECT_EQ(s.remove(account_, "main").status, SieveStatus::nonexistent);
}

TEST(SieveNames, Rfc5804Section1_6) {
  EXPECT_EQ(sieve_name_problem("vacation"), "");
  EXPECT_EQ(sieve_name_problem("Urlaub für Müller"), "");
  EXPECT_NE(sieve_name_problem(""), "");
  EXPECT_NE(sieve_name_problem("tab\there"), "");
  EXPECT_NE(sieve_name_problem("del\x7f"), "");
  EXPECT_NE(sieve_name_problem("c1 \xc2\x85 control"), "");       // U+0085
  EXPECT_NE(sieve_name_problem("line\xe2\x80\xa8sep"), "");        // U+2028
  EXPECT_NE(sieve_name_problem("\xff\xfe not utf-8"), "");
  EXPECT_NE(sieve_name_problem(std::string(256, 'x')), "");
  EXPECT_EQ(sieve_name_problem(std::string(255, 'x')), "");
}

}  // namespace
}  // namespace kurier::accounts
