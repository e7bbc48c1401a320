// Small string helpers shared by every layer: ASCII case folding, trimming, splitting.
// Protocol keywords (IMAP, SMTP, POP3) are ASCII and case-insensitive, hence the ASCII-only folding.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kurier {

inline char ascii_lower(char c) { return (c >= 'A' && c <= 'Z') ? char(c + 32) : c; }
inline char ascii_upper(char c) { return (c >= 'a' && c <= 'z') ? char(c - 32) : c; }

std::string to_lower(std::string_view s);
std::string to_upper(std::string_view s);
bool iequals(std::string_view a, std::string_view b);
bool istarts_with(std::string_view s, std::string_view prefix);
std::string_view trim(std::string_view s);
std::vector<std::string_view> split(std::string_view s, char sep);
std::string join(const std::vector<std::string>& parts, std::string_view sep = " ");
// Parses a non-negative decimal integer that fits in uint64; rejects signs, spaces and empty input.
std::optional<uint64_t> parse_uint(std::string_view s);
// Parses "1234", "10K", "20M", "1G" (case-insensitive, powers of 1024) into bytes.
std::optional<uint64_t> parse_size(std::string_view s);
// Formats bytes the way parse_size reads them back when the value is a whole multiple.
std::string format_size(uint64_t bytes);

}  // namespace kurier
