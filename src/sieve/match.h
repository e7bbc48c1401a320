// Comparators (RFC 4790 9: i;octet, i;ascii-casemap, i;ascii-numeric) and match types
// (RFC 5228 2.7.1 :is :contains :matches, RFC 5231 :value :count, regex draft :regex).
// :matches and :regex fill match variables (RFC 5229 3.2).
#pragma once
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kurier::sieve {

enum class Comparator { octet, ascii_casemap, ascii_numeric };
enum class MatchType { is, contains, matches, regex, value, count };
enum class Relation { gt, ge, lt, le, eq, ne };
enum class AddressPart { all, localpart, domain, user, detail };

std::optional<Comparator> comparator_from_name(std::string_view name);
std::optional<Relation> relation_from_name(std::string_view name);
// Whether a comparator supports a match type (RFC 4790 9.1: i;ascii-numeric offers equality
// and ordering only, so no substring, wildcard or regex matching).
bool supports(Comparator c, MatchType m);

// Ordering under a comparator: <0, 0, >0. i;ascii-numeric compares the leading digits as a
// number; a string not starting with a digit is positive infinity (RFC 4790 9.1.1).
int compare(Comparator c, std::string_view a, std::string_view b);
bool relation_holds(Relation r, int ordering);
bool contains(Comparator c, std::string_view haystack, std::string_view needle);
// Thrown by glob_match when a pattern would cost too much work on a value (segments with "?"
// are searched position by position); the interpreter makes it a runtime error.
struct MatchTooComplex {};

// "*" matches any sequence, "?" one UTF-8 character, "\" quotes the next character. Wildcards
// match as little as possible from the left (RFC 5229 3.2 "[*] *" example). On success,
// captures (when given) hold the whole value then one string per wildcard. Segments without
// "?" are found with memmem (two-way, linear), so the usual patterns cost linear time.
bool glob_match(Comparator c, std::string_view value, std::string_view pattern,
                std::vector<std::string>* captures);

// A POSIX extended regular expression (regcomp REG_EXTENDED); REG_ICASE under
// i;ascii-casemap. Patterns and subjects are bounded by the caller.
class Regex {
 public:
  static std::shared_ptr<const Regex> compile(std::string_view pattern, bool icase, std::string* error);
  ~Regex();
  Regex(const Regex&) = delete;
  Regex& operator=(const Regex&) = delete;
  // Searches the value; captures get ${0} (the match) and the groups, at most 10 in all.
  bool search(std::string_view value, std::vector<std::string>* captures) const;

 private:
  Regex() = default;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Counts UTF-8 characters (RFC 5229 :length, RFC 5231 sizes are in octets, not this).
size_t utf8_length(std::string_view s);

}  // namespace kurier::sieve
