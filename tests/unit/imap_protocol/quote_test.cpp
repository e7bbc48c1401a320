#include "imap_protocol/quote.h"

#include <gtest/gtest.h>

namespace kurier::imap {
namespace {

TEST(Quote, QuotedWhenSafe) {
  EXPECT_EQ(imap_string("hello world"), "\"hello world\"");
  EXPECT_EQ(imap_string("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(imap_string(""), "\"\"");
}

TEST(Quote, LiteralWhenNeeded) {
  EXPECT_EQ(imap_string("a\r\nb"), "{4}\r\na\r\nb");
  EXPECT_EQ(imap_string("caf\xc3\xa9"), "{5}\r\ncaf\xc3\xa9");
  EXPECT_EQ(imap_string(std::string(2000, 'x')).substr(0, 8), "{2000}\r\n");
  EXPECT_EQ(imap_string(std::string("a\0b", 3)), std::string("{3}\r\na\0b", 8));
}

TEST(Quote, Utf8QuotedWhenEnabled) {
  QuoteOptions opt;
  opt.utf8_quoted = true;
  EXPECT_EQ(imap_string("caf\xc3\xa9", opt), "\"caf\xc3\xa9\"");
  EXPECT_EQ(imap_string("a\nb", opt), "{3}\r\na\nb");
}

TEST(Quote, NstringAndAstring) {
  EXPECT_EQ(imap_nstring(std::nullopt), "NIL");
  EXPECT_EQ(imap_nstring(std::string_view("NIL")), "\"NIL\"");
  EXPECT_EQ(imap_astring("INBOX"), "INBOX");
  EXPECT_EQ(imap_astring("a]b"), "a]b");
  EXPECT_EQ(imap_astring("a b"), "\"a b\"");
  EXPECT_EQ(imap_astring("a%"), "\"a%\"");
  EXPECT_EQ(imap_astring(""), "\"\"");
}

TEST(Quote, BinaryLiteral) {
  EXPECT_EQ(imap_binary_literal("abc"), "{3}\r\nabc");
  EXPECT_EQ(imap_binary_literal(std::string("a\0c", 3)), std::string("~{3}\r\na\0c", 9));
}

TEST(Quote, FlagList) {
  EXPECT_EQ(format_flag_list({}), "()");
  EXPECT_EQ(format_flag_list({"\\Seen", "$Forwarded"}), "(\\Seen $Forwarded)");
}

TEST(Quote, SanitizeText) {
  EXPECT_EQ(sanitize_text("bad\r\ncmd\xff"), "bad  cmd?");
  EXPECT_EQ(sanitize_text(std::string(500, 'a'), 10).size(), 10u);
}

TEST(Quote, CharacterClasses) {
  EXPECT_TRUE(is_atom_char('a'));
  EXPECT_FALSE(is_atom_char(']'));
  EXPECT_TRUE(is_astring_char(']'));
  EXPECT_FALSE(is_astring_char('%'));
  EXPECT_TRUE(is_list_char('%'));
  EXPECT_TRUE(is_list_char('*'));
  EXPECT_FALSE(is_list_char('('));
  EXPECT_FALSE(is_atom_char('{'));
  EXPECT_FALSE(is_atom_char('\x7f'));
}

}  // namespace
}  // namespace kurier::imap
