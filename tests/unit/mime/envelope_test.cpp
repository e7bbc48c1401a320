// Tests for mime/envelope.h: ENVELOPE strings (RFC 3501 7.4.2) and address-list parsing.
// Expected strings come from RFC 3501's example and Dovecot's test-imap-envelope.c.
#include "mime/envelope.h"

#include <gtest/gtest.h>

using namespace kurier::mime;

TEST(Envelope, Rfc3501Example) {
  std::string_view header =
      "Date: Wed, 17 Jul 1996 02:23:25 -0700 (PDT)\r\n"
      "From: Terry Gray <gray@cac.washington.edu>\r\n"
      "Subject: IMAP4rev1 WG mtg summary and minutes\r\n"
      "To: imap@cac.washington.edu\r\n"
      "cc: minutes@CNRI.Reston.VA.US, John Klensin <KLENSIN@MIT.EDU>\r\n"
      "Message-Id: <B27397-0100000@cac.washington.edu>\r\n"
      "MIME-Version: 1.0\r\n"
      "Content-Type: TEXT/PLAIN; CHARSET=US-ASCII\r\n\r\n";
  // RFC 3501 shows a space between the two cc addresses; no space is equally valid and is
  // what Dovecot sends.
  EXPECT_EQ(imap_envelope(header),
            R"x(("Wed, 17 Jul 1996 02:23:25 -0700 (PDT)" "IMAP4rev1 WG mtg summary and minutes" )x"
            R"x((("Terry Gray" NIL "gray" "cac.washington.edu")) )x"
            R"x((("Terry Gray" NIL "gray" "cac.washington.edu")) )x"
            R"x((("Terry Gray" NIL "gray" "cac.washington.edu")) )x"
            R"x(((NIL NIL "imap" "cac.washington.edu")) )x"
            R"x(((NIL NIL "minutes" "CNRI.Reston.VA.US")("John Klensin" NIL "KLENSIN" "MIT.EDU")) )x"
            R"x(NIL NIL "<B27397-0100000@cac.washington.edu>"))x");
}

TEST(Envelope, DovecotAllFields) {
  std::string_view header =
      "Message-ID: <msg@id>\n"
      "In-Reply-To: <reply@to.id>\n"
      "Date: Thu, 15 Feb 2007 01:02:03 +0200\n"
      "Subject: subject header\n"
      "From: From Real <fromuser@fromdomain.org>\n"
      "To: To Real <touser@todomain.org>\n"
      "Cc: Cc Real <ccuser@ccdomain.org>\n"
      "Bcc: Bcc Real <bccuser@bccdomain.org>\n"
      "Sender: Sender Real <senderuser@senderdomain.org>\n"
      "Reply-To: ReplyTo Real <replytouser@replytodomain.org>\n"
      "\n";
  EXPECT_EQ(imap_envelope(header),
            R"x(("Thu, 15 Feb 2007 01:02:03 +0200" "subject header" )x"
            R"x((("From Real" NIL "fromuser" "fromdomain.org")) )x"
            R"x((("Sender Real" NIL "senderuser" "senderdomain.org")) )x"
            R"x((("ReplyTo Real" NIL "replytouser" "replytodomain.org")) )x"
            R"x((("To Real" NIL "touser" "todomain.org")) )x"
            R"x((("Cc Real" NIL "ccuser" "ccdomain.org")) )x"
            R"x((("Bcc Real" NIL "bccuser" "bccdomain.org")) )x"
            R"x("<reply@to.id>" "<msg@id>"))x");
}

TEST(Envelope, DovecotGroups) {
  std::string_view header =
      "Date: Thu, 15 Feb 2007 01:02:03 +0200\n"
      "From: user@domain (Real Name)\n"
      "To: group: g1@d1.org, g2@d2.org;, group2: g3@d3.org;\n"
      "Cc: group:;, group2: (foo) ;\n"
      "\n";
  EXPECT_EQ(imap_envelope(header),
            R"x(("Thu, 15 Feb 2007 01:02:03 +0200" NIL )x"
            R"x((("Real Name" NIL "user" "domain")) )x"
            R"x((("Real Name" NIL "user" "domain")) )x"
            R"x((("Real Name" NIL "user" "domain")) )x"
            R"x(((NIL NIL "group" NIL)(NIL NIL "g1" "d1.org")(NIL NIL "g2" "d2.org")(NIL NIL NIL NIL))x"
            R"x((NIL NIL "group2" NIL)(NIL NIL "g3" "d3.org")(NIL NIL NIL NIL)) )x"
            R"x(((NIL NIL "group" NIL)(NIL NIL NIL NIL)(NIL NIL "group2" NIL)(NIL NIL NIL NIL)) )x"
            R"x(NIL NIL NIL))x");
}

TEST(Envelope, DovecotEmptySenderAndReplyToFallBackToFrom) {
  std::string_view header =
      "Date: Thu, 15 Feb 2007 01:02:03 +0200\n"
      "From: user@domain (Real Name)\n"
      "Sender: \n"
      "Reply-To: \n"
      "\n";
  EXPECT_EQ(imap_envelope(header),
            R"x(("Thu, 15 Feb 2007 01:02:03 +0200" NIL )x"
            R"x((("Real Name" NIL "user" "domain")) )x"
            R"x((("Real Name" NIL "user" "domain")) )x"
            R"x((("Real Name" NIL "user" "domain")) )x"
            R"x(NIL NIL NIL NIL NIL))x");
}

