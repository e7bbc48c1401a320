// The POP3 command parser (RFC 1939 3, RFC 2449 4, RFC 5034 4): keywords, arguments, message
// numbers, and the -ERR text for each malformed line.
#include <gtest/gtest.h>

#include "pop3/command.h"

namespace kurier::pop3 {
namespace {

Command parsed(std::string_view line) {
  ParseResult r = parse_command(line);
  EXPECT_TRUE(r) << line << ": " << r.error;
  return r ? *r.command : Command{};
}

std::string error_of(std::string_view line) {
  ParseResult r = parse_command(line);
  EXPECT_FALSE(r) << line;
  return r.error;
}

TEST(Pop3Command, KeywordsAreCaseInsensitive) {
  EXPECT_EQ(parsed("stat").verb, Verb::stat);
  EXPECT_EQ(parsed("StAt").verb, Verb::stat);
  EXPECT_EQ(parsed("QUIT").verb, Verb::quit);
  EXPECT_EQ(parsed("capa").verb, Verb::capa);
  EXPECT_EQ(parsed("Stls").verb, Verb::stls);
  EXPECT_EQ(parsed("noop").verb, Verb::noop);
  EXPECT_EQ(parsed("rset").verb, Verb::rset);
}

TEST(Pop3Command, UserAndPass) {
  EXPECT_EQ(parsed("USER alice@example.test").text, "alice@example.test");
  // RFC 1939 7: spaces may be part of the password.
  EXPECT_EQ(parsed("PASS  two words ").text, " two words ");
  EXPECT_EQ(parsed("pass secret").text, "secret");
  EXPECT_EQ(error_of("PASS"), "PASS needs a password");
  EXPECT_EQ(error_of("USER"), "USER: missing argument");
  EXPECT_EQ(error_of("USER a b"), "USER: too many arguments");
  EXPECT_EQ(error_of("USER " + std::string(300, 'a')), "USER: argument too long");
}

TEST(Pop3Command, MessageNumbers) {
  Command c = parsed("RETR 7");
  EXPECT_EQ(c.verb, Verb::retr);
  EXPECT_EQ(c.message, 7u);
  EXPECT_EQ(parsed("DELE 4294967295").message, 4294967295u);
  EXPECT_EQ(parsed("dele 0").message, 0u);  // valid syntax, names no message
  EXPECT_FALSE(parsed("LIST").message.has_value());
  EXPECT_EQ(parsed("LIST 2").message, 2u);
  EXPECT_FALSE(parsed("UIDL").message.has_value());
  EXPECT_EQ(parsed("UIDL 3").message, 3u);
  EXPECT_EQ(error_of("RETR"), "RETR: missing argument");
  EXPECT_EQ(error_of("RETR x"), "RETR: invalid message number \"x\"");
  EXPECT_EQ(error_of("RETR -1"), "RETR: invalid message number \"-1\"");
  EXPECT_EQ(error_of("RETR +1"), "RETR: invalid message number \"+1\"");
  EXPECT_EQ(error_of("DELE 4294967296"), "DELE: invalid message number \"4294967296\"");
  EXPECT_EQ(error_of("LIST 1 2"), "LIST: too many arguments");
}

TEST(Pop3Command, Top) {
  Command c = parsed("TOP 3 10");
  EXPECT_EQ(c.verb, Verb::top);
  EXPECT_EQ(c.message, 3u);
  EXPECT_EQ(c.lines, 10u);
  EXPECT_EQ(parsed("TOP 1 0").lines, 0u);
  EXPECT_EQ(parsed("TOP 1 99999999999999999999999").lines, UINT64_MAX);  // saturated
  EXPECT_EQ(error_of("TOP 1"), "TOP: missing argument");
  EXPECT_EQ(error_of("TOP 1 x"), "TOP: invalid number of lines \"x\"");
  EXPECT_EQ(error_of("TOP 1 -5"), "TOP: invalid number of lines \"-5\"");
}

TEST(Pop3Command, Auth) {
  Command bare = parsed("AUTH");
  EXPECT_EQ(bare.verb, Verb::auth);
  EXPECT_EQ(bare.text, "");
  Command plain = parsed("auth plain AGFsaWNlAHNlY3JldA==");
  EXPECT_EQ(plain.text, "PLAIN");
  EXPECT_EQ(plain.initial_response, "AGFsaWNlAHNlY3JldA==");
  EXPECT_FALSE(parsed("AUTH SCRAM-SHA-256").initial_response.has_value());
  EXPECT_EQ(parsed("AUTH PLAIN =").initial_response, "=");
  // RFC 5034 4: the initial response may exceed the 40/255-octet argument limit.
  std::string long_response(2000, 'A');
  EXPECT_EQ(parsed("AUTH PLAIN " + long_response).initial_response, long_response);
  EXPECT_EQ(error_of("AUTH PLAIN a b"), "AUTH: too many arguments");
}

TEST(Pop3Command, LenientSpacing) {
  EXPECT_EQ(parsed("LIST  2").message, 2u);
  EXPECT_EQ(parsed("STAT ").verb, Verb::stat);
  EXPECT_EQ(parsed("TOP 1  5 ").lines, 5u);
}

TEST(Pop3Command, Refusals) {
  EXPECT_EQ(error_of(""), "Empty command");
  EXPECT_EQ(error_of(" STAT"), "Empty command");
  EXPECT_EQ(error_of("HELO there"), "Unknown command: HELO");
  EXPECT_EQ(error_of("XYZZY\x01"), "Unknown command: XYZZY?");
  EXPECT_EQ(error_of("STAT 1"), "STAT takes no arguments");
  EXPECT_EQ(error_of("QUIT now"), "QUIT takes no arguments");
  EXPECT_EQ(error_of("STLS x"), "STLS takes no arguments");
  EXPECT_EQ(error_of("USER a\tb"), "USER: control characters in the command");
  EXPECT_EQ(error_of("PASS a\x7f"), "PASS: control characters in the command");
  EXPECT_EQ(error_of(std::string(100, 'X')), "Unknown command: " + std::string(20, 'X'));
}

TEST(Pop3Command, EightBitUserNamesPass) {
  EXPECT_EQ(parsed("USER j\xc3\xbcrgen@example.test").text, "j\xc3\xbcrgen@example.test");
}

TEST(Pop3Command, ApopIsRecognised) { EXPECT_EQ(parsed("APOP mrose c4c9334bac560ecc979e58001b3e22fb").verb, Verb::apop); }

TEST(Pop3Command, VerbNames) {
  EXPECT_EQ(verb_name(Verb::retr), "RETR");
  EXPECT_EQ(verb_name(Verb::top), "TOP");
  EXPECT_EQ(verb_name(Verb::stls), "STLS");
}

}  // namespace
}  // namespace kurier::pop3
