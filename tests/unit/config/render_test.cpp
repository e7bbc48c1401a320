// render() and initial_file(): both parse back to the Config they were made from; the initial
// file keeps defaults commented out; docs/CONFIG.md mentions every key.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "config/config.h"
#include "print.h"
#include "config/schema.h"

namespace kurier::config {
namespace {

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

Config customized() {
  Config c = defaults("mx1.example.org", "/var/lib/kurier", 10000);
  c.file = "/etc/kurier/kurier.toml";
  c.bind = {"127.0.0.1", "::1"};
  c.threads = 3;
  c.lmtp_socket = "";
  for (auto& l : c.listeners) {
    if (l.name == "pop3") l = {"pop3", 0, false};
    if (l.name == "imap") l.port = 1143;
  }
  c.tls.certificate = "/etc/ssl/odd \"name\"\\with\ttab.pem";
  c.tls.min_version = "1.3";
  c.limits.max_message_size = 12345;
  c.limits.max_command_bytes = 2 * 1024 * 1024;
  c.auth.allow_plaintext_on_loopback = false;
  c.delivery.over_quota = "permanent";
  c.delivery.subaddress_separator = "";
  c.outbound.relayhost = "[2001:db8::25]:25";
  c.outbound.routes = {{"example.com", "127.0.0.1:10025"}, {"b.example", "mx.b.example:2525"}};
  c.outbound.require_tls = true;
  c.trusted_networks = {"10.0.0.0/8", "192.168.1.7"};
  c.dkim = {false, "sel1", {"app@example.org", "@b.example"}, {"10.9.0.0/16"}};
  c.log.level = "warn";
  return c;
}

TEST(Render, DefaultsRoundTrip) {
  Config c = defaults("mail.example.com", "/srv/kurier");
  EXPECT_EQ(parse(render(c), c.file), c);
}

TEST(Render, CustomizedRoundTrip) {
  Config c = customized();
  std::string text = render(c);
  EXPECT_EQ(parse(text, c.file), c) << text;
}

TEST(Render, EveryKeyAndCommentedSections) {
  std::string text = render(defaults("mail.example.com", "/srv/kurier"));
  for (const auto& f : schema::fields()) EXPECT_TRUE(contains(text, "\n" + f.key + " = ")) << f.key;
  EXPECT_TRUE(contains(text, "\n# Identity, addresses and process settings.\n[server]\n"));
  EXPECT_TRUE(contains(text, "\n[outbound.routes]\n"));
  EXPECT_TRUE(contains(text, "\nhostname = \"mail.example.com\"\n"));
  EXPECT_TRUE(contains(text, "\nmax_message_size = \"50M\"\n"));
  EXPECT_TRUE(contains(text, "\nsmtp = 25\n"));
  EXPECT_TRUE(contains(text, "\ntrusted_networks = []\n"));
}

TEST(Render, ShowsDisabledListenersAsZero) {
  std::string text = render(customized());
  EXPECT_TRUE(contains(text, "\npop3 = 0\n"));
  EXPECT_TRUE(contains(text, "\nimap = 1143\n"));
  EXPECT_TRUE(contains(text, "\nsmtp = 10025\n"));
  EXPECT_TRUE(contains(text, "\n\"example.com\" = \"127.0.0.1:10025\"\n"));
}

TEST(InitialFile, DefaultsParseToTheSameConfig) {
  Config c = defaults("mail.example.com", "/srv/kurier");
  std::string text = initial_file(c);
  EXPECT_EQ(parse(text, c.file), c) << text;
}

TEST(InitialFile, CustomizedParsesToTheSameConfig) {
  Config c = customized();
  std::string text = initial_file(c);
  EXPECT_EQ(parse(text, c.file), c) << text;
}

TEST(InitialFile, DefaultsCommentedChangesLive) {
  std::string text = initial_file(customized());
  EXPECT_TRUE(contains(text, "\nhostname = \"mx1.example.org\"\n"));
  EXPECT_TRUE(contains(text, "\ndata_dir = \"/var/lib/kurier\"\n"));
  EXPECT_TRUE(contains(text, "\nport_offset = 10000\n"));
  EXPECT_TRUE(contains(text, "\n#smtp = 10025\n"));  // standard + offset is the default
  EXPECT_TRUE(contains(text, "\nimap = 1143\n"));
  EXPECT_TRUE(contains(text, "\npop3 = 0\n"));
  EXPECT_TRUE(contains(text, "\n#max_connections = 10000\n"));
  EXPECT_TRUE(contains(text, "\nmax_message_size = 12345\n") || contains(text, "\nmax_message_size = \"12345\"\n"));
  EXPECT_TRUE(contains(text, "\n#key = \"/var/lib/kurier/tls/key.pem\"\n"));
  EXPECT_TRUE(contains(text, "\nlevel = \"warn\"\n"));
  // Every key sits under its one-line explanation.
  for (const auto& f : schema::fields()) EXPECT_TRUE(contains(text, "# " + f.help + "\n")) << f.key;
}

TEST(InitialFile, MinimalSetupWritesOnlyIdentity) {
  Config c = defaults("mail.example.com", "/srv/kurier");
  std::istringstream lines(initial_file(c));
  std::vector<std::string> live;
  for (std::string line; std::getline(lines, line);)
    if (!line.empty() && line[0] != '#' && line[0] != '[') live.push_back(line);
  EXPECT_EQ(live, (std::vector<std::string>{"hostname = \"mail.example.com\"", "data_dir = \"/srv/kurier\""}));
  EXPECT_TRUE(contains(initial_file(c), "\n#\"example.com\" = \"mx.example.net:25\"\n"));
}

TEST(InitialFile, ValidatesAConfigBuiltInCode) {
  Config c = defaults("mail.example.com", "/srv/kurier", 65000);  // managesieve would be 69190
  EXPECT_THROW(parse(initial_file(c), c.file), ConfigError);
}

std::string config_md() {
  // Not __FILE__: ccache (CCACHE_BASEDIR) makes it relative to the build directory.
  std::ifstream in(std::filesystem::path(KURIER_SOURCE_DIR) / "docs/CONFIG.md");
  std::stringstream doc;
  doc << in.rdbuf();
  return doc.str();
}

TEST(Docs, ConfigMdMentionsEveryKey) {
  std::string doc = config_md();
  ASSERT_FALSE(doc.empty()) << "docs/CONFIG.md not found";
  for (const auto& s : schema::sections()) EXPECT_TRUE(contains(doc, "## [" + std::string(s.name) + "]\n")) << s.name;
  for (const auto& f : schema::fields()) EXPECT_TRUE(contains(doc, "| `" + f.key + "` |")) << f.section << "." << f.key;
}

TEST(Docs, ConfigMdExamplesAreValid) {
  std::string doc = config_md();
  const std::string open = "```toml\n", close = "```\n";
  int examples = 0;
  for (size_t at = doc.find(open); at != std::string::npos; at = doc.find(open, at)) {
    size_t start = at + open.size(), end = doc.find(close, start);
    ASSERT_NE(end, std::string::npos);
    std::string block = doc.substr(start, end - start);
    if (!contains(block, "[server]")) block = "[server]\nhostname = \"mail.example.com\"\n" + block;
    EXPECT_NO_THROW(parse(block, "/etc/kurier/kurier.toml")) << block;
    ++examples;
    at = end + close.size();
  }
  EXPECT_GE(examples, 4);
}

}  // namespace
}  // namespace kurier::config

