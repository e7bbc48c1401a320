// Random and malformed input for the IMAP parser: whatever arrives, parse_command() returns
// either a command or a BAD with printable text, and never crashes (run under ASan/UBSan).
#include <gtest/gtest.h>

#include <random>

#include "imap_protocol/parser.h"
#include "imap_protocol/seqset.h"
#include "imap_protocol/datetime.h"

namespace kurier::imap {
namespace {

const std::vector<std::string> kValid = {
    "a LOGIN {3}\r\nbob {4+}\r\npass",
    "a SELECT INBOX (QRESYNC (67890007 20050715194045000 41,43:211 (1:3 5:7)))",
    "a LIST (SUBSCRIBED RECURSIVEMATCH) \"\" (INBOX \"Sent*\") RETURN (CHILDREN STATUS (MESSAGES))",
    "a SEARCH RETURN (MIN MAX) CHARSET UTF-8 OR (SEEN FLAGGED) NOT (HEADER X-A {2}\r\nbc) UID 1:*",
    "a UID FETCH 1:* (BODY.PEEK[1.2.HEADER.FIELDS (From To)]<0.100> BINARY[3]) (CHANGEDSINCE 5 VANISHED)",
    "a STORE 1,3 (UNCHANGEDSINCE 1) +FLAGS.SILENT (\\Deleted $Junk)",
    "a APPEND x (\\Seen) \" 7-Feb-1994 21:52:25 -0800\" {5}\r\nhello {1}\r\nz",
    "a ID (\"name\" \"x\" \"os\" NIL)",
    "a SETQUOTA \"\" (STORAGE 512)",
    "a CREATE x (USE (\\Drafts))",
    "a STATUS x (MESSAGES UIDNEXT)",
    "a AUTHENTICATE PLAIN AGJvYgBzZWNyZXQ=",
    "a UID EXPUNGE 1:5,7",
    "a UID MOVE $ Trash",
};

void check_invariants(const ParseResult& r) {
  ASSERT_NE(r.command.has_value(), r.error.has_value());
  if (r.error) {
    EXPECT_FALSE(r.error->message.empty());
    for (char c : r.error->message) EXPECT_TRUE(c >= 0x20 && c < 0x7f) << int(c);
  }
}

// Splits wire text into lines and literals even when announcements lie: a short
// announcement just yields a literal of whatever bytes remain.
RawCommand lenient_raw(std::string_view wire) {
  RawCommand raw;
  for (;;) {
    size_t eol = wire.find("\r\n");
    std::string_view line = eol == std::string_view::npos ? wire : wire.substr(0, eol);
    raw.lines.emplace_back(line);
    auto ann = literal_at_end(line, 1 << 20);
    if (!ann || !ann->ok() || eol == std::string_view::npos) return raw;
    wire.remove_prefix(eol + 2);
    size_t n = std::min<size_t>(ann->size, wire.size());
    raw.literals.push_back(Literal{std::string(wire.substr(0, n)), "", ann->size, ann->binary});
    wire.remove_prefix(n);
  }
}

std::string mutate(std::string s, std::mt19937& rng) {
  static const std::string kPieces[] = {"(", ")", " ", "\"", "\\", "{", "}", "{3}", "~{2}",
                                        "{5+}", "\r\n", "*", ":", ",", "$", "[", "]", "<", ">",
                                        ".", "0", "4294967296", "NIL", "\x01", "\xff", "%", "+"};
  int edits = 1 + int(rng() % 4);
  for (int e = 0; e < edits && !s.empty(); ++e) {
    size_t pos = rng() % (s.size() + 1);
    switch (rng() % 4) {
      case 0: s.insert(pos, kPieces[rng() % std::size(kPieces)]); break;
      case 1: s.erase(std::min(pos, s.size() - 1), 1 + rng() % 5); break;
      case 2: s.resize(pos); break;
      default: if (pos < s.size()) s[pos] = char(rng() % 256);
    }
  }
  return s;
}

TEST(ParserFuzz, MutatedValidCommands) {
  std::mt19937 rng(12345);
  for (const auto& v : kValid) {
    auto r = parse_command(lenient_raw(v));
    ASSERT_TRUE(r) << v << " -> " << r.error->message;
  }
  for (int i = 0; i < 4000; ++i) {
    std::string wire = mutate(kValid[rng() % kValid.size()], rng);
    SCOPED_TRACE(wire);
    check_invariants(parse_command(lenient_raw(wire)));
  }
}

TEST(ParserFuzz, RandomBytesAreRejected) {
  std::mt19937 rng(99);
  for (int i = 0; i < 500; ++i) {
    std::string line;
    for (int n = int(rng() % 60); n > 0; --n) line += char(rng() % 256);
    line += '\x01';  // a control character is never valid outside a literal
    RawCommand raw;
    raw.lines = {line};
    auto r = parse_command(raw);
    check_invariants(r);
    EXPECT_FALSE(r.ok());
  }
}

TEST(ParserFuzz, RandomTokenSoupIsSafe) {
  static const std::string kTokens[] = {
      "a", "UID", "FETCH", "SEARCH", "STORE", "LIST", "SELECT", "APPEND", "OR", "NOT", "(", ")",
      "1:*", "$", "BODY[", "]", "HEADER.FIELDS", "<0.5>", "\"x\"", "RETURN", "FLAGS", "+FLAGS",
      "NIL", "CHARSET", "QRESYNC", "MODSEQ", "0", "{1}", "STATUS", "INBOX", "*", "%", "\\Seen"};
  std::mt19937 rng(4242);
  for (int i = 0; i < 3000; ++i) {
    std::string line = "t";
    for (int n = 1 + int(rng() % 12); n > 0; --n) {
      line += rng() % 5 ? " " : "";
      line += kTokens[rng() % std::size(kTokens)];
    }
    SCOPED_TRACE(line);
    RawCommand raw;
    raw.lines = {line};
    check_invariants(parse_command(raw));
  }
}

TEST(ParserFuzz, InconsistentRawCommands) {
  RawCommand empty;
  auto r = parse_command(empty);
  check_invariants(r);
  EXPECT_FALSE(r.ok());

  RawCommand extra_literal;
  extra_literal.lines = {"a NOOP", ""};
  extra_literal.literals = {Literal{"x", "", 1, false}};
  EXPECT_FALSE(parse_command(extra_literal));

  RawCommand missing_line;
  missing_line.lines = {"a LOGIN {1}"};
  missing_line.literals = {Literal{"x", "", 1, false}};
  EXPECT_FALSE(parse_command(missing_line));

  RawCommand size_lies;
  size_lies.lines = {"a LOGIN {1}", " y"};
  size_lies.literals = {Literal{"xyz", "", 1, false}};
  EXPECT_FALSE(parse_command(size_lies));
}

TEST(ParserFuzz, EveryPrefixOfValidCommandsIsSafe) {
  for (const auto& v : kValid)
    for (size_t n = 0; n < v.size(); ++n) check_invariants(parse_command(lenient_raw(v.substr(0, n))));
}

TEST(ValueFuzz, SeqsetAndDatesNeverCrash) {
  std::mt19937 rng(5);
  const std::string seq_chars = "0123456789:,*$ ";
  const std::string date_chars = "0123456789-JanFebDec :+ ";
  for (int i = 0; i < 2000; ++i) {
    std::string s, d;
    for (int n = int(rng() % 24); n > 0; --n) s += seq_chars[rng() % seq_chars.size()];
    for (int n = int(rng() % 30); n > 0; --n) d += date_chars[rng() % date_chars.size()];
    auto p = parse_sequence_set(s);
    if (p) {
      EXPECT_EQ(format_sequence_set(*p), s);
      (void)p->resolve(uint32_t(rng()));
      (void)p->contains(uint32_t(rng()), uint32_t(rng()));
    }
    auto dt = parse_date_time(d);
    if (dt) {
      auto back = parse_date_time(format_date_time(*dt));
      ASSERT_TRUE(back) << d;
      EXPECT_EQ(to_time_t(*back), to_time_t(*dt));
    }
    (void)parse_date(d);
  }
}

}  // namespace
}  // namespace kurier::imap
