// Signatures checked by python3-dkim (dkimpy), an implementation kurier did not write.
#include "dkim/signer.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "dkim/key_store.h"

namespace kurier::dkim {
namespace {

namespace fs = std::filesystem;

fs::path temp_dir() {
  std::string tmpl = "/tmp/kurier-dkim-test-XXXXXX";
  if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp");
  return tmpl;
}

class SignerTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = temp_dir(); }
  void TearDown() override { fs::remove_all(dir_); }

  // Signs message fed in chunks of `chunk` bytes; returns the signed message.
  std::string sign(KeyStore& store, const std::string& message, size_t chunk = 7, SignOptions options = {}) {
    Signer signer(store.ensure_keys("example.org"), options);
    for (size_t i = 0; i < message.size(); i += chunk) signer.feed(std::string_view(message).substr(i, chunk));
    return signer.finish() + message;
  }

  // Runs python3-dkim over the message; returns its exit status and output.
  int verify(KeyStore& store, const std::string& message, std::string* output = nullptr) {
    std::ofstream(dir_ / "msg.eml", std::ios::binary) << message;
    std::ofstream records(dir_ / "records.txt", std::ios::binary);
    for (const auto& r : store.dns_txt_records("example.org")) records << r.name << "\t" << r.value << "\n";
    records.close();
    std::string cmd = "/usr/bin/python3 " KURIER_TEST_DATA "/dkim/verify.py " + (dir_ / "msg.eml").string() + " " +
                      (dir_ / "records.txt").string() + " > " + (dir_ / "out.txt").string() + " 2>&1";
    int rc = std::system(cmd.c_str());
    std::ifstream in(dir_ / "out.txt");
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (output) *output = text;
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
  }

  fs::path dir_;
};

const std::string kMessage =
    "From: Alice <alice@example.org>\r\n"
    "To: bob@example.net,\r\n"
    "  carol@example.net\r\n"
    "Subject:   Hello   there \r\n"
    "Date: Mon, 01 Jan 2024 10:00:00 +0000\r\n"
    "Message-ID: <1@example.org>\r\n"
    "Received: from x by y; Mon, 01 Jan 2024 10:00:00 +0000\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "\r\n"
    "Hi Bob,  \r\n"
    "\r\n"
    ".a line starting with a dot\r\n"
    "tabs\tand   spaces \t\r\n"
    "\r\n"
    "\r\n";

TEST_F(SignerTest, BothAlgorithmsVerifyWithDkimpy) {
  KeyStore store(dir_ / "dkim", "kurier");
  std::string signed_message = sign(store, kMessage);
  std::string out;
  EXPECT_EQ(verify(store, signed_message, &out), 0) << out << signed_message;
  EXPECT_NE(out.find("signature 0: pass"), std::string::npos);
  EXPECT_NE(out.find("signature 1: pass"), std::string::npos);
  EXPECT_NE(signed_message.find("a=rsa-sha256"), std::string::npos);
  EXPECT_NE(signed_message.find("a=ed25519-sha256"), std::string::npos);
  EXPECT_NE(signed_message.find("s=kurier-ed25519;"), std::string::npos);
}

TEST_F(SignerTest, TamperedBodyOrFromFails) {
  KeyStore store(dir_ / "dkim", "kurier");
  std::string signed_message = sign(store, kMessage);
  std::string body_changed = signed_message + "extra\r\n";
  EXPECT_EQ(verify(store, body_changed), 1);
  // Oversigned From: a second From added on top breaks the signature.
  EXPECT_EQ(verify(store, "From: mallory@example.com\r\n" + signed_message), 1);
}

TEST_F(SignerTest, RelaxedSurvivesRefoldingAndTrailingSpace) {
  KeyStore store(dir_ / "dkim", "kurier");
  std::string signed_message = sign(store, kMessage);
  std::string changed = signed_message;
  auto pos = changed.find("Subject:   Hello   there ");
  changed.replace(pos, 25, "subject: Hello\r\n there");
  pos = changed.find("Hi Bob,  ");
  changed.replace(pos, 9, "Hi Bob,");
  changed += "\r\n\r\n";  // more empty lines at the end
  std::string out;
  EXPECT_EQ(verify(store, changed, &out), 0) << out << changed;
}