namespace kurier::config {
namespace {

// Damaged files (bytes flipped, cut short, lines duplicated) yield a Config or a ConfigError,
// never a crash or another exception.
TEST(Robustness, DamagedFilesFailCleanly) {
  const std::string good = initial_file(customized()) + render(customized()).substr(0, 200);
  uint32_t seed = 12345;
  auto next = [&seed] { return seed = seed * 1103515245 + 12345, (seed >> 8); };
  const std::string alphabet = "[]=\"'#.\n \\0aZ9-+{},\x01\xff";
  for (int round = 0; round < 800; ++round) {
    std::string text = good;
    for (int edits = 1 + next() % 4; edits > 0; --edits) {
      size_t at = next() % text.size();
      switch (next() % 3) {
        case 0: text[at] = alphabet[next() % alphabet.size()]; break;
        case 1: text.erase(at, next() % 40); break;
        case 2: text.insert(at, text.substr(next() % text.size(), next() % 60)); break;
      }
      if (text.empty()) text = "x";
    }
    try {
      parse(text, "/etc/kurier/kurier.toml");
    } catch (const ConfigError& e) {
      EXPECT_EQ(std::string(e.what()).rfind("/etc/kurier/kurier.toml", 0), 0u);
    }
  }
}

}  // namespace
}  // namespace kurier::config
