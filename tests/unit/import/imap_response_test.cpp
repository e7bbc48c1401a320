// IMAP responses as the import client reads them (import/imap_response.h).
#include <gtest/gtest.h>

#include "import/imap_response.h"

namespace kurier::mail_import {
namespace {

std::optional<Response> parse(std::vector<Segment> segs) {
  std::string err;
  auto r = parse_response(segs, err);
  EXPECT_TRUE(r) << err;
  return r;
}

TEST(ImapResponse, LiteralSizes) {
  EXPECT_EQ(trailing_literal_size("* 1 FETCH (BODY[] {123}"), 123u);
  EXPECT_EQ(trailing_literal_size("a {5+}"), 5u);
  EXPECT_FALSE(trailing_literal_size("* OK {x}"));
  EXPECT_FALSE(trailing_literal_size("* OK done"));
}

TEST(ImapResponse, FetchWithExternalBodyAndFlags) {
  auto r = parse({{"* 12 FETCH (UID 40 FLAGS (\\Seen \\Recent $Work) INTERNALDATE \"17-Jul-1996 02:44:25 -0700\" "
                   "RFC822.SIZE 4286 BODY[] {4286}", true, "", 0},
                  {")", false, "", -1}});
  auto f = parse_fetch(*r);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->seq, 12u);
  EXPECT_EQ(f->uid, 40u);
  EXPECT_EQ(f->flags->system, uint32_t(store::kSeen));
  EXPECT_EQ(f->flags->keywords, (std::vector<std::string>{"$Work"}));
  EXPECT_EQ(f->internal_date, "17-Jul-1996 02:44:25 -0700");
  EXPECT_EQ(f->size, 4286u);
  ASSERT_TRUE(f->body);
  EXPECT_EQ(f->body->kind, Value::Kind::external);
  EXPECT_EQ(f->body->external, 0);
}

TEST(ImapResponse, FetchWithItemsAfterAnInlineLiteral) {
  auto r = parse({{"* 1 FETCH (BODY[] {5}", true, "hello", -1}, {" UID 7 FLAGS ())", false, "", -1}});
  auto f = parse_fetch(*r);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->body->text, "hello");
  EXPECT_EQ(f->uid, 7u);
  EXPECT_TRUE(f->flags->keywords.empty());
}

TEST(ImapResponse, ListLsubAndStatus) {
  auto l = parse_list(*parse({{"* LIST (\\HasNoChildren \\Sent) \".\" \"Sent Items\"", false, "", -1}}));
  ASSERT_TRUE(l);
  EXPECT_EQ(l->delimiter, ".");
  EXPECT_EQ(l->name, "Sent Items");
  EXPECT_EQ(l->attributes[1], "\\Sent");
  auto lit = parse_list(*parse({{"* LSUB () NIL {4}", true, "a\"b)", -1}, {"", false, "", -1}}));
  ASSERT_TRUE(lit);
  EXPECT_EQ(lit->name, "a\"b)");
  EXPECT_EQ(lit->delimiter, "");
  auto s = parse_status(*parse({{"* STATUS INBOX (MESSAGES 3 UIDNEXT 9 UIDVALIDITY 1700000000)", false, "", -1}}));
  ASSERT_TRUE(s);
  EXPECT_EQ(s->at("UIDVALIDITY"), 1700000000u);
  EXPECT_EQ(s->at("MESSAGES"), 3u);
}

TEST(ImapResponse, StatusResponsesAndCodes) {
  auto ok = parse({{"* OK [UIDVALIDITY 3857529045] UIDs valid \"quoted( text", false, "", -1}});
  EXPECT_EQ(response_code(*ok), (std::vector<std::string>{"UIDVALIDITY", "3857529045"}));
  EXPECT_TRUE(ok->values[0].is_atom("OK"));
  auto tagged = parse({{"a3 NO [TRYCREATE] no such mailbox", false, "", -1}});
  EXPECT_EQ(tagged->tag, "a3");
  auto cont = parse({{"+ go ahead", false, "", -1}});
  EXPECT_EQ(cont->tag, "+");
}

TEST(ImapResponse, MalformedInputIsAnErrorNotACrash) {
  std::string err;
  EXPECT_FALSE(parse_response({}, err));
  EXPECT_FALSE(parse_response({{"*", false, "", -1}}, err));
  EXPECT_FALSE(parse_response({{"* 1 FETCH (UID 1", false, "", -1}}, err));
  EXPECT_FALSE(parse_response({{"* LIST ((((((((((((((((((((((((", false, "", -1}}, err));
  EXPECT_FALSE(parse_response({{"* 1 FETCH (X \"open", false, "", -1}}, err));
  auto r = parse_response({{"* 1 FETCH (UID x)", false, "", -1}}, err);
  ASSERT_TRUE(r);
  EXPECT_FALSE(parse_fetch(*r)->uid);
  auto z = parse_response({{"* 0 FETCH (UID 1)", false, "", -1}}, err);
  EXPECT_FALSE(parse_fetch(*z));
}

}  // namespace
}  // namespace kurier::mail_import
