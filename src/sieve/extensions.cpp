// Extension names (the strings of `require` and of the ManageSieve SIEVE capability) and
// diagnostics formatting.
#include <array>

#include "sieve/sieve.h"

namespace kurier::sieve {
namespace {

constexpr std::array<std::string_view, size_t(Extension::count_)> kNames = {
    "fileinto", "reject", "ereject", "envelope", "encoded-character", "imap4flags", "body", "variables",
    "vacation", "vacation-seconds", "copy", "relational", "subaddress", "comparator-i;ascii-numeric",
    "date", "index", "mailbox", "include", "editheader", "duplicate", "regex", "enotify"};

}  // namespace

std::string_view extension_name(Extension e) { return kNames[size_t(e)]; }

std::optional<Extension> extension_from_name(std::string_view name) {
  for (size_t i = 0; i < kNames.size(); ++i)
    if (kNames[i] == name) return Extension(i);
  return std::nullopt;
}

ExtensionSet ExtensionSet::all() {
  ExtensionSet s;
  for (size_t i = 0; i < size_t(Extension::count_); ++i) s.enable(Extension(i));
  return s;
}

std::string ExtensionSet::capability_string() const {
  std::string out;
  for (size_t i = 0; i < size_t(Extension::count_); ++i) {
    if (!has(Extension(i))) continue;
    if (!out.empty()) out += ' ';
    out += kNames[i];
  }
  return out;
}

std::string Diagnostic::to_string() const {
  return "line " + std::to_string(pos.line) + ", column " + std::to_string(pos.column) + ": " + message;
}

}  // namespace kurier::sieve
