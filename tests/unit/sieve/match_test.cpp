// Comparators (RFC 4790) and the :matches wildcard algorithm (RFC 5228 2.7.1, RFC 5229 3.2).
#include <gtest/gtest.h>

#include "sieve/match.h"

namespace kurier::sieve {
namespace {

std::vector<std::string> caps_of(std::string_view value, std::string_view pattern) {
  std::vector<std::string> caps;
  EXPECT_TRUE(glob_match(Comparator::octet, value, pattern, &caps)) << value << " ~ " << pattern;
  return caps;
}

TEST(SieveMatch, Wildcards) {
  EXPECT_TRUE(glob_match(Comparator::octet, "", "", nullptr));
  EXPECT_TRUE(glob_match(Comparator::octet, "", "*", nullptr));
  EXPECT_FALSE(glob_match(Comparator::octet, "", "?", nullptr));
  EXPECT_TRUE(glob_match(Comparator::octet, "abc", "a*c", nullptr));
  EXPECT_TRUE(glob_match(Comparator::octet, "abc", "*", nullptr));
  EXPECT_TRUE(glob_match(Comparator::octet, "abc", "???", nullptr));
  EXPECT_FALSE(glob_match(Comparator::octet, "abc", "??", nullptr));
  EXPECT_FALSE(glob_match(Comparator::octet, "abc", "ABC", nullptr));
  EXPECT_TRUE(glob_match(Comparator::ascii_casemap, "abc", "A*", nullptr));
  EXPECT_TRUE(glob_match(Comparator::octet, "a*c", "a\\*c", nullptr));
  EXPECT_FALSE(glob_match(Comparator::octet, "abc", "a\\*c", nullptr));
  EXPECT_TRUE(glob_match(Comparator::octet, "a\\b", "a\\\\b", nullptr));
  EXPECT_TRUE(glob_match(Comparator::octet, "aXbXc", "*X*X*", nullptr));
  EXPECT_FALSE(glob_match(Comparator::octet, "aXb", "*X*X*", nullptr));
  EXPECT_TRUE(glob_match(Comparator::octet, "abab", "*ab", nullptr));  // the last segment anchors at the end
  EXPECT_TRUE(glob_match(Comparator::octet, "\xC3\xA9t\xC3\xA9", "?t?", nullptr));  // "?" is one character
}

TEST(SieveMatch, CapturesAreNonGreedyFromTheLeft) {
  EXPECT_EQ(caps_of("[acme-users] [fwd] out", "[*] *"),
            (std::vector<std::string>{"[acme-users] [fwd] out", "acme-users", "[fwd] out"}));
  EXPECT_EQ(caps_of("Jane <jane-list@example.com>", "*<*@*"),
            (std::vector<std::string>{"Jane <jane-list@example.com>", "Jane ", "jane-list", "example.com>"}));
  EXPECT_EQ(caps_of("abc", "?*?"), (std::vector<std::string>{"abc", "a", "b", "c"}));
  EXPECT_EQ(caps_of("abc", "**"), (std::vector<std::string>{"abc", "", "abc"}));
}

TEST(SieveMatch, PathologicalPatternsStayFast) {
  std::string value(100000, 'a');
  std::string pattern;
  for (int i = 0; i < 200; ++i) pattern += "*a";
  pattern += "*b";
  EXPECT_FALSE(glob_match(Comparator::octet, value, pattern, nullptr));
}

TEST(SieveMatch, CostlyPatternsAreRefused) {
  std::string value(1 << 20, 'a');
  std::string contains_key(60000, 'a');
  contains_key += 'b';
  EXPECT_FALSE(contains(Comparator::ascii_casemap, value, contains_key));  // two-way search: linear
  EXPECT_FALSE(glob_match(Comparator::octet, value, "*" + contains_key + "*", nullptr));
  std::string questions = "*" + std::string(1000, '?') + "b*";
  EXPECT_THROW(glob_match(Comparator::octet, value, questions, nullptr), MatchTooComplex);
}

TEST(SieveMatch, NumericComparator) {
  EXPECT_EQ(compare(Comparator::ascii_numeric, "10", "9"), 1);
  EXPECT_EQ(compare(Comparator::ascii_numeric, "007", "7"), 0);
  EXPECT_EQ(compare(Comparator::ascii_numeric, "12abc", "12"), 0);  // leading digits only
  EXPECT_EQ(compare(Comparator::ascii_numeric, "abc", "99999999999999999999999"), 1);  // no digits: infinity
  EXPECT_EQ(compare(Comparator::ascii_numeric, "abc", "x"), 0);
  EXPECT_EQ(compare(Comparator::ascii_numeric, "123456789012345678901234567890", "123456789012345678901234567891"), -1);
  EXPECT_FALSE(supports(Comparator::ascii_numeric, MatchType::contains));
  EXPECT_TRUE(supports(Comparator::ascii_numeric, MatchType::value));
}

TEST(SieveMatch, CasemapAndOctet) {
  EXPECT_EQ(compare(Comparator::ascii_casemap, "ABC", "abc"), 0);
  EXPECT_NE(compare(Comparator::octet, "ABC", "abc"), 0);
  EXPECT_EQ(compare(Comparator::ascii_casemap, "\xC3\x89", "\xC3\xA9"), -1);  // only ASCII folds
  EXPECT_TRUE(contains(Comparator::ascii_casemap, "Hello World", "WORLD"));
  EXPECT_TRUE(contains(Comparator::octet, "x", ""));
  EXPECT_FALSE(contains(Comparator::octet, "", "x"));
  EXPECT_TRUE(relation_holds(Relation::ge, 0));
  EXPECT_FALSE(relation_holds(Relation::ne, 0));
}

}  // namespace
}  // namespace kurier::sieve
