#include "auth/sasl.h"

#include <gtest/gtest.h>

#include "common/base64.h"

namespace kurier::auth {
namespace {

using namespace std::string_literals;

// Returns a copy of the alternative T that step must hold (steps are usually temporaries).
template <typename T>
T expect(const Step& step) {
  const T* value = std::get_if<T>(&step);
  EXPECT_NE(value, nullptr) << "step holds alternative " << step.index();
  return value ? *value : T{};
}

// ---------------------------------------------------------------- factory

TEST(SaslFactory, MakesKnownMechanismsCaseInsensitively) {
  EXPECT_EQ(make_mechanism("PLAIN")->name(), "PLAIN");
  EXPECT_EQ(make_mechanism("plain")->name(), "PLAIN");
  EXPECT_EQ(make_mechanism("Login")->name(), "LOGIN");
  EXPECT_EQ(make_mechanism("scram-sha-256")->name(), "SCRAM-SHA-256");
  EXPECT_EQ(make_mechanism("SCRAM-SHA-256-PLUS"), nullptr);
  EXPECT_EQ(make_mechanism("CRAM-MD5"), nullptr);
  EXPECT_EQ(make_mechanism(""), nullptr);
}

TEST(SaslFactory, OffersPasswordRevealingMechanismsOnlyOverTls) {
  EXPECT_EQ(mechanism_names(true), (std::vector<std::string>{"SCRAM-SHA-256", "PLAIN", "LOGIN"}));
  EXPECT_EQ(mechanism_names(false), (std::vector<std::string>{"SCRAM-SHA-256"}));
  EXPECT_TRUE(is_mechanism_offered("plain", true));
  EXPECT_FALSE(is_mechanism_offered("PLAIN", false));
  EXPECT_FALSE(is_mechanism_offered("LOGIN", false));
  EXPECT_TRUE(is_mechanism_offered("SCRAM-SHA-256", false));
  EXPECT_FALSE(is_mechanism_offered("CRAM-MD5", true));
}

// ---------------------------------------------------------------- PLAIN

TEST(SaslPlain, SucceedsAfterEmptyChallenge) {
  auto mech = make_mechanism("PLAIN");
  EXPECT_EQ(expect<Challenge>(mech->start()).data, "");
  auto verify = expect<VerifyPassword>(mech->step("\0user\0pencil"s));
  EXPECT_EQ(verify.authcid, "user");
  EXPECT_EQ(verify.authzid, "");
  EXPECT_EQ(verify.password, "pencil");
  auto success = expect<Success>(mech->finish(true));
  EXPECT_EQ(success.authcid, "user");
  EXPECT_EQ(success.authzid, "");
  EXPECT_FALSE(success.final_data);
  EXPECT_TRUE(mech->done());
}

TEST(SaslPlain, AcceptsInitialResponseAndAuthzid) {
  auto mech = make_mechanism("PLAIN");
  auto verify = expect<VerifyPassword>(mech->step("admin\0user@example.org\0p w"s));
  EXPECT_EQ(verify.authzid, "admin");
  EXPECT_EQ(verify.authcid, "user@example.org");
  EXPECT_EQ(verify.password, "p w");
  EXPECT_EQ(expect<Success>(mech->finish(true)).authzid, "admin");
}

TEST(SaslPlain, AuthzidEqualToAuthcidBecomesEmpty) {
  auto mech = make_mechanism("PLAIN");
  EXPECT_EQ(expect<VerifyPassword>(mech->step("user\0user\0pencil"s)).authzid, "");
  EXPECT_EQ(expect<Success>(mech->finish(true)).authzid, "");
  auto scram = make_mechanism("SCRAM-SHA-256");
  EXPECT_EQ(expect<NeedScramSecret>(scram->step("n,a=user,n=user,r=abc")).authzid, "");
}

TEST(SaslPlain, WrongPasswordFailsWithUserName) {
  auto mech = make_mechanism("PLAIN");
  expect<VerifyPassword>(mech->step("\0user\0wrong"s));
  auto failure = expect<Failure>(mech->finish(false));
  EXPECT_EQ(failure.authcid, "user");
  EXPECT_FALSE(failure.reason.empty());
  EXPECT_TRUE(mech->done());
}

class PlainRejects : public ::testing::TestWithParam<std::string> {};

TEST_P(PlainRejects, MalformedMessage) {
  auto mech = make_mechanism("PLAIN");
  expect<Failure>(mech->step(GetParam()));
  EXPECT_TRUE(mech->done());
}

INSTANTIATE_TEST_SUITE_P(
    SaslPlain, PlainRejects,
    ::testing::Values(""s, "user"s, "\0user"s, "user\0pencil"s, "\0\0pencil"s, "\0user\0"s,
                      "\0user\0pen\0cil"s, "\0user\0pen\tcil"s, "\0us\xFFr\0pencil"s,
                      "\xC3\0user\0pencil"s, "\0user\0\xC3"s,
                      "\0"s + std::string(kMaxSaslIdentity + 1, 'u') + "\0pencil"s,
                      std::string(kMaxSaslIdentity + 1, 'z') + "\0user\0pencil"s,
                      "\0user\0"s + std::string(kMaxSaslPassword + 1, 'p'),
                      std::string(kMaxSaslMessage + 1, 'x')));

TEST(SaslPlain, AcceptsRfc4616MinimumFieldLengths) {
  std::string id(255, 'u'), password(255, 'p');
  auto mech = make_mechanism("PLAIN");
  auto verify = expect<VerifyPassword>(mech->step(id + "\0"s + id + "\0"s + password));
  EXPECT_EQ(verify.authcid, id);
  EXPECT_EQ(verify.password, password);
}

TEST(SaslPlain, RejectsCallsOutOfSequence) {
  auto mech = make_mechanism("PLAIN");
  expect<Failure>(mech->finish(true));  // nothing to verify yet
  EXPECT_TRUE(mech->done());
  expect<Failure>(mech->step("\0user\0pencil"s));  // finished exchanges stay finished

  auto twice = make_mechanism("PLAIN");
  expect<Challenge>(twice->start());
  expect<Failure>(twice->start());

  auto secret = make_mechanism("PLAIN");
  expect<Failure>(secret->provide_secret(std::nullopt));

  auto after_failure = make_mechanism("PLAIN");
  expect<Failure>(after_failure->step("garbage"));
  expect<Failure>(after_failure->step("\0user\0pencil"s));  // no second chance

  auto pending = make_mechanism("PLAIN");
  expect<VerifyPassword>(pending->step("\0user\0pencil"s));
  expect<Failure>(pending->step("\0user\0pencil"s));  // data while the verdict is pending
  expect<Failure>(pending->finish(true));
}

// ---------------------------------------------------------------- LOGIN

TEST(SaslLogin, AsksForUserNameThenPassword) {
  auto mech = make_mechanism("LOGIN");
  EXPECT_EQ(expect<Challenge>(mech->start()).data, "Username:");
  EXPECT_EQ(expect<Challenge>(mech->step("user")).data, "Password:");
  auto verify = expect<VerifyPassword>(mech->step("pencil"));
  EXPECT_EQ(verify.authcid, "user");
  EXPECT_EQ(verify.authzid, "");
  EXPECT_EQ(verify.password, "pencil");
  EXPECT_EQ(expect<Success>(mech->finish(true)).authcid, "user");
}

TEST(SaslLogin, TakesUserNameAsInitialResponse) {
  auto mech = make_mechanism("LOGIN");
  EXPECT_EQ(expect<Challenge>(mech->step("user")).data, "Password:");
  expect<VerifyPassword>(mech->step("pencil"));
  EXPECT_EQ(expect<Failure>(mech->finish(false)).authcid, "user");
}

TEST(SaslLogin, RejectsEmptyOrMalformedFields) {
  expect<Failure>(make_mechanism("LOGIN")->step(""));
  expect<Failure>(make_mechanism("LOGIN")->step("us\0er"s));
  expect<Failure>(make_mechanism("LOGIN")->step(std::string(kMaxSaslIdentity + 1, 'u')));
  auto mech = make_mechanism("LOGIN");
  expect<Challenge>(mech->step("user"));
  EXPECT_EQ(expect<Failure>(mech->step("")).authcid, "user");
  auto bad_utf8 = make_mechanism("LOGIN");
  expect<Challenge>(bad_utf8->step("user"));
  expect<Failure>(bad_utf8->step("\xFF\xFE"));
}

TEST(SaslLogin, RejectsCallsOutOfSequence) {
  auto mech = make_mechanism("LOGIN");
  expect<Challenge>(mech->step("user"));
  expect<Failure>(mech->finish(true));  // password not given yet
  auto pending = make_mechanism("LOGIN");
  expect<Challenge>(pending->step("user"));
  expect<VerifyPassword>(pending->step("pencil"));
  expect<Failure>(pending->step("more"));
}

// ---------------------------------------------------------------- SCRAM-SHA-256

// RFC 7677 section 3 example exchange.
constexpr const char* kClientFirst = "n,,n=user,r=rOprNGfwEbeRWgbNEkqO";
constexpr const char* kServerNonce = "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";
constexpr const char* kServerFirst =
    "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";
constexpr const char* kClientFinal =
    "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
    "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";
constexpr const char* kServerFinal = "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=";
constexpr const char* kFullNonce = "rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";

ScramSecret pencil_secret() {
  return make_scram_secret("pencil", *base64_decode("W22ZaJ0SNY7soEsUEjb6gQ=="), 4096);
}

SaslConfig fixed_nonce_config() {
  SaslConfig config;
  config.server_nonce = [] { return std::string(kServerNonce); };
  config.scram_fake_salt_key = "test key";
  return config;
}

// Drives a mechanism up to the server-first message.
std::unique_ptr<Mechanism> scram_after_server_first(
    std::string_view client_first, std::optional<ScramSecret> secret,
    std::string* server_first = nullptr, const SaslConfig& config = fixed_nonce_config()) {
  auto mech = make_mechanism("SCRAM-SHA-256", config);
  expect<NeedScramSecret>(mech->step(client_first));
  std::string challenge = expect<Challenge>(mech->provide_secret(std::move(secret))).data;
  if (server_first) *server_first = challenge;
  return mech;
}

// What a client computes for client-final-message (RFC 5802 section 3).
std::string client_final(std::string_view password, const ScramSecret& secret,
                         std::string_view client_first_bare, std::string_view server_first,
                         std::string_view without_proof) {
  ScramKey salted = scram_salted_password(password, secret.salt, secret.iterations);
  ScramKey client_key = scram_hmac(as_bytes(salted), "Client Key");
  ScramKey stored_key = scram_hash(as_bytes(client_key));
  std::string auth_message = std::string(client_first_bare) + "," + std::string(server_first) +
                             "," + std::string(without_proof);
  ScramKey signature = scram_hmac(as_bytes(stored_key), auth_message);
  ScramKey proof;
  for (size_t i = 0; i < proof.size(); ++i) proof[i] = client_key[i] ^ signature[i];
  return std::string(without_proof) + ",p=" + base64_encode(as_bytes(proof));
}

std::string nonce_of(std::string_view server_first) {
  return std::string(server_first.substr(2, server_first.find(',') - 2));
}

TEST(SaslScram, ReplaysRfc7677Exchange) {
  auto mech = make_mechanism("SCRAM-SHA-256", fixed_nonce_config());
  EXPECT_EQ(expect<Challenge>(mech->start()).data, "");
  auto need = expect<NeedScramSecret>(mech->step(kClientFirst));
  EXPECT_EQ(need.authcid, "user");
  EXPECT_EQ(need.authzid, "");
  EXPECT_EQ(expect<Challenge>(mech->provide_secret(pencil_secret())).data, kServerFirst);
  auto success = expect<Success>(mech->step(kClientFinal));
  EXPECT_EQ(success.final_data, kServerFinal);
  EXPECT_EQ(success.authcid, "user");
  EXPECT_TRUE(mech->done());
}

TEST(SaslScram, SecretFromStoredTextWorksToo) {
  auto secret = parse_scram_secret(serialize_scram_secret(pencil_secret()));
  auto mech = scram_after_server_first(kClientFirst, secret);
  EXPECT_EQ(expect<Success>(mech->step(kClientFinal)).final_data, kServerFinal);
}

TEST(SaslScram, WrongPasswordFails) {
  std::string server_first;
  auto mech = scram_after_server_first(kClientFirst, pencil_secret(), &server_first);
  std::string final = client_final("pencil2", pencil_secret(), "n=user,r=rOprNGfwEbeRWgbNEkqO",
                                   server_first, "c=biws,r="s + kFullNonce);
  auto failure = expect<Failure>(mech->step(final));
  EXPECT_EQ(failure.authcid, "user");
}

TEST(SaslScram, RandomServerNonceAndComputedProof) {
  SaslConfig config;  // random nonce, process-wide fake-salt key
  ScramSecret secret = make_scram_secret("correct horse");
  std::string server_first;
  auto mech = scram_after_server_first("y,,n=bob,r=abc", secret, &server_first, config);
  std::string nonce = nonce_of(server_first);
  EXPECT_TRUE(nonce.starts_with("abc"));
  EXPECT_EQ(nonce.size(), 3u + 24u);
  // "y" flag: c= is base64("y,,") = "eSws". An unknown extension x= is ignored.
  std::string final = client_final("correct horse", secret, "n=bob,r=abc", server_first,
                                   "c=eSws,r=" + nonce + ",x=ignored");
  EXPECT_EQ(expect<Success>(mech->step(final)).authcid, "bob");
}

TEST(SaslScram, TwoExchangesGetDifferentServerNonces) {
  SaslConfig config;
  std::string first, second;
  scram_after_server_first(kClientFirst, pencil_secret(), &first, config);
  scram_after_server_first(kClientFirst, pencil_secret(), &second, config);
  EXPECT_NE(nonce_of(first), nonce_of(second));
}

TEST(SaslScram, UnknownUserGetsStableFakeSaltAndFails) {
  std::string first, again, other;
  auto mech = scram_after_server_first("n,,n=nobody,r=abc", std::nullopt, &first);
  scram_after_server_first("n,,n=nobody,r=xyz", std::nullopt, &again);
  scram_after_server_first("n,,n=somebody,r=abc", std::nullopt, &other);
  auto salt_of = [](std::string_view server_first) {
    size_t start = server_first.find(",s=") + 3;
    return std::string(server_first.substr(start, server_first.find(",i=") - start));
  };
  EXPECT_EQ(salt_of(first), salt_of(again));
  EXPECT_NE(salt_of(first), salt_of(other));
  EXPECT_EQ(base64_decode(salt_of(first))->size(), kScramSaltSize);
  EXPECT_TRUE(first.ends_with(",i=4096"));
  // Whatever password the client tries, the exchange fails, and only at the very end.
  std::string final = client_final("pencil", pencil_secret(), "n=nobody,r=abc", first,
                                   "c=biws,r=" + nonce_of(first));
  auto failure = expect<Failure>(mech->step(final));
  EXPECT_EQ(failure.authcid, "nobody");
}

TEST(SaslScram, DecodesEscapedUserNameAndAuthzid) {
  auto mech = make_mechanism("SCRAM-SHA-256", fixed_nonce_config());
  auto need = expect<NeedScramSecret>(mech->step("n,a=ad=3Dmin,n=us=2Cer,r=abc"));
  EXPECT_EQ(need.authcid, "us,er");
  EXPECT_EQ(need.authzid, "ad=min");
  ScramSecret secret = pencil_secret();
  std::string server_first = expect<Challenge>(mech->provide_secret(secret)).data;
  // c= carries the whole GS2 header, authzid included.
  std::string final = client_final("pencil", secret, "n=us=2Cer,r=abc", server_first,
                                    "c=" + base64_encode("n,a=ad=3Dmin,") + ",r=" +
                                        nonce_of(server_first));
  auto success = expect<Success>(mech->step(final));
  EXPECT_EQ(success.authcid, "us,er");
  EXPECT_EQ(success.authzid, "ad=min");
}

class ScramRejectsClientFirst : public ::testing::TestWithParam<std::string> {};

TEST_P(ScramRejectsClientFirst, WithFailure) {
  auto mech = make_mechanism("SCRAM-SHA-256", fixed_nonce_config());
  expect<Failure>(mech->step(GetParam()));
  EXPECT_TRUE(mech->done());
}

INSTANTIATE_TEST_SUITE_P(
    SaslScram, ScramRejectsClientFirst,
    ::testing::Values(
        ""s, "n"s, "n,"s, "n,,"s, "n,,n=user"s, "n,,r=abc,n=user"s, "n,,n=,r=abc"s,
        "n,,n=user,r="s,
        "p=tls-server-end-point,,n=user,r=abc"s,  // channel binding: not supported
        "p=tls-unique,,n=user,r=abc"s, "x,,n=user,r=abc"s, "N,,n=user,r=abc"s,
        "n,b=admin,n=user,r=abc"s, "n,a=,n=user,r=abc"s, "n,a=x=41,n=user,r=abc"s,
        "n,,m=ext,n=user,r=abc"s,          // RFC 5802 5.1: mandatory extension
        "n,,n=us=41er,r=abc"s, "n,,n=us=2,r=abc"s, "n,,n=us=er,r=abc"s,  // bad escapes
        "n,,n=us\ter,r=abc"s, "n,,n=\xFF,r=abc"s, "n,,n=user,r=a\x7F"s, "n,,n=user,r=a b"s,
        "n,,n=user,r=abc,1=x"s, "n,,n=user,r=abc,"s,
        "n,,n=user,r="s + std::string(300, 'a'),
        "n,,n="s + std::string(kMaxSaslIdentity + 1, 'u') + ",r=abc"s,
        std::string(kMaxSaslMessage + 1, 'n')));

class ScramRejectsClientFinal : public ::testing::TestWithParam<std::string> {};

TEST_P(ScramRejectsClientFinal, WithFailure) {
  auto mech = scram_after_server_first(kClientFirst, pencil_secret());
  expect<Failure>(mech->step(GetParam()));
  EXPECT_TRUE(mech->done());
}

const std::string kProof = ",p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";

INSTANTIATE_TEST_SUITE_P(
    SaslScram, ScramRejectsClientFinal,
    ::testing::Values(
        ""s, "c=biws,r="s + kFullNonce,                        // no proof
        "c=eSws,r="s + kFullNonce + kProof,                    // c= says "y", client-first "n"
        "c=biws,r="s + kFullNonce + "x" + kProof,              // nonce mismatch
        "c=biws,r=rOprNGfwEbeRWgbNEkqO"s + kProof,             // client nonce only
        "r="s + kFullNonce + ",c=biws" + kProof,               // wrong order
        "c=biw,r="s + kFullNonce + kProof,                     // bad base64
        "c=biws,r="s + kFullNonce + ",p=dHzbZapWIk4jUhN=",     // proof too short
        "c=biws,r="s + kFullNonce + ",p=***",
        "c=biws,r="s + kFullNonce + ",p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVU=",  // wrong
        "c=biws,r="s + kFullNonce + ",9=x" + kProof,           // malformed extension
        "c=biws,r="s + kFullNonce + kProof + ",x=after-proof",
        "c=biws"s + kProof));

TEST(SaslScram, RejectsCallsOutOfSequence) {
  auto waiting = make_mechanism("SCRAM-SHA-256", fixed_nonce_config());
  expect<NeedScramSecret>(waiting->step(kClientFirst));
  EXPECT_EQ(expect<Failure>(waiting->step(kClientFinal)).authcid, "user");  // secret not given

  auto early = make_mechanism("SCRAM-SHA-256", fixed_nonce_config());
  expect<Failure>(early->provide_secret(pencil_secret()));

  auto twice = scram_after_server_first(kClientFirst, pencil_secret());
  expect<Failure>(twice->provide_secret(pencil_secret()));

  auto verdict = scram_after_server_first(kClientFirst, pencil_secret());
  expect<Failure>(verdict->finish(true));  // SCRAM never asks for a password check

  auto replay = scram_after_server_first(kClientFirst, pencil_secret());
  expect<Success>(replay->step(kClientFinal));
  expect<Failure>(replay->step(kClientFinal));
}

}  // namespace
}  // namespace kurier::auth
