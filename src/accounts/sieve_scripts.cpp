// Users' Sieve scripts: names, limits, checks; see sieve_scripts.h.
#include "accounts/sieve_scripts.h"

#include "auth/saslprep.h"
#include "common/utf8.h"

namespace kurier::accounts {
namespace {

constexpr size_t kMaxNameOctets = 255;

SieveResult fail(SieveStatus status, std::string message) { return {status, std::move(message)}; }

std::string script_name_text(std::string_view name) { return "\"" + std::string(name) + "\""; }

}  // namespace

std::string sieve_name_problem(std::string_view name) {
  if (name.empty()) return "a script name cannot be empty";
  if (name.size() > kMaxNameOctets) return "a script name is at most 255 octets";
  if (!is_valid_utf8(name)) return "a script name must be UTF-8";
  for (size_t i = 0; i < name.size(); ++i) {
    auto c = static_cast<unsigned char>(name[i]);
    if (c < 0x20 || c == 0x7f) return "a script name cannot contain control characters";
    auto next = i + 1 < name.size() ? static_cast<unsigned char>(name[i + 1]) : 0;
    if (c == 0xc2 && next >= 0x80 && next <= 0x9f) return "a script name cannot contain control characters";
    if (c == 0xe2 && next == 0x80 && i + 2 < name.size()) {
      auto third = static_cast<unsigned char>(name[i + 2]);
      if (third == 0xa8 || third == 0xa9) return "a script name cannot contain line or paragraph separators";
    }
  }
  return "";
}

SieveScripts::SieveScripts(directory::Directory& dir, SieveLimits limits, SieveLanguage language)
    : dir_(dir), limits_(limits), language_(std::move(language)) {}

std::vector<directory::SieveScript> SieveScripts::list(int64_t account_id) {
  return dir_.list_sieve_scripts(account_id);
}

std::optional<directory::SieveScript> SieveScripts::get(int64_t account_id, std::string_view name) {
  return dir_.find_sieve_script(account_id, name);
}

// RFC 5804 2.3: QUOTA/MAXSIZE for a script too big, QUOTA/MAXSCRIPTS for one name too many.
// Replacing a script that exists never adds a name, so it is never refused for the count.
SieveResult SieveScripts::room_for(int64_t account_id, std::string_view name, uint64_t size) {
  if (size > limits_.max_script_size)
    return fail(SieveStatus::too_big,
                "Scripts are limited to " + std::to_string(limits_.max_script_size) + " octets");
  auto scripts = dir_.list_sieve_scripts(account_id);
  bool replaces = false;
  for (const auto& s : scripts) replaces = replaces || s.name == name;
  if (!replaces && scripts.size() >= limits_.max_scripts)
    return fail(SieveStatus::too_many, "At most " + std::to_string(limits_.max_scripts) + " scripts are allowed");
  return {};
}

SieveResult SieveScripts::have_space(int64_t account_id, std::string_view name, uint64_t size) {
  if (auto problem = sieve_name_problem(name); !problem.empty()) return fail(SieveStatus::bad_name, problem);
  return room_for(account_id, name, size);
}

SieveResult SieveScripts::check(std::string_view content) const {
  if (content.size() > limits_.max_script_size)
    return fail(SieveStatus::too_big,
                "Scripts are limited to " + std::to_string(limits_.max_script_size) + " octets");
  std::string error = language_.check ? language_.check(content) : std::string();
  if (!error.empty()) return fail(SieveStatus::bad_script, error);
  return {};
}

SieveResult SieveScripts::put(int64_t account_id, const std::string& name, const std::string& content) {
  if (auto problem = sieve_name_problem(name); !problem.empty()) return fail(SieveStatus::bad_name, problem);
  if (auto room = room_for(account_id, name, content.size()); !room.ok()) return room;
  if (auto checked = check(content); !checked.ok()) return checked;
  dir_.put_sieve_script(account_id, name, content);
  return {};
}

SieveResult SieveScripts::activate(int64_t account_id, std::string_view name) {
  try {
    dir_.activate_sieve_script(account_id, name);
    return {};
  } catch (const directory::Error& e) {
    if (e.kind() != directory::Error::NotFound) throw;
    return fail(SieveStatus::nonexistent, "There is no script " + script_name_text(name));
  }
}

SieveResult SieveScripts::remove(int64_t account_id, std::string_view name) {
  try {
    dir_.remove_sieve_script(account_id, name);
    return {};
  } catch (const directory::Error& e) {
    if (e.kind() == directory::Error::NotFound)
      return fail(SieveStatus::nonexistent, "There is no script " + script_name_text(name));
    // RFC 5804 2.10: the active script cannot be deleted; deactivate it first.
    if (e.kind() == directory::Error::Conflict)
      return fail(SieveStatus::active, "The active script cannot be deleted");
    throw;
  }
}

SieveResult SieveScripts::rename(int64_t account_id, std::string_view from, std::string_view to) {
  if (auto problem = sieve_name_problem(to); !problem.empty()) return fail(SieveStatus::bad_name, problem);
  try {
    dir_.rename_sieve_script(account_id, from, to);
    return {};
  } catch (const directory::Error& e) {
    if (e.kind() == directory::Error::NotFound)
      return fail(SieveStatus::nonexistent, "There is no script " + script_name_text(from));
    if (e.kind() == directory::Error::Conflict)
      return fail(SieveStatus::already_exists, "A script " + script_name_text(to) + " already exists");
    throw;
  }
}

}  // namespace kurier::accounts
