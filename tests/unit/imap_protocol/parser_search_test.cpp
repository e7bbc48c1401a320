#include <gtest/gtest.h>

#include "imap_protocol/parser.h"
#include "parser_test_util.h"

namespace kurier::imap {
namespace {

using testing::bad;
using testing::ok;
using K = SearchKey::Kind;

// A compact picture of the tree: (and (or seen (not deleted)) (from "x")).
std::string describe(const SearchKey& k) {
  auto kids = [&](const char* name) {
    std::string s = "(";
    s += name;
    for (const auto& c : k.children) {
      s += ' ';
      s += describe(c);
    }
    return s + ")";
  };
  switch (k.kind) {
    case K::and_: return kids("and");
    case K::or_: return kids("or");
    case K::not_: return kids("not");
    case K::all: return "all";
    case K::seen: return "seen";
    case K::unseen: return "unseen";
    case K::deleted: return "deleted";
    case K::flagged: return "flagged";
    case K::answered: return "answered";
    case K::from: return "(from \"" + k.text + "\")";
    case K::subject: return "(subject \"" + k.text + "\")";
    case K::text: return "(text \"" + k.text + "\")";
    case K::header: return "(header " + k.text + " \"" + k.value + "\")";
    case K::keyword: return "(keyword " + k.text + ")";
    case K::since: return "(since " + format_date(k.date) + ")";
    case K::before: return "(before " + format_date(k.date) + ")";
    case K::sentbefore: return "(sentbefore " + format_date(k.date) + ")";
    case K::larger: return "(larger " + std::to_string(k.number) + ")";
    case K::smaller: return "(smaller " + std::to_string(k.number) + ")";
    case K::younger: return "(younger " + std::to_string(k.number) + ")";
    case K::uid: return "(uid " + format_sequence_set(k.set) + ")";
    case K::sequence_set: return "(seq " + format_sequence_set(k.set) + ")";
    case K::modseq: return "(modseq " + k.value + " " + k.entry_type + " " + std::to_string(k.number) + ")";
    default: return "?";
  }
}

SearchArgs search(std::string_view wire) {
  auto cmd = ok(wire);
  EXPECT_EQ(cmd.kind, CommandKind::search);
  return cmd.kind == CommandKind::search ? cmd.as<SearchArgs>() : SearchArgs{};
}

TEST(Search, SimpleProgram) {
  auto a = search("a SEARCH FLAGGED SINCE 1-Feb-1994 NOT FROM \"Smith\"");
  EXPECT_FALSE(a.esearch);
  EXPECT_FALSE(a.charset);
  EXPECT_EQ(describe(a.program), "(and flagged (since 1-Feb-1994) (not (from \"Smith\")))");
}

TEST(Search, OrNotAndParentheses) {
  auto a = search("a SEARCH OR (SEEN FLAGGED) NOT (DELETED OR ANSWERED 2:4) UID 1:*");
  EXPECT_EQ(describe(a.program),
            "(and (or (and seen flagged) (not (and deleted (or answered (seq 2:4))))) (uid 1:*))");
  a = search("a SEARCH OR OR SEEN DELETED OR FLAGGED UNSEEN");
  EXPECT_EQ(describe(a.program), "(and (or (or seen deleted) (or flagged unseen)))");
  a = search("a SEARCH ((((ALL))))");
  EXPECT_EQ(describe(a.program), "(and (and (and (and (and all)))))");
}

TEST(Search, CharsetAndLiterals) {
  auto a = search("a SEARCH CHARSET utf-8 TEXT {6}\r\nXXXXXX");
  EXPECT_EQ(a.charset, "UTF-8");
  EXPECT_EQ(describe(a.program), "(and (text \"XXXXXX\"))");
  a = search("a SEARCH SUBJECT {3}\r\nabc FROM {1}\r\nb");
  EXPECT_EQ(describe(a.program), "(and (subject \"abc\") (from \"b\"))");
}

TEST(Search, LiteralsInsideNestedKeys) {
  auto a = search("a SEARCH (OR SUBJECT {3}\r\nfoo (FROM {3+}\r\nbar)) NOT HEADER {4}\r\nX-Id {0}\r\n");
  EXPECT_EQ(describe(a.program),
            "(and (and (or (subject \"foo\") (and (from \"bar\")))) (not (header X-Id \"\")))");
  bad("a SEARCH (SUBJECT {3}\r\nfoo");
  bad("a SEARCH SUBJECT {3}\r\nfoo)");
}

TEST(Search, EveryKey) {
  const char* keys[] = {
      "ALL", "ANSWERED", "BCC x", "BEFORE 1-Jan-2000", "BODY x", "CC x", "DELETED", "DRAFT",
      "FLAGGED", "FROM x", "HEADER X-Foo bar", "KEYWORD $Junk", "LARGER 100", "NEW",
      "NOT SEEN", "OLD", "ON \"2-Jan-2000\"", "OR SEEN DRAFT", "RECENT", "SEEN",
      "SENTBEFORE 1-Jan-2000", "SENTON 1-Jan-2000", "SENTSINCE 1-Jan-2000", "SINCE 1-Jan-2000",
      "SMALLER 5", "SUBJECT x", "TEXT x", "TO x", "UID 5", "UNANSWERED", "UNDELETED",
      "UNDRAFT", "UNFLAGGED", "UNKEYWORD $Junk", "UNSEEN", "1:3", "*", "$", "MODSEQ 5",
      "OLDER 60", "YOUNGER 60", "(ALL)", "HEADER \"Message-ID\" \"\""};
  for (const char* key : keys) search(std::string("a SEARCH ") + key);
}

TEST(Search, ReturnOptions) {
  auto a = search("a SEARCH RETURN (MIN MAX COUNT) UNSEEN");
  EXPECT_TRUE(a.esearch);
  EXPECT_EQ(a.returns, (std::vector<SearchReturn>{SearchReturn::min, SearchReturn::max, SearchReturn::count}));
  a = search("a SEARCH RETURN () ALL");
  EXPECT_TRUE(a.esearch);
  EXPECT_TRUE(a.returns.empty());
  a = search("a UID SEARCH RETURN (SAVE ALL) CHARSET US-ASCII $");
  EXPECT_EQ(a.returns, (std::vector<SearchReturn>{SearchReturn::save, SearchReturn::all}));
  EXPECT_EQ(describe(a.program), "(and (seq $))");
  EXPECT_TRUE(ok("a UID SEARCH UID $").uid);
}

TEST(Search, Modseq) {
  auto a = search("a SEARCH MODSEQ \"/flags/\\\\draft\" all 620162338");
  EXPECT_EQ(describe(a.program), "(and (modseq /flags/\\draft all 620162338))");
  a = search("a SEARCH MODSEQ 0");
  EXPECT_EQ(a.program.children[0].number, 0u);
  bad("a SEARCH MODSEQ \"/flags/\\\\draft\" other 5");
  bad("a SEARCH MODSEQ \"/foo\" all 5");
  bad("a SEARCH MODSEQ");
  bad("a SEARCH MODSEQ 9223372036854775808");
}

TEST(Search, DateForms) {
  auto a = search("a SEARCH SENTBEFORE \"1-Feb-1994\" BEFORE 01-feb-1994");
  EXPECT_EQ(describe(a.program), "(and (sentbefore 1-Feb-1994) (before 1-Feb-1994))");
  bad("a SEARCH SINCE 1-Foo-1994");
  bad("a SEARCH SINCE 30-Feb-1994");
  bad("a SEARCH SINCE");
  bad("a SEARCH SINCE 1994-02-01");
}

TEST(Search, Invalid) {
  for (const char* wire : {
           "a SEARCH", "a SEARCH ", "a SEARCH FOO", "a SEARCH (SEEN", "a SEARCH SEEN)",
           "a SEARCH ()", "a SEARCH OR SEEN", "a SEARCH NOT", "a SEARCH FROM", "a SEARCH HEADER x",
           "a SEARCH LARGER x", "a SEARCH LARGER -1", "a SEARCH 0", "a SEARCH 1:0",
           "a SEARCH UID", "a SEARCH UID x", "a SEARCH CHARSET", "a SEARCH CHARSET UTF-8",
           "a SEARCH RETURN (FOO) ALL", "a SEARCH RETURN ALL", "a SEARCH RETURN (MIN)",
           "a SEARCH SEEN  UNSEEN", "a SEARCH OLDER 0", "a SEARCH KEYWORD \\Seen",
           "a SEARCH CHARSET UTF-8 RETURN (MIN) ALL", "a SEARCH ALL (", "a SEARCH 1,,2"})
    bad(wire);
}

TEST(Search, NestingIsBounded) {
  std::string deep = "a SEARCH " + std::string(60, '(') + "ALL" + std::string(60, ')');
  bad(deep);
  std::string ok_depth = "a SEARCH " + std::string(40, '(') + "ALL" + std::string(40, ')');
  ok(ok_depth);
  std::string nots = "a SEARCH ";
  for (int i = 0; i < 5000; ++i) nots += "NOT ";
  bad(nots + "ALL");
  std::string ors = "a SEARCH ";
  for (int i = 0; i < 5000; ++i) ors += "OR ALL ";
  bad(ors + "ALL");
}

TEST(Search, TokenCountIsBounded) {
  std::string many = "a SEARCH";
  for (int i = 0; i < 100; ++i) many += " SEEN";
  ParseLimits limits;
  limits.max_tokens = 50;
  EXPECT_FALSE(parse_command(*raw_command_from_wire(many), limits));
  EXPECT_TRUE(parse_command(*raw_command_from_wire(many)));
}

TEST(Search, SequenceSetRangeLimit) {
  std::string set;
  for (int i = 1; i <= 10001; ++i) {
    if (i > 1) set += ',';
    set += std::to_string(i);
  }
  bad("a SEARCH " + set);
  bad("a UID FETCH " + set + " FLAGS");
}

}  // namespace
}  // namespace kurier::imap
