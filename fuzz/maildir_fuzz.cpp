// Maildir file names, dovecot-keywords and dovecot-uidlist (import/maildir.h): whatever the
// bytes, parsing terminates, UIDs come out ascending, and a name formatted from parsed flags
// parses back to the same flags.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "import/maildir.h"

using namespace kurier::mail_import;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  auto keywords = parse_dovecot_keywords(input);
  if (keywords.size() > 26) std::abort();
  auto name = parse_maildir_name(input);
  auto flags = maildir_flags(name, keywords);
  std::vector<std::string> index = keywords;
  std::string formatted = format_maildir_name("base", flags, index);
  auto again = maildir_flags(parse_maildir_name(formatted), index);
  if (again.system != flags.system) std::abort();
  std::string error;
  if (auto list = parse_dovecot_uidlist(input, error)) {
    kurier::store::Uid last = 0;
    for (const auto& e : list->entries) {
      if (e.uid <= last || e.filename.empty()) std::abort();
      last = e.uid;
    }
    if (list->next_uid <= last) std::abort();
    std::string again_error;
    auto reparsed = parse_dovecot_uidlist(format_dovecot_uidlist(*list), again_error);
    if (!reparsed || reparsed->entries.size() != list->entries.size()) std::abort();
  } else if (error.empty()) {
    std::abort();  // every refusal says why
  }
  maildirpp_folder_name(input);
  return 0;
}
