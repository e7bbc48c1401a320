#include <gtest/gtest.h>

#include "imap_protocol/parser.h"
#include "parser_test_util.h"

namespace kurier::imap {
namespace {

using testing::bad;
using testing::ok;
using FK = FetchItem::Kind;
using ST = Section::Text;

FetchArgs fetch(std::string_view wire) {
  auto cmd = ok(wire);
  EXPECT_EQ(cmd.kind, CommandKind::fetch);
  return cmd.kind == CommandKind::fetch ? cmd.as<FetchArgs>() : FetchArgs{};
}

std::vector<FK> kinds(const FetchArgs& a) {
  std::vector<FK> out;
  for (const auto& i : a.items) out.push_back(i.kind);
  return out;
}

TEST(Fetch, Macros) {
  EXPECT_EQ(kinds(fetch("a FETCH 1 ALL")),
            (std::vector<FK>{FK::flags, FK::internaldate, FK::rfc822_size, FK::envelope}));
  EXPECT_EQ(kinds(fetch("a FETCH 1 fast")), (std::vector<FK>{FK::flags, FK::internaldate, FK::rfc822_size}));
  EXPECT_EQ(kinds(fetch("a FETCH 1:* FULL")),
            (std::vector<FK>{FK::flags, FK::internaldate, FK::rfc822_size, FK::envelope,
                             FK::body_structure_short}));
  bad("a FETCH 1 (ALL)");  // macros are not fetch-atts
}

TEST(Fetch, SimpleAttributes) {
  auto a = fetch("a FETCH 2:4 (FLAGS INTERNALDATE RFC822 RFC822.HEADER RFC822.SIZE RFC822.TEXT "
                 "ENVELOPE BODY BODYSTRUCTURE UID MODSEQ)");
  EXPECT_EQ(kinds(a), (std::vector<FK>{FK::flags, FK::internaldate, FK::rfc822, FK::rfc822_header,
                                       FK::rfc822_size, FK::rfc822_text, FK::envelope,
                                       FK::body_structure_short, FK::bodystructure, FK::uid,
                                       FK::modseq}));
  EXPECT_EQ(kinds(fetch("a FETCH 1 uid")), (std::vector<FK>{FK::uid}));
}

TEST(Fetch, BodySections) {
  auto a = fetch("a FETCH 1 (BODY[] BODY.PEEK[TEXT] BODY[1.2.HEADER]<0.100> BODY[3.MIME] BODY[4])");
  ASSERT_EQ(a.items.size(), 5u);
  EXPECT_EQ(a.items[0].kind, FK::body_section);
  EXPECT_TRUE(a.items[0].section.part.empty());
  EXPECT_EQ(a.items[0].section.text, ST::none);
  EXPECT_FALSE(a.items[0].peek);
  EXPECT_TRUE(a.items[1].peek);
  EXPECT_EQ(a.items[1].section.text, ST::text);
  EXPECT_EQ(a.items[2].section.part, (std::vector<uint32_t>{1, 2}));
  EXPECT_EQ(a.items[2].section.text, ST::header);
  ASSERT_TRUE(a.items[2].partial_offset);
  EXPECT_EQ(*a.items[2].partial_offset, 0u);
  EXPECT_EQ(a.items[2].partial_length, 100u);
  EXPECT_EQ(a.items[3].section.text, ST::mime);
  EXPECT_EQ(a.items[4].section.part, (std::vector<uint32_t>{4}));
  EXPECT_FALSE(a.items[4].partial_offset);
}

TEST(Fetch, HeaderFields) {
  auto a = fetch("a FETCH 1 (UID BODY.PEEK[HEADER.FIELDS (From To \"Subject\" {6}\r\nX-Prio)] "
                 "BODY[2.header.fields.not (Received)]<10.20>)");
  ASSERT_EQ(a.items.size(), 3u);
  EXPECT_EQ(a.items[1].section.text, ST::header_fields);
  EXPECT_EQ(a.items[1].section.fields, (std::vector<std::string>{"From", "To", "Subject", "X-Prio"}));
  EXPECT_EQ(a.items[2].section.text, ST::header_fields_not);
  EXPECT_EQ(a.items[2].section.part, (std::vector<uint32_t>{2}));
  EXPECT_EQ(*a.items[2].partial_offset, 10u);
  EXPECT_EQ(a.items[2].partial_length, 20u);
}

TEST(Fetch, Binary) {
  auto a = fetch("a FETCH 1 (BINARY[1.2]<0.1024> BINARY.PEEK[] BINARY.SIZE[3])");
  ASSERT_EQ(a.items.size(), 3u);
  EXPECT_EQ(a.items[0].kind, FK::binary);
  EXPECT_EQ(a.items[0].section.part, (std::vector<uint32_t>{1, 2}));
  EXPECT_EQ(a.items[0].partial_length, 1024u);
  EXPECT_TRUE(a.items[1].peek);
  EXPECT_EQ(a.items[2].kind, FK::binary_size);
  bad("a FETCH 1 BINARY[1.HEADER]");
  bad("a FETCH 1 BINARY[TEXT]");
  bad("a FETCH 1 BINARY.SIZE[1]<0.5>");
  bad("a FETCH 1 BINARY");
}

TEST(Fetch, Modifiers) {
  auto cmd = ok("a UID FETCH 300:500 (FLAGS) (CHANGEDSINCE 12345 VANISHED)");
  EXPECT_TRUE(cmd.uid);
  auto& a = cmd.as<FetchArgs>();
  EXPECT_EQ(a.changedsince, 12345u);
  EXPECT_TRUE(a.vanished);
  EXPECT_EQ(fetch("a FETCH 1:* FLAGS (CHANGEDSINCE 1)").changedsince, 1u);
  bad("a FETCH 1 FLAGS (VANISHED CHANGEDSINCE 5)");    // not UID FETCH
  bad("a UID FETCH 1 FLAGS (VANISHED)");               // without CHANGEDSINCE
  bad("a FETCH 1 FLAGS (CHANGEDSINCE 0)");
  bad("a FETCH 1 FLAGS (CHANGEDSINCE)");
  bad("a FETCH 1 FLAGS (FOO)");
  bad("a FETCH 1 FLAGS ()");
  bad("a FETCH 1 FLAGS (CHANGEDSINCE 1 CHANGEDSINCE 2)");
}

TEST(Fetch, Invalid) {
  for (const char* wire : {
           "a FETCH", "a FETCH 1", "a FETCH 1 ", "a FETCH 1 ()", "a FETCH 1 (FLAGS", "a FETCH x FLAGS",
           "a FETCH 1 FOO", "a FETCH 1 BODY[", "a FETCH 1 BODY[]<", "a FETCH 1 BODY[]<1>",
           "a FETCH 1 BODY[]<1.0>", "a FETCH 1 BODY[]<a.b>", "a FETCH 1 BODY.PEEK",
           "a FETCH 1 BODY[MIME]", "a FETCH 1 BODY[0]", "a FETCH 1 BODY[1.0]", "a FETCH 1 BODY[1.]",
           "a FETCH 1 BODY[HEADER.FIELDS]", "a FETCH 1 BODY[HEADER.FIELDS ()]",
           "a FETCH 1 BODY[HEADER.FIELDS (From]", "a FETCH 1 BODY[FOO]", "a FETCH 1 BODY[1.2.3.FOO]",
           "a FETCH 1 BODY[TEXT]x", "a FETCH 1 (FLAGS  UID)", "a FETCH 1 FLAGS UID",
           "a FETCH 1 BODY[1.4294967296]", "a FETCH 0 FLAGS", "a FETCH 1 RFC822.FOO"})
    bad(wire);
}

TEST(Store, Forms) {
  auto cmd = ok("a STORE 2:4 +FLAGS (\\Deleted)");
  auto s = cmd.as<StoreArgs>();
  EXPECT_EQ(s.mode, StoreArgs::Mode::add);
  EXPECT_FALSE(s.silent);
  EXPECT_EQ(s.flags, (std::vector<std::string>{"\\Deleted"}));
  s = ok("a UID STORE 1:* -flags.silent \\Seen $Junk").as<StoreArgs>();
  EXPECT_EQ(s.mode, StoreArgs::Mode::remove);
  EXPECT_TRUE(s.silent);
  EXPECT_EQ(s.flags, (std::vector<std::string>{"\\Seen", "$Junk"}));
  s = ok("a STORE 1 FLAGS ()").as<StoreArgs>();
  EXPECT_EQ(s.mode, StoreArgs::Mode::replace);
  EXPECT_TRUE(s.flags.empty());
  s = ok("a STORE 1,3 (UNCHANGEDSINCE 12121230045) +FLAGS.SILENT (\\Deleted)").as<StoreArgs>();
  EXPECT_EQ(s.unchangedsince, 12121230045u);
  EXPECT_TRUE(s.silent);
  EXPECT_EQ(ok("a STORE 1 (UNCHANGEDSINCE 0) FLAGS ()").as<StoreArgs>().unchangedsince, 0u);
}

TEST(Store, Invalid) {
  for (const char* wire : {
           "a STORE", "a STORE 1", "a STORE 1 FLAGS", "a STORE 1 +FLAGS", "a STORE 1 *FLAGS (x)",
           "a STORE 1 FLAGSX (x)", "a STORE 1 FLAGS (\\Seen", "a STORE 1 FLAGS (a b) c",
           "a STORE 1 (FOO 1) FLAGS ()", "a STORE 1 (UNCHANGEDSINCE) FLAGS ()",
           "a STORE 1 (UNCHANGEDSINCE 1)", "a STORE 1 FLAGS.SILENT.X ()", "a STORE 1 +-FLAGS ()",
           "a STORE 1 FLAGS \"x\"", "a STORE 1 FLAGS (\\)"})
    bad(wire);
}

}  // namespace
}  // namespace kurier::imap
