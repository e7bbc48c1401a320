// The rules for users' Sieve scripts, shared by ManageSieve (RFC 5804), the CLI (`kurier sieve`)
// and the web API: script names, the per-user limits (the seed's timsieved allowed 5 scripts of
// 32 KB), syntax checks before anything is stored, and which script is active. Storage is the
// Directory's; compiling is the Sieve interpreter's, handed in as a SieveLanguage so this layer
// does not depend on it.
// Blocking (directory calls): sessions call it through Runtime::offload.
#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "directory/directory.h"

namespace kurier::accounts {

// What the Sieve interpreter offers.
struct SieveLanguage {
  std::string extensions;  // space-separated, for ManageSieve's "SIEVE" capability
  // "" when the script compiles, else the error with its line and column.
  std::function<std::string(std::string_view script)> check;
};

struct SieveLimits {
  uint64_t max_script_size = 32 * 1024;
  uint32_t max_scripts = 5;
};

// The outcomes the protocols tell apart (ManageSieve response codes in RFC 5804 1.3).
enum class SieveStatus {
  ok,
  nonexistent,      // NONEXISTENT
  already_exists,   // ALREADYEXISTS
  active,           // ACTIVE: the active script cannot be deleted
  too_big,          // QUOTA/MAXSIZE
  too_many,         // QUOTA/MAXSCRIPTS
  bad_name,         // not a valid script name (RFC 5804 1.6)
  bad_script,       // does not compile; message has line and column
};

struct SieveResult {
  SieveStatus status = SieveStatus::ok;
  std::string message;  // for the user
  bool ok() const { return status == SieveStatus::ok; }
};

// RFC 5804 1.6: a script name is non-empty UTF-8 without control characters (U+0000–U+001F,
// U+007F–U+009F) or the line and paragraph separators U+2028/U+2029. kurier also caps it at
// 255 octets. Returns "" when valid, else why not.
std::string sieve_name_problem(std::string_view name);

class SieveScripts {
 public:
  SieveScripts(directory::Directory& dir, SieveLimits limits, SieveLanguage language);

  const SieveLimits& limits() const { return limits_; }
  const SieveLanguage& language() const { return language_; }

  std::vector<directory::SieveScript> list(int64_t account_id);
  std::optional<directory::SieveScript> get(int64_t account_id, std::string_view name);
  // HAVESPACE: could a script of `size` octets be stored under `name` now?
  SieveResult have_space(int64_t account_id, std::string_view name, uint64_t size);
  // CHECKSCRIPT: does it compile (and fit the size limit)?
  SieveResult check(std::string_view content) const;
  // PUTSCRIPT: checks the name, the limits and the syntax, then stores (replacing a script of
  // the same name; the active one stays active).
  SieveResult put(int64_t account_id, const std::string& name, const std::string& content);
  SieveResult activate(int64_t account_id, std::string_view name);  // "" deactivates
  SieveResult remove(int64_t account_id, std::string_view name);
  SieveResult rename(int64_t account_id, std::string_view from, std::string_view to);

 private:
  SieveResult room_for(int64_t account_id, std::string_view name, uint64_t size);

  directory::Directory& dir_;
  SieveLimits limits_;
  SieveLanguage language_;
};

}  // namespace kurier::accounts