TEST(Envelope, DovecotRoute) {
  std::string_view header = "Date: Thu, 15 Feb 2007 01:02:03 +0200\nFrom: <@route:user@domain>\n\n";
  EXPECT_EQ(imap_envelope(header),
            R"x(("Thu, 15 Feb 2007 01:02:03 +0200" NIL )x"
            R"x(((NIL "@route" "user" "domain")) ((NIL "@route" "user" "domain")) )x"
            R"x(((NIL "@route" "user" "domain")) NIL NIL NIL NIL NIL))x");
}

TEST(Envelope, EmptyHeader) {
  EXPECT_EQ(imap_envelope(""), "(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)");
}

TEST(Envelope, FoldedAndEightBitSubjectUsesLiteral) {
  std::string_view header = "Subject: caf\xc3\xa9\n  au lait\nTo: \"Doe, \\\"J\\\"\" <j@x>\n\n";
  EXPECT_EQ(imap_envelope(header),
            "(NIL {14}\r\ncaf\xc3\xa9  au lait NIL NIL NIL "
            R"x((("Doe, \"J\"" NIL "j" "x")) NIL NIL NIL NIL))x");
}

TEST(Envelope, EncodedWordsStayEncoded) {
  std::string_view header = "From: =?UTF-8?Q?Andr=C3=A9?= <andre@example.fr>\n\n";
  EXPECT_EQ(imap_envelope(header).substr(0, 63),
            R"x((NIL NIL (("=?UTF-8?Q?Andr=C3=A9?=" NIL "andre" "example.fr")) )x");
}

TEST(AddressList, MissingPartsAndGarbage) {
  auto a = parse_address_list("undisclosed-recipients:;");
  ASSERT_EQ(a.size(), 2u);
  EXPECT_EQ(a[0].mailbox, "undisclosed-recipients");
  EXPECT_EQ(a[0].host, std::nullopt);
  EXPECT_EQ(a[1].mailbox, std::nullopt);

  a = parse_address_list("localonly, <>, @nolocal");
  ASSERT_EQ(a.size(), 3u);
  EXPECT_EQ(a[0].mailbox, "localonly");
  EXPECT_EQ(a[0].host, "MISSING_DOMAIN");
  EXPECT_EQ(a[1].mailbox, "MISSING_MAILBOX");
  EXPECT_EQ(a[2].host, "nolocal");

  EXPECT_TRUE(parse_address_list("").empty());
  EXPECT_TRUE(parse_address_list(" , ,(just a comment)").empty());
}

TEST(AddressList, QuotedLocalPartDomainLiteralAndObsPhrase) {
  auto a = parse_address_list(
      "\"john doe\"@example.com, John Q. Public <jqp@[192.0.2.1]>, a.b . c@d (x (nested) y)");
  ASSERT_EQ(a.size(), 3u);
  EXPECT_EQ(a[0].mailbox, "john doe");
  EXPECT_EQ(a[0].host, "example.com");
  EXPECT_EQ(a[1].name, "John Q. Public");
  EXPECT_EQ(a[1].host, "[192.0.2.1]");
  EXPECT_EQ(a[2].mailbox, "a.b.c");
  EXPECT_EQ(a[2].name, "x (nested) y");
}

TEST(AddressList, UnterminatedGroupAndAngle) {
  auto a = parse_address_list("team: a@b, <c@d");
  ASSERT_EQ(a.size(), 4u);
  EXPECT_EQ(a[2].mailbox, "c");
  EXPECT_EQ(a[3].mailbox, std::nullopt);  // group end added although ';' is missing
}

TEST(AddressList, TrailingGarbageIsSkipped) {
  auto a = parse_address_list("a@b junk junk, c@d");
  ASSERT_EQ(a.size(), 2u);
  EXPECT_EQ(a[1].mailbox, "c");
}

TEST(AddressText, DisplayNamesDecodedAndAddressesNormalised) {
  EXPECT_EQ(address_list_text("\"Alice  Example\" <alice@example.test>"), "Alice  Example <alice@example.test>");
  EXPECT_EQ(address_list_text("=?utf-8?q?J=C3=BCrgen?= <juergen@example.test>, bob@example.test"),
            "J\xc3\xbcrgen <juergen@example.test>, <bob@example.test>");
  // Encoded words inside a quoted string are decoded too, as mail readers do.
  EXPECT_EQ(address_list_text("\"=?iso-8859-1?q?M=FCller?=\" <m@x.test>"), "M\xc3\xbcller <m@x.test>");
  // The old form "addr (Name)" shows the comment as the name.
  EXPECT_EQ(address_list_text("carol@example.test (Carol C.)"), "Carol C. <carol@example.test>");
  EXPECT_EQ(address_list_text("Team: ann@a.test, <ben@b.test>;"), "Team: <ann@a.test>, <ben@b.test>;");
  EXPECT_EQ(address_list_text("undisclosed-recipients:;"), "undisclosed-recipients:;");
  EXPECT_EQ(address_list_text("Nobody <>"), "Nobody");
  EXPECT_EQ(address_list_text(""), "");
}
