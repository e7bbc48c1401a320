// The POP3 maildrop (RFC 1939 5 and 6): numbering, DELE marks hidden from STAT/LIST, RSET, the
// UIDs QUIT expunges; UIDL formats; the per-account lock; CAPA's capability lines.
#include <gtest/gtest.h>

#include <algorithm>

#include "pop3/capabilities.h"
#include "pop3/maildrop.h"
#include "pop3/maildrop_lock.h"
#include "pop3/uidl.h"

namespace kurier::pop3 {
namespace {

Maildrop three_messages() {
  std::vector<MaildropMessage> m(3);
  m[0].uid = 4, m[0].size = 100;
  m[1].uid = 9, m[1].size = 200;
  m[2].uid = 12, m[2].size = 300;
  return Maildrop(1234, std::move(m));
}

TEST(Pop3Maildrop, CountsAndLookups) {
  Maildrop d = three_messages();
  EXPECT_EQ(d.total(), 3u);
  EXPECT_EQ(d.visible_count(), 3u);
  EXPECT_EQ(d.visible_octets(), 600u);
  EXPECT_EQ(d.find(2).status, Maildrop::Lookup::ok);
  EXPECT_EQ(d.find(2).message->uid, 9u);
  EXPECT_EQ(d.find(0).status, Maildrop::Lookup::no_such_message);
  EXPECT_EQ(d.find(4).status, Maildrop::Lookup::no_such_message);
  EXPECT_EQ(d.find(UINT64_MAX).status, Maildrop::Lookup::no_such_message);
}

TEST(Pop3Maildrop, DeleMarksAndRsetUnmarks) {
  Maildrop d = three_messages();
  EXPECT_EQ(d.mark_deleted(2), Maildrop::Lookup::ok);
  EXPECT_EQ(d.mark_deleted(2), Maildrop::Lookup::deleted);  // "message 2 already deleted"
  EXPECT_EQ(d.mark_deleted(7), Maildrop::Lookup::no_such_message);
  EXPECT_EQ(d.find(2).status, Maildrop::Lookup::deleted);
  EXPECT_EQ(d.visible_count(), 2u);
  EXPECT_EQ(d.visible_octets(), 400u);
  EXPECT_EQ(d.total(), 3u);  // numbers are never reused in a session
  EXPECT_EQ(d.find(3).message->uid, 12u);
  EXPECT_EQ(d.mark_deleted(3), Maildrop::Lookup::ok);
  EXPECT_EQ(d.deleted_uids(), (std::vector<store::Uid>{9, 12}));
  d.unmark_all();
  EXPECT_TRUE(d.deleted_uids().empty());
  EXPECT_EQ(d.visible_count(), 3u);
}

TEST(Pop3Uidl, Formats) {
  EXPECT_EQ(format_uidl(UidlFormat::dovecot, 0x5f3e1b20, 42), "0000002a5f3e1b20");
  EXPECT_EQ(format_uidl(UidlFormat::dovecot, 1, 1), "0000000100000001");
  EXPECT_EQ(format_uidl(UidlFormat::dovecot, UINT32_MAX, UINT32_MAX), "ffffffffffffffff");
  EXPECT_EQ(format_uidl(UidlFormat::cyrus, 1597905696, 42), "1597905696.42");
  EXPECT_EQ(parse_uidl_format("dovecot"), UidlFormat::dovecot);
  EXPECT_EQ(parse_uidl_format("cyrus"), UidlFormat::cyrus);
  EXPECT_FALSE(parse_uidl_format("Cyrus").has_value());
}

TEST(Pop3Lock, OneHolderPerAccountReleasedWithTheObject) {
  auto first = MaildropLock::try_acquire(77);
  ASSERT_TRUE(first.has_value());
  EXPECT_FALSE(MaildropLock::try_acquire(77).has_value());
  EXPECT_TRUE(MaildropLock::try_acquire(78).has_value());  // other accounts are free (and released at once)
  EXPECT_TRUE(MaildropLock::try_acquire(78).has_value());
  MaildropLock moved = std::move(*first);
  first.reset();  // a moved-from lock releases nothing
  EXPECT_FALSE(MaildropLock::try_acquire(77).has_value());
  { MaildropLock gone = std::move(moved); }
  EXPECT_TRUE(MaildropLock::try_acquire(77).has_value());
}

bool has(const std::vector<std::string>& lines, const std::string& line) {
  return std::find(lines.begin(), lines.end(), line) != lines.end();
}

TEST(Pop3Capa, BeforeLoginOnPlaintext) {
  CapaContext c;
  c.offer_stls = true;
  c.plaintext_allowed = false;
  c.mechanisms = {"SCRAM-SHA-256"};
  auto lines = capability_lines(c);
  for (const char* fixed : {"TOP", "UIDL", "RESP-CODES", "AUTH-RESP-CODE", "PIPELINING", "EXPIRE NEVER",
                            "LOGIN-DELAY 0", "IMPLEMENTATION kurier"})
    EXPECT_TRUE(has(lines, fixed)) << fixed;
  EXPECT_TRUE(has(lines, "STLS"));
  EXPECT_TRUE(has(lines, "SASL SCRAM-SHA-256"));
  EXPECT_FALSE(has(lines, "USER"));  // no plaintext password without TLS (RFC 2595 2.1)
}

TEST(Pop3Capa, BeforeLoginWithTls) {
  CapaContext c;
  c.plaintext_allowed = true;
  c.mechanisms = {"SCRAM-SHA-256", "PLAIN", "LOGIN"};
  auto lines = capability_lines(c);
  EXPECT_TRUE(has(lines, "USER"));
  EXPECT_TRUE(has(lines, "SASL SCRAM-SHA-256 PLAIN LOGIN"));
  EXPECT_FALSE(has(lines, "STLS"));
}

TEST(Pop3Capa, AfterLoginOnlyTransactionCapabilities) {
  CapaContext c;
  c.authenticated = true;
  c.offer_stls = true;
  c.plaintext_allowed = true;
  c.mechanisms = {"PLAIN"};
  auto lines = capability_lines(c);
  EXPECT_TRUE(has(lines, "TOP"));
  EXPECT_FALSE(has(lines, "USER"));
  EXPECT_FALSE(has(lines, "STLS"));
  EXPECT_FALSE(has(lines, "SASL PLAIN"));
}

}  // namespace
}  // namespace kurier::pop3
