// Recipient resolution: every routing rule of the seed's Postfix virtual + mysql tables
// (CHECKLIST "Routing"), on a real SQLite directory.
#include "delivery/resolver.h"

#include <gtest/gtest.h>

#include <set>

#include "delivery_test_util.h"

namespace kurier::delivery {
namespace {

using Kind = Resolution::Kind;

class ResolverTest : public testing::DirectoryTest {
 protected:
  void SetUp() override {
    domain("example.test");
    alice_ = account("alice@example.test");
    bob_ = account("bob@example.test");
    carol_ = account("carol@example.test");
  }

  Resolution resolve(std::string_view address, std::string separators = "+") {
    return Resolver(dir_, ResolverOptions{.subaddress_separators = separators}).resolve(address);
  }

  std::vector<int64_t> ids(const Resolution& r) {
    std::vector<int64_t> out;
    for (const auto& a : r.accounts) out.push_back(a.account_id);
    return out;
  }

  int64_t alice_ = 0, bob_ = 0, carol_ = 0;
};

TEST_F(ResolverTest, AccountAddressIsDeliverable) {
  auto r = resolve("alice@example.test");
  EXPECT_EQ(r.kind, Kind::found);
  EXPECT_EQ(ids(r), std::vector<int64_t>{alice_});
  EXPECT_EQ(r.accounts[0].address, "alice@example.test");
  EXPECT_TRUE(r.external.empty());
}

TEST_F(ResolverTest, MatchesCaseInsensitively) {
  auto r = resolve("Alice@EXAMPLE.Test");
  EXPECT_EQ(r.kind, Kind::found);
  EXPECT_EQ(ids(r), std::vector<int64_t>{alice_});
  EXPECT_EQ(r.address, "alice@example.test");
  EXPECT_EQ(ids(resolve("alice@example.test.")), std::vector<int64_t>{alice_});  // trailing root dot
}

TEST_F(ResolverTest, UnknownAddressOfHostedDomain) {
  auto r = resolve("nobody@example.test");
  EXPECT_EQ(r.kind, Kind::unknown);
  EXPECT_TRUE(r.accounts.empty());
}

TEST_F(ResolverTest, MalformedAddressIsUnknown) {
  EXPECT_EQ(resolve("").kind, Kind::unknown);
  EXPECT_EQ(resolve("no-at-sign").kind, Kind::unknown);
  EXPECT_EQ(resolve("@example.test").kind, Kind::unknown);
  EXPECT_EQ(resolve("alice@").kind, Kind::unknown);
  EXPECT_EQ(resolve("al ice@example.test").kind, Kind::unknown);
}

TEST_F(ResolverTest, ForeignAndRelayDomainsAreNotLocal) {
  EXPECT_EQ(resolve("someone@elsewhere.example").kind, Kind::not_local);
  domain("backup.example", "relay:mx.backup.example:25");
  account("x@backup.example");
  EXPECT_EQ(resolve("x@backup.example").kind, Kind::not_local);
  EXPECT_TRUE(resolve("anyone@backup.example").relay_domain);  // accepted from anyone, relayed
  EXPECT_FALSE(resolve("x@elsewhere.example").relay_domain);
}

TEST_F(ResolverTest, AliasExpandsToEveryTarget) {
  alias("team@example.test", {"alice@example.test", "bob@example.test"});
  auto r = resolve("team@example.test");
  EXPECT_EQ(r.kind, Kind::found);
  EXPECT_EQ(ids(r), (std::vector<int64_t>{alice_, bob_}));
}

TEST_F(ResolverTest, AliasOnAnAccountAddressWins) {
  alias("alice@example.test", {"bob@example.test"});  // a forward without "keep a copy"
  EXPECT_EQ(ids(resolve("alice@example.test")), std::vector<int64_t>{bob_});
}

TEST_F(ResolverTest, AliasTargetEqualToSourceKeepsACopy) {
  alias("alice@example.test", {"alice@example.test", "bob@example.test"});
  EXPECT_EQ(ids(resolve("alice@example.test")), (std::vector<int64_t>{alice_, bob_}));
}

TEST_F(ResolverTest, AliasesExpandRecursively) {
  alias("all@example.test", {"team@example.test", "carol@example.test"});
  alias("team@example.test", {"alice@example.test", "bob@example.test", "carol@example.test"});
  auto r = resolve("all@example.test");
  EXPECT_EQ(ids(r), (std::vector<int64_t>{alice_, bob_, carol_}));  // carol once
}

TEST_F(ResolverTest, ExternalTargetsAreReturnedForRelay) {
  alias("fwd@example.test", {"alice@example.test", "Someone@Elsewhere.Example"});
  auto r = resolve("fwd@example.test");
  EXPECT_EQ(r.kind, Kind::found);
  EXPECT_EQ(ids(r), std::vector<int64_t>{alice_});
  EXPECT_EQ(r.external, std::vector<std::string>{"someone@elsewhere.example"});
}

TEST_F(ResolverTest, AliasLoopIsDetected) {
  // The admin service refuses loops, but the directory may be edited by other means.
  alias("a@example.test", {"b@example.test"});
  alias("b@example.test", {"a@example.test"});
  EXPECT_EQ(resolve("a@example.test").kind, Kind::unknown);
  alias("b@example.test", {"carol@example.test"});
  EXPECT_EQ(ids(resolve("a@example.test")), std::vector<int64_t>{carol_});
}

TEST_F(ResolverTest, AliasNestingIsBounded) {
  for (int i = 0; i < 30; ++i)
    alias("n" + std::to_string(i) + "@example.test", {"n" + std::to_string(i + 1) + "@example.test"});
  alias("n30@example.test", {"alice@example.test"});
  auto r = resolve("n0@example.test");
  EXPECT_EQ(r.kind, Kind::loop);
  EXPECT_TRUE(r.accounts.empty());
  EXPECT_EQ(ids(resolve("n15@example.test")), std::vector<int64_t>{alice_});  // 16 levels is fine
}

TEST_F(ResolverTest, UnknownAliasTargetsAreDropped) {
  alias("team@example.test", {"alice@example.test", "ghost@example.test"});
  auto r = resolve("team@example.test");
  EXPECT_EQ(ids(r), std::vector<int64_t>{alice_});
  EXPECT_EQ(r.dropped, std::vector<std::string>{"ghost@example.test"});
  alias("void@example.test", {"ghost@example.test"});
  EXPECT_EQ(resolve("void@example.test").kind, Kind::unknown);
}

TEST_F(ResolverTest, CatchAllTakesUndefinedAddressesOnly) {
  alias("@example.test", {"carol@example.test"});
  EXPECT_EQ(ids(resolve("whatever@example.test")), std::vector<int64_t>{carol_});
  EXPECT_EQ(ids(resolve("alice@example.test")), std::vector<int64_t>{alice_});  // exact beats @domain
  alias("team@example.test", {"bob@example.test"});
  EXPECT_EQ(ids(resolve("team@example.test")), std::vector<int64_t>{bob_});
}

TEST_F(ResolverTest, DomainAliasMapsToTheOtherDomain) {
  domain("alias.test");
  alias("@alias.test", {"@example.test"});
  EXPECT_EQ(ids(resolve("alice@alias.test")), std::vector<int64_t>{alice_});
  EXPECT_EQ(ids(resolve("BOB@Alias.Test")), std::vector<int64_t>{bob_});
  EXPECT_EQ(resolve("nobody@alias.test").kind, Kind::unknown);
  // An exact address in the aliased domain beats the domain alias.
  alias("alice@alias.test", {"carol@example.test"});
  EXPECT_EQ(ids(resolve("alice@alias.test")), std::vector<int64_t>{carol_});
  // Through the domain alias, the target domain's catch-all applies.
  alias("@example.test", {"carol@example.test"});
  EXPECT_EQ(ids(resolve("nobody@alias.test")), std::vector<int64_t>{carol_});
}

TEST_F(ResolverTest, DomainAliasOntoAForeignDomainRelays) {
  domain("moved.test");
  alias("@moved.test", {"@new.example"});
  auto r = resolve("x@moved.test");
  EXPECT_EQ(r.kind, Kind::found);
  EXPECT_EQ(r.external, std::vector<std::string>{"x@new.example"});
}

TEST_F(ResolverTest, SubaddressDeliversToTheBaseAddress) {
  EXPECT_EQ(ids(resolve("alice+lists@example.test")), std::vector<int64_t>{alice_});
  EXPECT_EQ(resolve("alice+lists@example.test", "").kind, Kind::unknown);        // subaddressing off
  EXPECT_EQ(ids(resolve("alice-lists@example.test", "+-")), std::vector<int64_t>{alice_});
  EXPECT_EQ(resolve("+lists@example.test").kind, Kind::unknown);                 // empty base
  alias("team@example.test", {"bob@example.test"});
  EXPECT_EQ(ids(resolve("team+x@example.test")), std::vector<int64_t>{bob_});     // base alias
}

TEST_F(ResolverTest, KnownSubaddressBeatsItsBase) {
  alias("alice+spam@example.test", {"carol@example.test"});
  EXPECT_EQ(ids(resolve("alice+spam@example.test")), std::vector<int64_t>{carol_});
  EXPECT_EQ(ids(resolve("alice+other@example.test")), std::vector<int64_t>{alice_});
}

TEST_F(ResolverTest, SubaddressBeatsTheCatchAll) {
  alias("@example.test", {"carol@example.test"});
  EXPECT_EQ(ids(resolve("alice+x@example.test")), std::vector<int64_t>{alice_});
  EXPECT_EQ(ids(resolve("nobody+x@example.test")), std::vector<int64_t>{carol_});
}

TEST_F(ResolverTest, PostmasterNeedsAnAliasOrTheCatchAll) {
  EXPECT_EQ(resolve("postmaster@example.test").kind, Kind::unknown);
  alias("@example.test", {"carol@example.test"});
  EXPECT_EQ(ids(resolve("Postmaster@example.test")), std::vector<int64_t>{carol_});
  alias("postmaster@example.test", {"alice@example.test"});
  EXPECT_EQ(ids(resolve("postmaster@example.test")), std::vector<int64_t>{alice_});
}

// Rule 6: [delivery] postmaster takes postmaster@ of every hosted domain that has no rule of its
// own; an alias, an account or the catch-all still win, and other unknown addresses stay unknown.
TEST_F(ResolverTest, ConfiguredPostmasterIsTheFallback) {
  domain("other.test");
  auto with_postmaster = [&](std::string_view address, std::string target) {
    return Resolver(dir_, ResolverOptions{.postmaster = std::move(target)}).resolve(address);
  };
  EXPECT_EQ(ids(with_postmaster("postmaster@example.test", "bob@example.test")), std::vector<int64_t>{bob_});
  EXPECT_EQ(ids(with_postmaster("POSTMASTER@other.test", "bob@example.test")), std::vector<int64_t>{bob_});
  auto outside = with_postmaster("postmaster@other.test", "Hostmaster@Provider.Example");
  EXPECT_EQ(outside.kind, Kind::found);
  EXPECT_EQ(outside.external, std::vector<std::string>{"hostmaster@provider.example"});
  EXPECT_EQ(with_postmaster("webmaster@other.test", "bob@example.test").kind, Kind::unknown);
  EXPECT_EQ(with_postmaster("postmaster@elsewhere.example", "bob@example.test").kind, Kind::not_local);
  EXPECT_EQ(with_postmaster("postmaster@other.test", "ghost@example.test").kind, Kind::unknown);
  alias("postmaster@other.test", {"carol@example.test"});
  EXPECT_EQ(ids(with_postmaster("postmaster@other.test", "bob@example.test")), std::vector<int64_t>{carol_});
  alias("@example.test", {"alice@example.test"});
  EXPECT_EQ(ids(with_postmaster("postmaster@example.test", "bob@example.test")), std::vector<int64_t>{alice_});
}

TEST_F(ResolverTest, DisabledAccountCountsAsAbsent) {
  account("off@example.test", 0, /*enabled=*/false);
  account("noreceive@example.test", 0, true, directory::kAllServices & ~directory::kReceive);
  account("noimap@example.test", 0, true, directory::kAllServices & ~directory::kImap);
  EXPECT_EQ(resolve("off@example.test").kind, Kind::unknown);
  EXPECT_EQ(resolve("noreceive@example.test").kind, Kind::unknown);
  EXPECT_EQ(resolve("noimap@example.test").kind, Kind::found);
  alias("team@example.test", {"off@example.test", "bob@example.test"});
  EXPECT_EQ(ids(resolve("team@example.test")), std::vector<int64_t>{bob_});
  // Absent means absent: the catch-all takes over, as Postfix's lookup with "enabled = 1" did.
  alias("@example.test", {"carol@example.test"});
  EXPECT_EQ(ids(resolve("off@example.test")), std::vector<int64_t>{carol_});
}

TEST_F(ResolverTest, DirectoryFailureIsTemporary) {
  dir_.down = true;
  auto r = resolve("alice@example.test");
  EXPECT_EQ(r.kind, Kind::temporary);
  EXPECT_TRUE(r.accounts.empty());
  dir_.down = false;
  EXPECT_EQ(resolve("alice@example.test").kind, Kind::found);
}

TEST_F(ResolverTest, QuotaComesWithTheAccount) {
  account("small@example.test", 1000);
  auto r = resolve("small@example.test");
  ASSERT_EQ(r.accounts.size(), 1u);
  EXPECT_EQ(r.accounts[0].quota, 1000u);
}

TEST(SplitAddress, NormalisesAndRejects) {
  auto a = split_address(" Bob@Example.ORG ");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->local, "bob");
  EXPECT_EQ(a->domain, "example.org");
  EXPECT_EQ(split_address("\"a@b\"@example.org")->local, "\"a@b\"");
  EXPECT_FALSE(split_address("bob@"));
  EXPECT_FALSE(split_address("bob@exa mple.org"));
  EXPECT_FALSE(split_address(std::string(300, 'a') + "@example.org"));
}

// A 5,000-target alias (local accounts named many times, outside addresses twice, a nested
// alias overlapping it): every target comes out once, in expansion order.
TEST_F(ResolverTest, BigAliasExpandsEachTargetOnce) {
  std::vector<std::string> targets, nested;
  for (int i = 0; i < 2497; ++i) targets.push_back("t" + std::to_string(i) + "@elsewhere.example");
  for (int i = 0; i < 2497; ++i) targets.push_back("t" + std::to_string(i) + "@elsewhere.example");
  for (int i = 0; i < 3; ++i) targets.insert(targets.end(), {"alice@example.test", "bob@example.test"});
  targets.push_back("nested@example.test");
  nested = {"carol@example.test", "alice@example.test", "t0@elsewhere.example", "t2497@elsewhere.example"};
  ASSERT_EQ(targets.size(), 5001u);
  alias("big@example.test", targets);
  alias("nested@example.test", nested);
  ResolverOptions options{.max_results = 10000, .max_lookups = 50000};
  auto r = Resolver(dir_, options).resolve("big@example.test");
  ASSERT_TRUE(r.found()) << r.detail;
  EXPECT_EQ(ids(r), (std::vector<int64_t>{alice_, bob_, carol_}));
  ASSERT_EQ(r.external.size(), 2498u);
  std::set<std::string> unique(r.external.begin(), r.external.end());
  EXPECT_EQ(unique.size(), r.external.size());
  EXPECT_EQ(r.external.front(), "t0@elsewhere.example");
  EXPECT_EQ(r.external.back(), "t2497@elsewhere.example");
}

}  // namespace
}  // namespace kurier::delivery
