// Tests for imap/search_program.h: SEARCH keys evaluated against in-memory messages (SENT* in
// the Date header's own zone, address keys as a reader shows them, "$" and large sets), and the
// SEARCH / ESEARCH responses with MODSEQ (RFC 4731 3.2, RFC 7162 3.1.5).
#include "imap/search_program.h"

#include <gtest/gtest.h>

#include <array>
#include <cstring>
#include <memory>

#include "imap_protocol/parser.h"
#include "mime/cache.h"
#include "mime/part.h"
#include "../imap_protocol/parser_test_util.h"

namespace kurier::imap {
namespace {

// A message held in memory, as StoredMessage reads it from a blob.
struct MemoryMessage {
  store::MessageMeta meta;
  std::string bytes;

  StoredMessage stored() {
    StoredMessage m;
    m.meta = &meta;
    auto copy = std::make_unique<char[]>(bytes.size());
    std::memcpy(copy.get(), bytes.data(), bytes.size());
    m.blob.emplace(std::move(copy), bytes.size());
    return m;
  }
};

MemoryMessage message(store::Uid uid, std::string header, std::string body = "body\r\n") {
  MemoryMessage m;
  m.meta.uid = uid;
  m.meta.modseq = uid * 10;
  m.bytes = header + "\r\n" + body;
  m.meta.size = m.bytes.size();
  return m;
}

SearchKey program(std::string_view criteria) {
  auto cmd = testing::ok("t SEARCH " + std::string(criteria));
  return cmd.kind == CommandKind::search ? cmd.as<SearchArgs>().program : SearchKey{};
}

MailboxView view_of(std::initializer_list<store::Uid> uids) {
  std::vector<MailboxView::Entry> entries;
  for (store::Uid u : uids) entries.push_back({u, u * 10});
  return MailboxView(std::move(entries));
}

bool matches(std::string_view criteria, MemoryMessage& m, uint32_t seq = 1) {
  SearchKey p = program(criteria);
  MailboxView view = view_of({m.meta.uid});
  SearchEvaluator eval(p, view, {}, 0);
  StoredMessage stored = m.stored();
  return eval.matches(seq, stored);
}

TEST(SearchProgram, SentDatesCompareTheDayAsWrittenInItsZone) {
  // 23:30 at -0800 is already 2 January in UTC; RFC 3501 6.4.4 disregards time and zone.
  auto m = message(1, "Date: Mon, 1 Jan 2024 23:30:00 -0800\r\n");
  EXPECT_TRUE(matches("SENTON 1-Jan-2024", m));
  EXPECT_FALSE(matches("SENTON 2-Jan-2024", m));
  EXPECT_TRUE(matches("SENTBEFORE 2-Jan-2024", m));
  EXPECT_FALSE(matches("SENTSINCE 2-Jan-2024", m));
  EXPECT_TRUE(matches("SENTSINCE 1-Jan-2024", m));
  auto east = message(2, "Date: Tue, 2 Jan 2024 00:15:00 +0530\r\n");  // 1 January in UTC
  EXPECT_TRUE(matches("SENTON 2-Jan-2024", east));
  EXPECT_FALSE(matches("SENTBEFORE 2-Jan-2024", east));
  auto none = message(3, "Subject: no date\r\n");
  EXPECT_FALSE(matches("SENTSINCE 1-Jan-1970", none));
  EXPECT_TRUE(matches("NOT SENTON 1-Jan-2024", none));
}

TEST(SearchProgram, AddressKeysMatchWhatTheClientSees) {
  auto m = message(1,
                   "From: \"Alice  Example\" <alice@example.test>\r\n"
                   "To: =?utf-8?q?J=C3=BCrgen?= <juergen@example.test>,\r\n"
                   " bob@example.test (Bob B.)\r\n"
                   "Cc: \"=?iso-8859-1?q?M=FCller?=\" <mueller@example.test>\r\n"
                   "Bcc: team: carol@example.test;\r\n");
  EXPECT_TRUE(matches("FROM \"Alice  Example\"", m));        // display name
  EXPECT_TRUE(matches("FROM ALICE@EXAMPLE.TEST", m));        // mailbox and host
  EXPECT_TRUE(matches("FROM \"Example <alice@\"", m));       // as a reader shows it
  EXPECT_TRUE(matches("FROM example.test", m));
  EXPECT_FALSE(matches("FROM bob", m));
  EXPECT_TRUE(matches("TO \"J\xc3\xbcrgen <juergen\"", m));  // RFC 2047 decoded
  EXPECT_TRUE(matches("TO \"Bob B.\"", m));                  // comment form, folded field
  EXPECT_TRUE(matches("TO \"B. <bob@\"", m));
  EXPECT_TRUE(matches("CC \"M\xc3\xbcller\"", m));           // encoded word in quotes
  EXPECT_TRUE(matches("BCC team", m));
  EXPECT_TRUE(matches("BCC carol@example", m));
  EXPECT_FALSE(matches("CC alice", m));
}

TEST(SearchProgram, HeaderAndTextKeysStillDecode) {
  auto m = message(1, "Subject: =?utf-8?q?Gr=C3=BC=C3=9Fe?=\r\nX-Tag: Alpha\r\n", "hello world\r\n");
  EXPECT_TRUE(matches("SUBJECT \"gr\xc3\xbc\xc3\x9f\"", m));
  EXPECT_TRUE(matches("HEADER X-Tag \"\"", m));
  EXPECT_TRUE(matches("HEADER x-tag alp", m));
  EXPECT_FALSE(matches("HEADER X-Other \"\"", m));
  EXPECT_TRUE(matches("BODY WORLD", m));
  EXPECT_TRUE(matches("TEXT alpha", m));
}

TEST(SearchProgram, SetsAndSavedResult) {
  SearchKey p = program("OR 2:3,7 UID $");
  MailboxView view = view_of({10, 20, 30, 40, 50, 60, 70});
  SearchEvaluator eval(p, view, {50, 10}, 0);
  std::vector<uint32_t> found;
  for (uint32_t seq = 1; seq <= view.size(); ++seq) {
    auto m = message(view.uid_at(seq), "Subject: x\r\n");
    StoredMessage stored = m.stored();
    if (eval.matches(seq, stored)) found.push_back(seq);
  }
  EXPECT_EQ(found, (std::vector<uint32_t>{1, 2, 3, 5, 7}));
  SearchKey star = program("UID 35:*");  // "*" is the highest UID: 70
  SearchEvaluator by_uid(star, view, {}, 0);
  auto m = message(70, "Subject: x\r\n");
  StoredMessage stored = m.stored();
  EXPECT_TRUE(by_uid.matches(7, stored));
}

TEST(SearchProgram, ManyRangesAgainstManyMessagesStayFast) {
  // 10000 ranges x 100000 messages was 10^9 comparisons with a linear scan per message.
  std::string set;
  for (int i = 0; i < 10000; ++i) set += (i ? "," : "") + std::to_string(i * 10 + 1);
  SearchKey p = program("UID " + set);
  std::vector<MailboxView::Entry> entries;
  for (store::Uid u = 1; u <= 100000; ++u) entries.push_back({u, 1});
  MailboxView view(std::move(entries));
  std::vector<store::Uid> saved;
  for (store::Uid u = 1; u <= 100000; u += 2) saved.push_back(u);
  SearchKey dollar = program("$");
  SearchEvaluator eval(p, view, {}, 0), eval_saved(dollar, view, saved, 0);
  store::MessageMeta meta;
  size_t hits = 0, saved_hits = 0;
  for (store::Uid u = 1; u <= 100000; ++u) {
    meta.uid = u;
    StoredMessage m;
    m.meta = &meta;
    hits += eval.matches(u, m);
    saved_hits += eval_saved.matches(u, m);
  }
  EXPECT_EQ(hits, 10000u);
  EXPECT_EQ(saved_hits, 50000u);
}

std::vector<SearchHit> hits_of(std::initializer_list<std::array<uint32_t, 3>> rows) {
  std::vector<SearchHit> out;
  for (const auto& r : rows) out.push_back({r[0], r[1], r[2]});
  return out;
}

TEST(SearchResponse, EsearchModseqIsOfTheMessagesReturned) {
  // seq, uid, modseq: the middle message has the highest MODSEQ.
  auto hits = hits_of({{1, 11, 5}, {2, 12, 90}, {3, 13, 7}});
  using R = SearchReturn;
  EXPECT_EQ(format_esearch_response("a", hits, false, {R::min}, true), "ESEARCH (TAG \"a\") MIN 1 MODSEQ 5");
  EXPECT_EQ(format_esearch_response("a", hits, true, {R::max}, true), "ESEARCH (TAG \"a\") UID MAX 13 MODSEQ 7");
  EXPECT_EQ(format_esearch_response("a", hits, false, {R::min, R::max}, true),
            "ESEARCH (TAG \"a\") MIN 1 MAX 3 MODSEQ 7");
  EXPECT_EQ(format_esearch_response("a", hits, false, {R::all}, true), "ESEARCH (TAG \"a\") ALL 1:3 MODSEQ 90");
  EXPECT_EQ(format_esearch_response("a", hits, false, {}, true), "ESEARCH (TAG \"a\") ALL 1:3 MODSEQ 90");
  EXPECT_EQ(format_esearch_response("a", hits, false, {R::min, R::count}, true),
            "ESEARCH (TAG \"a\") MIN 1 COUNT 3 MODSEQ 90");
  EXPECT_EQ(format_esearch_response("a", hits, false, {R::min}, false), "ESEARCH (TAG \"a\") MIN 1");
  EXPECT_EQ(format_esearch_response("a", {}, false, {R::min, R::count}, true), "ESEARCH (TAG \"a\") COUNT 0");
  EXPECT_EQ(format_esearch_response("a", hits, false, {R::save}, true), "");
}

TEST(SearchResponse, LegacySearchAndSavedResult) {
  auto hits = hits_of({{1, 11, 5}, {2, 12, 90}, {3, 13, 7}});
  EXPECT_EQ(format_search_response(hits, false, true), "SEARCH 1 2 3 (MODSEQ 90)");
  EXPECT_EQ(format_search_response(hits, true, false), "SEARCH 11 12 13");
  EXPECT_EQ(format_search_response({}, true, true), "SEARCH");
  using R = SearchReturn;
  EXPECT_EQ(saved_search_result(hits, {R::save}), (std::vector<store::Uid>{11, 12, 13}));
  EXPECT_EQ(saved_search_result(hits, {R::save, R::min}), (std::vector<store::Uid>{11}));
  EXPECT_EQ(saved_search_result(hits, {R::save, R::min, R::max}), (std::vector<store::Uid>{11, 13}));
  EXPECT_EQ(saved_search_result(hits, {R::save, R::max, R::count}), (std::vector<store::Uid>{11, 12, 13}));
}

}  // namespace
}  // namespace kurier::imap
