#include "dkim/key_store.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>

namespace kurier::dkim {
namespace {

namespace fs = std::filesystem;

class KeyStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = "/tmp/kurier-dkim-keys-XXXXXX";
    ASSERT_TRUE(mkdtemp(tmpl.data()));
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(KeyStoreTest, GeneratesKeysWithMode0600AndReloadsThem) {
  KeyStore store(dir_, "kurier");
  auto keys = store.ensure_keys("Example.ORG");
  ASSERT_EQ(keys.size(), 2u);
  EXPECT_EQ(keys[0].domain, "example.org");
  EXPECT_EQ(keys[0].selector, "kurier");
  EXPECT_EQ(keys[1].selector, "kurier-ed25519");
  for (auto name : {"example.org.kurier.rsa.key", "example.org.kurier.ed25519.key"}) {
    struct stat st {};
    ASSERT_EQ(::stat((dir_ / name).c_str(), &st), 0) << name;
    EXPECT_EQ(st.st_mode & 0777, 0600u) << name;
  }
  KeyStore again(dir_, "kurier");
  auto reloaded = again.load_keys("example.org");
  ASSERT_EQ(reloaded.size(), 2u);
  EXPECT_EQ(reloaded[0].key->public_key_base64(), keys[0].key->public_key_base64());
  EXPECT_EQ(reloaded[1].key->public_key_base64(), keys[1].key->public_key_base64());
  EXPECT_TRUE(again.load_keys("other.example").empty());
}

TEST_F(KeyStoreTest, DnsRecordsAreSplitInto255ByteStrings) {
  KeyStore store(dir_, "kurier");
  auto records = store.dns_txt_records("example.org");
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].name, "kurier._domainkey.example.org.");
  EXPECT_EQ(records[0].value.rfind("v=DKIM1; k=rsa; p=MIIB", 0), 0u) << records[0].value;
  EXPECT_GT(records[0].strings.size(), 1u);
  std::string joined;
  for (const auto& s : records[0].strings) {
    EXPECT_LE(s.size(), 255u);
    joined += s;
  }
  EXPECT_EQ(joined, records[0].value);
  EXPECT_EQ(records[0].zone_line().rfind("kurier._domainkey.example.org. IN TXT \"v=DKIM1; k=rsa; p=", 0), 0u);
  EXPECT_EQ(records[1].name, "kurier-ed25519._domainkey.example.org.");
  EXPECT_EQ(records[1].value.size(), std::string("v=DKIM1; k=ed25519; p=").size() + 44);
  EXPECT_EQ(records[1].strings.size(), 1u);
}

TEST_F(KeyStoreTest, RejectsDomainsThatCouldEscapeTheDirectory) {
  KeyStore store(dir_, "kurier");
  for (auto bad : {"../etc", "a/b", "", ".example.org", "exa mple.org", "a..b"}) EXPECT_THROW(store.ensure_keys(bad), Error) << bad;
}

TEST_F(KeyStoreTest, WrongKeyTypeInFileIsAnError) {
  KeyStore store(dir_, "kurier");
  auto keys = store.ensure_keys("example.org");
  fs::copy_file(dir_ / "example.org.kurier.ed25519.key", dir_ / "example.net.kurier.rsa.key");
  KeyStore fresh(dir_, "kurier");
  EXPECT_THROW(fresh.load_keys("example.net"), Error);
}

}  // namespace
}  // namespace kurier::dkim
