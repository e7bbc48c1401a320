// MAIL/RCPT DSN parameters as the session hands them to delivery (smtp/dsn_params.h): parsed,
// then back in wire form, so what the client sent is what the next hop gets.
#include "smtp/dsn_params.h"

#include <gtest/gtest.h>

namespace kurier::smtp {
namespace {

Command parse(std::string_view line) {
  auto r = parse_command(line, true);
  EXPECT_TRUE(r) << line << ": " << r.error.text;
  return r ? *r.command : Command{};
}

TEST(DsnParams, MailRetAndEnvid) {
  auto m = message_dsn(parse("MAIL FROM:<a@example.test> RET=HDRS ENVID=QQ+2B314").mail);
  EXPECT_EQ(m.ret, delivery::DsnReturn::headers);
  EXPECT_EQ(m.envid, "QQ+2B314");  // decoded "QQ+314", encoded again
  auto full = message_dsn(parse("MAIL FROM:<a@example.test> RET=full").mail);
  EXPECT_EQ(full.ret, delivery::DsnReturn::full);
  EXPECT_EQ(full.envid, "");
  EXPECT_EQ(message_dsn(parse("MAIL FROM:<>").mail).ret, delivery::DsnReturn::unspecified);
}

TEST(DsnParams, RcptNotifyAndOrcpt) {
  auto r = recipient_dsn(parse("RCPT TO:<b@example.test> NOTIFY=SUCCESS,DELAY ORCPT=rfc822;b+2Bx@example.test").rcpt);
  EXPECT_EQ(r.notify, unsigned(delivery::kDsnSuccess | delivery::kDsnDelay));
  EXPECT_EQ(r.orcpt, "rfc822;b+2Bx@example.test");
  auto never = recipient_dsn(parse("RCPT TO:<b@example.test> NOTIFY=never").rcpt);
  EXPECT_EQ(never.notify, unsigned(delivery::kDsnNever));
  EXPECT_EQ(never.orcpt, "");
  auto none = recipient_dsn(parse("RCPT TO:<b@example.test>").rcpt);
  EXPECT_EQ(none.notify, 0u);
  auto failure = recipient_dsn(parse("RCPT TO:<b@example.test> NOTIFY=FAILURE").rcpt);
  EXPECT_EQ(failure.notify, unsigned(delivery::kDsnFailure));
}

TEST(DsnParams, Utf8OrcptIsUtf8AddrXtext) {
  // RFC 6533 3: "utf-8" ORCPTs travel as utf-8-addr-xtext.
  auto r = recipient_dsn(parse("RCPT TO:<b@example.test> ORCPT=utf-8;j\\x{F6}rg@example.test").rcpt);
  EXPECT_EQ(r.orcpt, "utf-8;j\\x{F6}rg@example.test");
  EXPECT_EQ(encode_utf8_addr_xtext("a+b=c\\d \xe2\x82\xac\xf0\x9f\x98\x80"), "a\\x{2B}b\\x{3D}c\\x{5C}d\\x{20}\\x{20AC}\\x{1F600}");
  EXPECT_EQ(orcpt_value({"rfc822", "a+b@example.test"}), "rfc822;a+2Bb@example.test");
}

}  // namespace
}  // namespace kurier::smtp
