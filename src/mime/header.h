// Header-field utilities shared by SEARCH, delivery and the MIME parser.
// RFC 5322 2.2 (fields, folding), 3.3 and 4.3 (date-time incl. obsolete zones),
// RFC 2047 (encoded-words), RFC 6532 (8-bit header bytes pass through untouched).
#pragma once
#include <ctime>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kurier::mime {

// One header field as it appears in a header block. Views point into the block.
struct HeaderField {
  std::string_view name;       // field name as written (trailing blanks before ':' removed)
  std::string_view raw_value;  // bytes after ':' up to the field's last line ending, folds kept
  size_t offset = 0;           // start of the field, relative to the block
  size_t size = 0;             // whole field including its final line ending
  // The value unfolded (RFC 5322 2.2.3: line breaks before WSP removed) and trimmed.
  std::string value() const;
};

// Splits a header block into fields, stopping at the first empty line. Lines without a
// colon, or whose name is not printable ASCII, are skipped with their continuation lines.
std::vector<HeaderField> parse_header_fields(std::string_view block);
// First field called name (ASCII case-insensitive).
std::optional<HeaderField> find_header_field(std::string_view block, std::string_view name);
// Unfolded, trimmed value of the first field called name.
std::optional<std::string> header_value(std::string_view block, std::string_view name);
// RFC 5322 2.2.3 unfolding: removes CR/LF of folded lines, then trims surrounding WSP.
std::string unfold(std::string_view raw);

// Decodes RFC 2047 encoded-words (B and Q, any iconv charset, RFC 2231 "*lang" suffix)
// to UTF-8. Whitespace between adjacent encoded-words is dropped (RFC 2047 6.2); words
// that are malformed or in an unknown charset are left as they are.
std::string decode_encoded_words(std::string_view text);
// Converts bytes in charset to UTF-8 with glibc iconv; invalid sequences become U+FFFD.
// nullopt when the charset is unknown.
std::optional<std::string> convert_to_utf8(std::string_view bytes, std::string_view charset);

// Parses an RFC 5322 date-time (with obsolete forms: 2-digit years, zone names, military
// zones, comments) into a UTC time_t. nullopt on anything unparseable or out of range.
std::optional<std::time_t> parse_date(std::string_view value);

// A date-time with the zone it was written in: IMAP SENTON/SENTBEFORE/SENTSINCE compare the
// calendar day as written, "disregarding time and timezone" (RFC 3501 6.4.4).
struct ZonedTime {
  std::time_t utc = 0;
  int zone_minutes = 0;  // offset east of UTC as written ("-0800" is -480; obsolete names too)
};
std::optional<ZonedTime> parse_zoned_date(std::string_view value);

}  // namespace kurier::mime
