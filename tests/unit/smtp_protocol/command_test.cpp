#include "smtp_protocol/command.h"

#include <gtest/gtest.h>

#include <string>

namespace kurier::smtp {
namespace {

Command parse_ok(std::string_view line, bool smtputf8 = false) {
  ParseResult r = parse_command(line, smtputf8);
  EXPECT_TRUE(r) << "line: " << line << " -> " << r.error.wire();
  return r ? *r.command : Command{};
}

// The reply a client would see, without its CRLF.
std::string parse_error(std::string_view line, bool smtputf8 = false) {
  ParseResult r = parse_command(line, smtputf8);
  EXPECT_FALSE(r) << "line: " << line;
  std::string wire = r.error.wire();
  return wire.substr(0, wire.size() - 2);
}

// ---------------------------------------------------------------- verbs

TEST(Command, VerbsAreCaseInsensitive) {
  EXPECT_EQ(parse_ok("quit").verb, Verb::Quit);
  EXPECT_EQ(parse_ok("QuIt").verb, Verb::Quit);
  EXPECT_EQ(parse_ok("QUIT  ").verb, Verb::Quit);
  EXPECT_EQ(parse_ok("data").verb, Verb::Data);
  EXPECT_EQ(parse_ok("RSET").verb, Verb::Rset);
  EXPECT_EQ(parse_ok("starttls").verb, Verb::StartTls);
}

TEST(Command, UnknownEmptyAndInvalid) {
  EXPECT_EQ(parse_error("FOO bar"), "500 5.5.1 Unknown command");
  EXPECT_EQ(parse_error("MAILFROM:<a@b.c>"), "500 5.5.1 Unknown command");
  EXPECT_EQ(parse_error(""), "500 5.5.2 Syntax error: empty command");
  EXPECT_EQ(parse_error("   "), "500 5.5.2 Syntax error: empty command");
  EXPECT_EQ(parse_error(std::string("NOOP \0", 6)), "500 5.5.2 Syntax error: invalid character in command");
  EXPECT_EQ(parse_error("NOOP \x1b[0m"), "500 5.5.2 Syntax error: invalid character in command");
}

TEST(Command, LineLengthLimits) {
  // 512 octets including CRLF: 510 without.
  std::string noop = "NOOP " + std::string(505, 'x');
  ASSERT_EQ(noop.size(), 510u);
  EXPECT_EQ(parse_ok(noop).verb, Verb::Noop);
  EXPECT_EQ(parse_error(noop + "x"), "500 5.5.2 Line too long");
  EXPECT_EQ(parse_error("XYZZ " + std::string(600, 'x')), "500 5.5.2 Line too long");
  EXPECT_EQ(parse_error("NOOP " + std::string(20000, 'x')), "500 5.5.2 Line too long");
  // MAIL and RCPT may be longer because of their parameters.
  std::string envid = "ENVID=";
  for (int i = 0; i < 100; ++i) envid += "+41";  // xtext for 100 "A"s
  std::string auth = "AUTH=" + std::string(60, 'a') + "@" + std::string(60, 'b') + ".example";
  std::string mail = "MAIL FROM:<" + std::string(64, 'l') + "@" + std::string(63, 'd') + ".example> SIZE=100 RET=HDRS " +
                     envid + " " + auth + " BODY=8BITMIME";
  ASSERT_GT(mail.size() + 2, kMaxCommandLine);
  EXPECT_TRUE(parse_command(mail, false));
  EXPECT_EQ(parse_error("MAIL FROM:<a@b.c> " + std::string(kMaxMailLine, 'x')), "500 5.5.2 Line too long");
  std::string orcpt = "ORCPT=rfc822;" + std::string(400, 'o') + "@x.example";
  std::string rcpt = "RCPT TO:<" + std::string(64, 'r') + "@" + std::string(63, 'd') + "." + std::string(63, 'd') +
                     "> NOTIFY=SUCCESS,FAILURE,DELAY " + orcpt;
  ASSERT_GT(rcpt.size() + 2, kMaxCommandLine);
  EXPECT_TRUE(parse_command(rcpt, false)) << parse_command(rcpt, false).error.wire();
  // AUTH with a long initial response (OAuth tokens).
  EXPECT_TRUE(parse_command("AUTH XOAUTH2 " + std::string(4000, 'Q'), false));
  EXPECT_EQ(parse_error("AUTH XOAUTH2 " + std::string(kMaxAuthLine, 'Q')), "500 5.5.2 Line too long");
}

// ---------------------------------------------------------------- HELO / EHLO / LHLO

TEST(Command, Greetings) {
  Command ehlo = parse_ok("EHLO mail.example.org");
  EXPECT_EQ(ehlo.verb, Verb::Ehlo);
  EXPECT_EQ(ehlo.argument, "mail.example.org");
  EXPECT_TRUE(ehlo.helo_is_valid);
  Command literal = parse_ok("ehlo [192.0.2.1]");
  EXPECT_EQ(literal.argument, "[192.0.2.1]");
  EXPECT_TRUE(literal.helo_is_valid);
  EXPECT_TRUE(parse_ok("EHLO [IPv6:2001:db8::1]").helo_is_valid);
  Command sloppy = parse_ok("HELO my_host");
  EXPECT_EQ(sloppy.verb, Verb::Helo);
  EXPECT_EQ(sloppy.argument, "my_host");
  EXPECT_FALSE(sloppy.helo_is_valid);
  EXPECT_EQ(parse_ok("LHLO client.example").verb, Verb::Lhlo);
  EXPECT_EQ(parse_error("EHLO"), "501 5.5.4 Syntax: EHLO hostname");
  EXPECT_EQ(parse_error("HELO   "), "501 5.5.4 Syntax: HELO hostname");
  EXPECT_EQ(parse_error("LHLO"), "501 5.5.4 Syntax: LHLO hostname");
}

// ---------------------------------------------------------------- MAIL

TEST(Mail, BasicAndTolerantForms) {
  Command c = parse_ok("MAIL FROM:<John@Example.ORG>");
  EXPECT_EQ(c.verb, Verb::Mail);
  ASSERT_TRUE(c.mailbox);
  EXPECT_EQ(c.mailbox->str(), "John@example.org");
  EXPECT_EQ(parse_ok("mail from:<a@b.example>").mailbox->str(), "a@b.example");
  EXPECT_EQ(parse_ok("MAIL FROM: <a@b.example>").mailbox->str(), "a@b.example");  // Postfix tolerance
  EXPECT_EQ(parse_ok("MAIL  FROM:<a@b.example>  SIZE=1  ").mail.size, 1u);
  EXPECT_EQ(parse_ok("MAIL FROM:a@b.example SIZE=5").mailbox->str(), "a@b.example");  // no brackets
  EXPECT_EQ(parse_ok("MAIL FROM:<\"x y\"@b.example>").mailbox->local_part(), "\"x y\"");
  EXPECT_EQ(parse_ok("MAIL FROM:<\"x>y\"@b.example>").mailbox->local_part(), "\"x>y\"");
}

TEST(Mail, NullPathAndSourceRoute) {
  Command null = parse_ok("MAIL FROM:<>");
  EXPECT_FALSE(null.mailbox);
  EXPECT_FALSE(parse_ok("MAIL FROM:<> SIZE=10").mailbox);
  Command routed = parse_ok("MAIL FROM:<@a.example,@b.example:user@d.example>");
  ASSERT_TRUE(routed.mailbox);
  EXPECT_EQ(routed.mailbox->str(), "user@d.example");
  EXPECT_EQ(parse_error("MAIL FROM:<@a.example:>"), "501 5.1.7 Bad sender address syntax");
  EXPECT_EQ(parse_error("MAIL FROM:<@a.example user@d.example>"), "501 5.1.7 Bad sender address syntax");
  EXPECT_EQ(parse_error("MAIL FROM:<@:user@d.example>"), "501 5.1.7 Bad sender address syntax");
}

TEST(Mail, SyntaxErrors) {
  EXPECT_EQ(parse_error("MAIL"), "501 5.5.4 Syntax: MAIL FROM:<address>");
  EXPECT_EQ(parse_error("MAIL TO:<a@b.c>"), "501 5.5.4 Syntax: MAIL FROM:<address>");
  EXPECT_EQ(parse_error("MAIL FROM"), "501 5.5.4 Syntax: MAIL FROM:<address>");
  EXPECT_EQ(parse_error("MAIL FROM:"), "501 5.1.7 Bad sender address syntax");
  EXPECT_EQ(parse_error("MAIL FROM:<a@b.example"), "501 5.1.7 Bad sender address syntax");
  EXPECT_EQ(parse_error("MAIL FROM:<a@b.example>x"), "501 5.1.7 Bad sender address syntax");
  EXPECT_EQ(parse_error("MAIL FROM:<a b@c.example>"), "501 5.1.7 Bad sender address syntax");
  EXPECT_EQ(parse_error("MAIL FROM:<a@b..example>"), "501 5.1.7 Bad sender address syntax");
  EXPECT_EQ(parse_error("MAIL FROM:<postmaster>"), "501 5.1.7 Bad sender address syntax");
  EXPECT_EQ(parse_error("MAIL FROM:<a>"), "501 5.1.7 Bad sender address syntax");
}

TEST(Mail, PathLengthLimits) {
  // Mailbox of 254 octets: path of 256 with the angle brackets.
  std::string domain = std::string(63, 'd') + "." + std::string(63, 'd') + "." + std::string(61, 'd');
  std::string local = std::string(64, 'l');
  std::string mailbox = local + "@" + domain;
  ASSERT_EQ(mailbox.size(), 254u);
  EXPECT_TRUE(parse_command("MAIL FROM:<" + mailbox + ">", false));
  EXPECT_EQ(parse_error("MAIL FROM:<" + mailbox + "d>"), "501 5.1.7 Sender address too long");
  EXPECT_EQ(parse_error("RCPT TO:<" + mailbox + "d>"), "501 5.1.3 Recipient address too long");
  EXPECT_EQ(parse_error("MAIL FROM:<" + std::string(65, 'l') + "@x.example>"), "501 5.1.7 Bad sender address syntax");
}

TEST(Mail, Utf8RequiresSmtputf8) {
  const std::string from = "MAIL FROM:<J\xC3\xB6rg@b\xC3\xBC" "cher.example>";
  EXPECT_EQ(parse_error(from), "550 5.6.7 Non-ASCII addresses not permitted for that sender");
  EXPECT_EQ(parse_error(from, true), "550 5.6.7 Non-ASCII addresses not permitted for that sender");
  Command c = parse_ok(from + " SMTPUTF8", true);
  EXPECT_TRUE(c.mail.smtputf8);
  EXPECT_TRUE(c.mailbox->is_utf8());
  EXPECT_EQ(parse_error(from + " SMTPUTF8", false), "555 5.5.4 Unsupported parameter: SMTPUTF8");
  EXPECT_EQ(parse_error("MAIL FROM:<a\xFF@b.example> SMTPUTF8", true), "501 5.1.7 Bad sender address syntax");
}

TEST(MailParams, Size) {
  EXPECT_EQ(parse_ok("MAIL FROM:<a@b.example> SIZE=0").mail.size, 0u);
  EXPECT_EQ(parse_ok("MAIL FROM:<a@b.example> size=18446744073709551615").mail.size, 18446744073709551615ull);
  EXPECT_FALSE(parse_ok("MAIL FROM:<a@b.example>").mail.size);
  EXPECT_EQ(parse_error("MAIL FROM:<a@b.example> SIZE=18446744073709551616"), "501 5.5.4 Bad SIZE value");
  EXPECT_EQ(parse_error("MAIL FROM:<a@b.example> SIZE=-1"), "501 5.5.4 Bad SIZE value");
  EXPECT_EQ(parse_error("MAIL FROM:<a@b.example> SIZE=1k"), "501 5.5.4 Bad SIZE value");
  EXPECT_EQ(parse_error("MAIL FROM:<a@b.example> SIZE"), "501 5.5.4 Bad SIZE value");
  EXPECT_EQ(parse_error("MAIL FROM:<a@b.example> SIZE="), "501 5.5.4 Bad SIZE value");
}

TEST(MailParams, Body) {
  EXPECT_EQ(parse_ok("MAIL FROM:<a@b.example> BODY=7BIT").mail.body, BodyType::SevenBit);
  EXPECT_EQ(parse_ok("MAIL FROM:<a@b.example> body=8bitmime").mail.body, BodyType::EightBitMime);
  EXPECT_EQ(parse_ok("MAIL FROM:<a@b.example> BODY=BINARYMIME").mail.body, BodyType::BinaryMime);
  EXPECT_EQ(parse_ok("MAIL FROM:<a@b.example>").mail.body, BodyType::Unspecified);
  EXPECT_EQ(parse_error("MAIL FROM:<a@b.example> BODY=8BIT"), "501 5.5.4 Bad BODY value");
}

TEST(MailParams, Smtputf8TakesNoValue) {
  EXPECT_EQ(parse_error("MAIL FROM:<a@b.example> SMTPUTF8=yes", true), "501 5.5.4 SMTPUTF8 takes no value");
  EXPECT_TRUE(parse_ok("MAIL FROM:<a@b.example> smtputf8", true).mail.smtputf8);
}

TEST(MailParams, RetAndEnvid) {
  Command c = parse_ok("MAIL FROM:<a@b.example> RET=FULL ENVID=QQ314159+2Bx");
  EXPECT_EQ(c.mail.ret, DsnReturn::Full);
  EXPECT_EQ(c.mail.envid, "QQ314159+x");
  EXPECT_EQ(parse_ok("MAIL FROM:<a@b.example> ret=hdrs").mail.ret, DsnReturn::Headers);
  EXPECT_EQ(parse_error("MAIL FROM:<a@b.example> RET=BODY"), "501 5.5.4 Bad RET value");
  EXPECT_EQ(parse_ok("MAIL FROM:<a@b.example> ENVID=" + std::string(100, 'e')).mail.envid->size(), 100u);
  EXPECT_EQ(parse_error("MAIL FROM:<a@b.example> ENVID=" + std::string(101, 'e')), "501 5.5.4 Bad ENVID value");
  EXPECT_EQ(parse_error("MAIL FROM:<a@b.example> ENVID=a+0Ab"), "501 5.5.4 Bad ENVID value");  // decodes to LF
  EXPECT_EQ(parse_error("MAIL FROM:<a@b.example> ENVID=a+"), "501 5.5.4 Bad ENVID value");
}

TEST(MailParams, Auth) {
  EXPECT_EQ(parse_ok("MAIL FROM:<a@b.example> AUTH=<>").mail.auth, "<>");
  EXPECT_EQ(parse_ok("MAIL FROM:<a@b.example> AUTH=e+3Dmc2@example.com").mail.auth, "e=mc2@example.com");
  EXPECT_EQ(parse_error("MAIL FROM:<a@b.example> AUTH=nobody"), "501 5.5.4 Bad AUTH value");
  EXPECT_EQ(parse_error("MAIL FROM:<a@b.example> AUTH=a+ZZ@b.example"), "501 5.5.4 Bad AUTH value");
}

TEST(MailParams, UnknownDuplicateAndMalformed) {
  EXPECT_EQ(parse_error("MAIL FROM:<a@b.example> FOO=bar"), "555 5.5.4 Unsupported parameter: FOO");
  EXPECT_EQ(parse_error("MAIL FROM:<a@b.example> x-thing"), "555 5.5.4 Unsupported parameter: X-THING");
  EXPECT_EQ(parse_error("MAIL FROM:<a@b.example> NOTIFY=NEVER"), "555 5.5.4 Unsupported parameter: NOTIFY");
  EXPECT_EQ(parse_error("MAIL FROM:<a@b.example> SIZE=1 size=2"), "501 5.5.4 Duplicate parameter: SIZE");
  EXPECT_EQ(parse_error("MAIL FROM:<a@b.example> =1"), "501 5.5.4 Syntax error in parameters");
  EXPECT_EQ(parse_error("MAIL FROM:<a@b.example> -X=1"), "501 5.5.4 Syntax error in parameters");
  EXPECT_EQ(parse_error("MAIL FROM:<a@b.example> SI_ZE=1"), "501 5.5.4 Syntax error in parameters");
  EXPECT_EQ(parse_error("MAIL FROM:<a@b.example> BODY=8BIT=MIME"), "501 5.5.4 Bad BODY value");
}

// ---------------------------------------------------------------- RCPT

TEST(Rcpt, Basic) {
  Command c = parse_ok("RCPT TO:<User+tag@Example.com>");
  EXPECT_EQ(c.verb, Verb::Rcpt);
  EXPECT_EQ(c.mailbox->str(), "User+tag@example.com");
  EXPECT_FALSE(c.postmaster);
  EXPECT_EQ(parse_ok("rcpt to: <a@b.example>").mailbox->str(), "a@b.example");
  EXPECT_EQ(parse_ok("RCPT TO:<@relay.example:a@b.example>").mailbox->str(), "a@b.example");
  EXPECT_EQ(parse_ok("RCPT TO:<a@[IPv6:2001:db8::1]>").mailbox->domain(), "[IPv6:2001:db8::1]");
}

TEST(Rcpt, Postmaster) {
  Command c = parse_ok("RCPT TO:<postmaster>");
  EXPECT_TRUE(c.postmaster);
  EXPECT_FALSE(c.mailbox);
  EXPECT_TRUE(parse_ok("RCPT TO:<PostMaster>").postmaster);
  Command qualified = parse_ok("RCPT TO:<postmaster@example.com>");
  EXPECT_FALSE(qualified.postmaster);
  EXPECT_EQ(qualified.mailbox->str(), "postmaster@example.com");
}

TEST(Rcpt, Errors) {
  EXPECT_EQ(parse_error("RCPT TO:<>"), "501 5.1.3 Bad recipient address syntax");
  EXPECT_EQ(parse_error("RCPT TO:<user>"), "501 5.1.3 Bad recipient address syntax");
  EXPECT_EQ(parse_error("RCPT TO:<a@-b.example>"), "501 5.1.3 Bad recipient address syntax");
  EXPECT_EQ(parse_error("RCPT TO:"), "501 5.1.3 Bad recipient address syntax");
  EXPECT_EQ(parse_error("RCPT FROM:<a@b.example>"), "501 5.5.4 Syntax: RCPT TO:<address>");
  EXPECT_EQ(parse_error("RCPT"), "501 5.5.4 Syntax: RCPT TO:<address>");
  EXPECT_EQ(parse_error("RCPT TO:<a@b.example> SIZE=10"), "555 5.5.4 Unsupported parameter: SIZE");
  EXPECT_EQ(parse_error("RCPT TO:<\xC3\xA9@b.example>"), "553 5.6.7 Non-ASCII addresses not permitted for that recipient");
  EXPECT_EQ(parse_ok("RCPT TO:<\xC3\xA9@b.example>", true).mailbox->local_part(), "\xC3\xA9");
}

TEST(RcptParams, Notify) {
  EXPECT_EQ(parse_ok("RCPT TO:<a@b.example>").rcpt.notify, 0u);
  EXPECT_EQ(parse_ok("RCPT TO:<a@b.example> NOTIFY=NEVER").rcpt.notify, unsigned(kNotifyNever));
  EXPECT_EQ(parse_ok("RCPT TO:<a@b.example> notify=success,failure,delay").rcpt.notify,
            unsigned(kNotifySuccess | kNotifyFailure | kNotifyDelay));
  EXPECT_EQ(parse_ok("RCPT TO:<a@b.example> NOTIFY=FAILURE").rcpt.notify, unsigned(kNotifyFailure));
  EXPECT_EQ(parse_error("RCPT TO:<a@b.example> NOTIFY=NEVER,SUCCESS"), "501 5.5.4 Bad NOTIFY value");
  EXPECT_EQ(parse_error("RCPT TO:<a@b.example> NOTIFY=SUCCESS,"), "501 5.5.4 Bad NOTIFY value");
  EXPECT_EQ(parse_error("RCPT TO:<a@b.example> NOTIFY=ALWAYS"), "501 5.5.4 Bad NOTIFY value");
  EXPECT_EQ(parse_error("RCPT TO:<a@b.example> NOTIFY"), "501 5.5.4 Bad NOTIFY value");
}

TEST(RcptParams, Orcpt) {
  Command c = parse_ok("RCPT TO:<a@b.example> ORCPT=rfc822;Bob+2Bx@example.org");
  ASSERT_TRUE(c.rcpt.orcpt);
  EXPECT_EQ(c.rcpt.orcpt->addr_type, "rfc822");
  EXPECT_EQ(c.rcpt.orcpt->address, "Bob+x@example.org");
  Command utf8 = parse_ok("RCPT TO:<a@b.example> ORCPT=utf-8;J\\x{F6}rg@example.org");
  EXPECT_EQ(utf8.rcpt.orcpt->address, "J\xC3\xB6rg@example.org");
  Command raw = parse_ok("RCPT TO:<a@b.example> ORCPT=UTF-8;J\xC3\xB6rg@example.org", true);
  EXPECT_EQ(raw.rcpt.orcpt->address, "J\xC3\xB6rg@example.org");
  EXPECT_EQ(parse_error("RCPT TO:<a@b.example> ORCPT=UTF-8;J\xC3\xB6rg@example.org"), "501 5.5.4 Bad ORCPT value");
  EXPECT_EQ(parse_error("RCPT TO:<a@b.example> ORCPT=utf-8;a\\x{D800}b"), "501 5.5.4 Bad ORCPT value");
  EXPECT_EQ(parse_error("RCPT TO:<a@b.example> ORCPT=utf-8;a\\x{110000}b"), "501 5.5.4 Bad ORCPT value");
  EXPECT_EQ(parse_error("RCPT TO:<a@b.example> ORCPT=utf-8;a\\x{41"), "501 5.5.4 Bad ORCPT value");
  EXPECT_EQ(parse_error("RCPT TO:<a@b.example> ORCPT=a@b.example"), "501 5.5.4 Bad ORCPT value");
  EXPECT_EQ(parse_error("RCPT TO:<a@b.example> ORCPT=;a@b.example"), "501 5.5.4 Bad ORCPT value");
  EXPECT_EQ(parse_error("RCPT TO:<a@b.example> ORCPT=rfc822;"), "501 5.5.4 Bad ORCPT value");
  EXPECT_EQ(parse_error("RCPT TO:<a@b.example> ORCPT=rfc822;a+4"), "501 5.5.4 Bad ORCPT value");
  EXPECT_EQ(parse_error("RCPT TO:<a@b.example> ORCPT=rfc822;" + std::string(501, 'x')), "501 5.5.4 Bad ORCPT value");
  EXPECT_EQ(parse_error("RCPT TO:<a@b.example> ORCPT=rfc822;a@b ORCPT=rfc822;c@d"), "501 5.5.4 Duplicate parameter: ORCPT");
}

// ---------------------------------------------------------------- the others

TEST(Command, NoArgumentCommands) {
  EXPECT_EQ(parse_error("DATA now"), "501 5.5.4 Syntax: DATA");
  EXPECT_EQ(parse_error("RSET x"), "501 5.5.4 Syntax: RSET");
  EXPECT_EQ(parse_error("QUIT please"), "501 5.5.4 Syntax: QUIT");
  EXPECT_EQ(parse_error("STARTTLS x"), "501 5.5.4 Syntax: STARTTLS");
}

TEST(Command, StringArguments) {
  EXPECT_EQ(parse_ok("NOOP").argument, "");
  EXPECT_EQ(parse_ok("NOOP hello there").argument, "hello there");
  EXPECT_EQ(parse_ok("HELP").verb, Verb::Help);
  EXPECT_EQ(parse_ok("HELP MAIL").argument, "MAIL");
  Command vrfy = parse_ok("VRFY  Smith ");
  EXPECT_EQ(vrfy.verb, Verb::Vrfy);
  EXPECT_EQ(vrfy.argument, "Smith");
  EXPECT_EQ(parse_ok("EXPN staff").verb, Verb::Expn);
  EXPECT_FALSE(parse_ok("EXPN staff").smtputf8);
  Command utf8 = parse_ok("VRFY J\xC3\xB6rg smtputf8");
  EXPECT_TRUE(utf8.smtputf8);
  EXPECT_EQ(utf8.argument, "J\xC3\xB6rg");
  EXPECT_EQ(parse_ok("VRFY SMTPUTF8").argument, "SMTPUTF8");  // a String that happens to be the keyword
  EXPECT_FALSE(parse_ok("VRFY SMTPUTF8").smtputf8);
  EXPECT_EQ(parse_error("VRFY"), "501 5.5.4 Syntax: VRFY string");
  EXPECT_EQ(parse_error("EXPN "), "501 5.5.4 Syntax: EXPN string");
}

TEST(Command, Bdat) {
  Command c = parse_ok("BDAT 1000");
  EXPECT_EQ(c.verb, Verb::Bdat);
  EXPECT_EQ(c.chunk_size, 1000u);
  EXPECT_FALSE(c.last_chunk);
  Command last = parse_ok("bdat 0 last");
  EXPECT_EQ(last.chunk_size, 0u);
  EXPECT_TRUE(last.last_chunk);
  EXPECT_EQ(parse_error("BDAT"), "501 5.5.4 Syntax: BDAT size [LAST]");
  EXPECT_EQ(parse_error("BDAT x"), "501 5.5.4 Syntax: BDAT size [LAST]");
  EXPECT_EQ(parse_error("BDAT -1"), "501 5.5.4 Syntax: BDAT size [LAST]");
  EXPECT_EQ(parse_error("BDAT 10 FIRST"), "501 5.5.4 Syntax: BDAT size [LAST]");
  EXPECT_EQ(parse_error("BDAT 10 LAST x"), "501 5.5.4 Syntax: BDAT size [LAST]");
  EXPECT_EQ(parse_error("BDAT 99999999999999999999"), "501 5.5.4 Syntax: BDAT size [LAST]");
}

TEST(Command, Auth) {
  Command plain = parse_ok("AUTH plain AGZvbwBiYXI=");
  EXPECT_EQ(plain.verb, Verb::Auth);
  EXPECT_EQ(plain.argument, "PLAIN");
  EXPECT_EQ(plain.initial_response, "AGZvbwBiYXI=");
  Command login = parse_ok("AUTH LOGIN");
  EXPECT_EQ(login.argument, "LOGIN");
  EXPECT_FALSE(login.initial_response);
  Command empty = parse_ok("AUTH EXTERNAL =");
  ASSERT_TRUE(empty.initial_response);
  EXPECT_EQ(*empty.initial_response, "");
  EXPECT_EQ(parse_ok("AUTH SCRAM-SHA-256 biwsbj11c2VyLHI9").argument, "SCRAM-SHA-256");
  EXPECT_EQ(parse_error("AUTH"), "501 5.5.4 Syntax: AUTH mechanism [initial-response]");
  EXPECT_EQ(parse_error("AUTH PLAIN a b"), "501 5.5.4 Syntax: AUTH mechanism [initial-response]");
  EXPECT_EQ(parse_error("AUTH PL@IN"), "501 5.5.4 Syntax: AUTH mechanism [initial-response]");
  EXPECT_EQ(parse_error("AUTH " + std::string(21, 'A')), "501 5.5.4 Syntax: AUTH mechanism [initial-response]");
  EXPECT_EQ(parse_error("AUTH PLAIN a*b"), "501 5.5.2 Cannot decode initial response");
  EXPECT_EQ(parse_error("AUTH PLAIN a=b="), "501 5.5.2 Cannot decode initial response");
  EXPECT_EQ(parse_error("AUTH PLAIN ab==="), "501 5.5.2 Cannot decode initial response");
  EXPECT_EQ(parse_error("AUTH PLAIN =="), "501 5.5.2 Cannot decode initial response");
}

TEST(Command, VerbNames) {
  EXPECT_EQ(verb_name(Verb::StartTls), "STARTTLS");
  EXPECT_EQ(verb_name(Verb::Lhlo), "LHLO");
}

}  // namespace
}  // namespace kurier::smtp