TEST_F(SignerTest, BodyHashIndependentOfChunking) {
  KeyStore store(dir_ / "dkim", "kurier");
  SignOptions o;
  o.timestamp = 1700000000;
  std::string reference;
  for (size_t chunk : {1, 2, 3, 64, 100000}) {
    Signer s(store.ensure_keys("example.org"), o);
    for (size_t i = 0; i < kMessage.size(); i += chunk) s.feed(std::string_view(kMessage).substr(i, chunk));
    s.finish();
    if (reference.empty()) reference = s.body_hash();
    EXPECT_EQ(s.body_hash(), reference) << chunk;
  }
}

TEST_F(SignerTest, EmptyBodyAndHeaderOnlyMessages) {
  KeyStore store(dir_ / "dkim", "kurier");
  std::string out;
  std::string headers_only = "From: a@example.org\r\nSubject: x\r\n";
  EXPECT_EQ(verify(store, sign(store, headers_only), &out), 0) << out;
  std::string empty_body = "From: a@example.org\r\nSubject: x\r\n\r\n";
  EXPECT_EQ(verify(store, sign(store, empty_body), &out), 0) << out;
}

TEST_F(SignerTest, LongHeaderListAndRepeatedFields) {
  KeyStore store(dir_ / "dkim", "kurier");
  std::string m = "From: a@example.org\r\nTo: x@example.net\r\nTo: y@example.net\r\nCc: z@example.net\r\n"
                  "Reply-To: r@example.org\r\nIn-Reply-To: <a@b>\r\nReferences: <a@b> <c@d>\r\n"
                  "Content-Transfer-Encoding: 8bit\r\nSubject: " + std::string(300, 's') + "\r\n\r\nbody\r\n";
  std::string signed_message = sign(store, m, 1000);
  std::string out;
  EXPECT_EQ(verify(store, signed_message, &out), 0) << out << signed_message;
  EXPECT_NE(signed_message.find("h=from:from:to:to:cc:subject"), std::string::npos) << signed_message;
  // Every line of the DKIM-Signature fields stays short.
  std::string sig = signed_message.substr(0, signed_message.find("From:"));
  size_t start = 0;
  for (size_t nl; (nl = sig.find("\r\n", start)) != std::string::npos; start = nl + 2) EXPECT_LE(nl - start, 78u);
}

TEST_F(SignerTest, LfOnlyInputVerifiesAfterNormalizing) {
  KeyStore store(dir_ / "dkim", "kurier");
  std::string lf = "From: a@example.org\nSubject: x\n\nline one\nline two\n";
  Signer s(store.ensure_keys("example.org"));
  s.feed(lf);
  std::string fields = s.finish();
  // What the DotStuffer sends: CRLF line ends.
  std::string crlf = "From: a@example.org\r\nSubject: x\r\n\r\nline one\r\nline two\r\n";
  std::string out;
  EXPECT_EQ(verify(store, fields + crlf, &out), 0) << out;
}

TEST_F(SignerTest, MessageWithoutFromIsRefused) {
  KeyStore store(dir_ / "dkim", "kurier");
  Signer s(store.ensure_keys("example.org"));
  s.feed("Subject: x\r\n\r\nbody\r\n");
  EXPECT_THROW(s.finish(), Error);
}

TEST_F(SignerTest, OversizedHeaderIsRefused) {
  KeyStore store(dir_ / "dkim", "kurier");
  SignOptions o;
  o.max_header_bytes = 100;
  Signer s(store.ensure_keys("example.org"), o);
  s.feed("From: a@example.org\r\nX: " + std::string(200, 'x') + "\r\n\r\nbody\r\n");
  EXPECT_THROW(s.finish(), Error);
}

TEST(FoldTagList, KeepsLinesShortAndSplitsOnlyWhereAllowed) {
  std::string f = fold_tag_list("DKIM-Signature", {"v=1", "d=" + std::string(90, 'd'), "b=" + std::string(200, 'A')});
  EXPECT_NE(f.find("d=" + std::string(90, 'd') + ";"), std::string::npos);  // never split
  EXPECT_EQ(f.substr(f.size() - 2), "\r\n");
}

}  // namespace
}  // namespace kurier::dkim
