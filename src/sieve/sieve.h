// The Sieve mail filtering language (RFC 5228) as a pure library: compile a script once into an
// immutable Program (cache it per script version), then execute it per message against an
// Environment, getting the list of actions to perform. Nothing here touches files, sockets or
// SQL: the caller supplies the message, the envelope and the stores (duplicate tracking,
// vacation memory, included scripts) through Environment, and performs the actions itself.
//
//   auto compiled = sieve::compile(text, sieve::ExtensionSet::all(), limits);
//   if (!compiled.ok()) -> report compiled.errors ("line 3, column 7: unknown command 'filein'")
//   sieve::Result r = sieve::execute(*compiled.program, env);
//   if (!r.ok()) -> log r.error; r.actions is then just the implicit keep (RFC 5228 2.10.6)
//   else perform r.actions in order; record r.duplicate_marks and sent vacation replies.
//
// Extensions (each must be named in `require` and enabled in the ExtensionSet):
//   fileinto, reject, ereject (RFC 5429), envelope, encoded-character (RFC 5228), imap4flags
//   (RFC 5232), body (RFC 5173), variables (RFC 5229), vacation (RFC 5230), vacation-seconds
//   (RFC 6131), copy (RFC 3894), relational (RFC 5231), subaddress (RFC 5233),
//   comparator-i;ascii-numeric (RFC 4790), date, index (RFC 5260), mailbox (RFC 5490),
//   include (RFC 6609), editheader (RFC 5293), duplicate (RFC 7352), regex
//   (draft-ietf-sieve-regex-01, POSIX extended regular expressions), enotify (RFC 5435, with
//   the mailto method of RFC 5436).
#pragma once
#include <cstdint>
#include <ctime>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "sieve/message.h"

namespace kurier::sieve {

enum class Extension : uint8_t {
  fileinto, reject, ereject, envelope, encoded_character, imap4flags, body, variables, vacation,
  vacation_seconds, copy, relational, subaddress, comparator_numeric, date, index, mailbox,
  include, editheader, duplicate, regex, enotify,
  count_  // not an extension: the number of them
};

// The extensions a script may require (e.g. what ManageSieve announces as SIEVE capabilities).
class ExtensionSet {
 public:
  static ExtensionSet all();
  static ExtensionSet none() { return ExtensionSet(); }
  ExtensionSet& enable(Extension e) { bits_ |= bit(e); return *this; }
  ExtensionSet& disable(Extension e) { bits_ &= ~bit(e); return *this; }
  bool has(Extension e) const { return (bits_ & bit(e)) != 0; }
  // The capability names, space separated, as ManageSieve's "SIEVE" capability lists them.
  std::string capability_string() const;

 private:
  static uint32_t bit(Extension e) { return uint32_t(1) << unsigned(e); }
  uint32_t bits_ = 0;
};

// The notification methods enotify supports (ManageSieve's NOTIFY capability, RFC 5804 1.7).
inline constexpr std::string_view kNotifyMethods = "mailto";

// The `require` name of an extension ("comparator-i;ascii-numeric", "vacation-seconds", ...),
// and back (nullopt for a name kurier does not implement).
std::string_view extension_name(Extension e);
std::optional<Extension> extension_from_name(std::string_view name);

struct Limits {
  size_t max_script_size = 1 << 20;      // bytes of script text
  size_t max_nesting = 32;               // blocks and tests inside each other
  size_t max_string_size = 64 * 1024;    // one string, literal or after variable expansion
  size_t max_variable_size = 4096;       // RFC 5229 6: a variable holds at least 4000 octets
  size_t max_variables = 256;            // distinct variables per script execution
  size_t max_actions = 32;               // actions one execution may produce
  size_t max_redirects = 4;              // of which redirects
  size_t max_include_depth = 5;          // RFC 6609 3.2: nested includes
  size_t max_includes = 32;              // include commands executed per message
  uint64_t max_steps = 100000;           // commands and tests evaluated per message
  size_t max_match_size = 1 << 20;       // bytes of one header/body value a test looks at
  uint64_t vacation_min_seconds = 0;     // RFC 6131: :seconds may be as low as the site allows
  uint64_t vacation_max_seconds = 90 * 86400;
  uint64_t vacation_default_days = 7;    // RFC 5230 4.1
  uint64_t duplicate_default_seconds = 7 * 86400;
  uint64_t duplicate_max_seconds = 30 * 86400;
};

struct Position {
  int line = 1;
  int column = 1;
};

struct Diagnostic {
  Position pos;
  std::string message;
  // "line 3, column 7: unknown command 'filein'"
  std::string to_string() const;
};

class Program;  // compiled script, immutable, safe to share between threads (see program.h)

struct CompileResult {
  std::shared_ptr<const Program> program;  // null when errors is not empty
  std::vector<Diagnostic> errors;          // in script order; the parser stops at its first
  bool ok() const { return program != nullptr; }
};

// Parses and validates a script: syntax, `require`d extensions, every command's and test's
// arguments (types, counts, tags, comparators, match types, constant regexes, header names,
// date parts, notification URIs). A script that compiles only fails at run time on things that
// depend on the message or on variables.
CompileResult compile(std::string_view script, const ExtensionSet& extensions,
                      const Limits& limits = {});

// ---- What a script may ask of its environment ----------------------------------------------

// The SMTP envelope of this delivery. `from` is "" for the null reverse-path (<>).
struct Envelope {
  std::string from;
  std::string to;    // this recipient, as the script's owner receives it (after aliasing)
  std::string auth;  // the authenticated submitter, "" if none (envelope "auth" part)
};

enum class IncludeLocation { personal, global };

// What Environment::include returns: the compiled script, or why there is none.
struct IncludedScript {
  std::shared_ptr<const Program> program;  // null: see `missing` / `error`
  bool missing = false;                    // no such script (fine with :optional)
  std::string error;                       // it exists but does not compile, or cannot be read
};

class Environment {
 public:
  virtual ~Environment() = default;
  virtual const Message& message() const = 0;
  virtual Envelope envelope() const = 0;
  // The addresses that are the script owner's (vacation replies only to mail sent to one of
  // them, RFC 5230 4.5, and never to mail from one of them).
  virtual std::vector<std::string> user_addresses() const = 0;
  // Current time and the local zone's offset from UTC in minutes (currentdate, RFC 5260 5).
  virtual std::time_t now() const { return std::time(nullptr); }
  virtual int local_zone_minutes() const { return 0; }
  // Subaddress separators (RFC 5233): the first of these characters in a local part starts the
  // detail.
  virtual std::string_view subaddress_separators() const { return "+"; }
  virtual bool mailbox_exists(std::string_view mailbox) const { return false; }
  // RFC 7352: whether `id` (handle and value, see DuplicateMark) was tracked and has not
  // expired. The caller stores the result's duplicate_marks after a successful delivery.
  virtual bool duplicate_seen(std::string_view id) const { return false; }
  // RFC 5230 4.2: when a vacation reply with `handle` last went to `sender` (nullopt: never
  // or forgotten). The library compares it with the period itself.
  virtual std::optional<std::time_t> vacation_last_reply(std::string_view sender,
                                                         std::string_view handle) const {
    return std::nullopt;
  }
  // RFC 6609: a :personal (the owner's) or :global (site-wide) script by name. Compile it
  // with compile() (and cache it); the interpreter detects loops and limits the depth.
  virtual IncludedScript include(IncludeLocation location, std::string_view name) const {
    return IncludedScript{nullptr, true, {}};
  }
};

// ---- What executing a script produces -------------------------------------------------------

// The header a delivered copy must carry when editheader changed it: the complete new header
// block ("Name: value\r\n"... "\r\n") replacing the message's. Null: the message unchanged.
using EditedHeader = std::shared_ptr<const std::string>;

struct Keep {
  std::vector<std::string> flags;  // imap4flags: the flags to store the message with
  EditedHeader header;
  bool implicit = false;           // RFC 5228 2.10.2: not cancelled by any action
};
struct FileInto {
  std::string mailbox;             // as written in the script (UTF-8, "/" or "." separators)
  std::vector<std::string> flags;
  bool copy = false;               // RFC 3894 (informational: implicit keep already resolved)
  bool create = false;             // RFC 5490 3.2: create the mailbox if it does not exist
  EditedHeader header;
};
struct Redirect {
  std::string address;
  bool copy = false;
  EditedHeader header;
};
struct Discard {};
struct Reject {
  std::string reason;
  bool extended = false;  // ereject: refuse in the SMTP/LMTP transaction when possible
};
// A vacation action with every parameter resolved and the RFC 5230/3834 decision taken.
struct Vacation {
  bool send = false;           // false: do not reply (see why_not); nothing to record then
  std::string why_not;         // e.g. "sender is a mailing list (List-Id)"
  std::string to;              // the envelope sender to reply to (RFC 5230 4.3)
  std::string from;            // :from, or "" for the recipient's own address
  std::string subject;         // :subject, or "Auto: " + the original subject (RFC 5230 4.5)
  std::string reason;          // text, or a MIME entity when `mime` is true
  bool mime = false;
  std::string handle;          // :handle, or one derived from the arguments (RFC 5230 4.2)
  uint64_t period_seconds = 0; // one reply per sender and handle per this period
  std::string in_reply_to;     // the original Message-ID (RFC 5230 5.8), "" if none
  std::string references;      // for References: original References + Message-ID
};
struct Notify {
  std::string method;          // "mailto:..." (RFC 5436)
  std::string from;
  int importance = 2;          // 1 high, 2 normal, 3 low (RFC 5435 3.4)
  std::vector<std::string> options;
  std::string message;         // :message, or "<from>: <subject>" as RFC 5435 3.6 suggests
};

using Action = std::variant<Keep, FileInto, Redirect, Discard, Reject, Vacation, Notify>;

// A duplicate (RFC 7352) identifier to remember for period_seconds once the message has been
// delivered; `id` is the handle and the tracked value joined by a NUL byte.
struct DuplicateMark {
  std::string id;
  uint64_t period_seconds = 0;
};

// One header change by addheader/deleteheader (RFC 5293), for logs.
struct HeaderEdit {
  bool added = false;  // false: deleted
  std::string name;
  std::string value;
};

struct Result {
  std::vector<Action> actions;            // in execution order, duplicates merged
  std::optional<std::string> error;       // runtime error ("line 4, column 3: ...")
  std::vector<DuplicateMark> duplicate_marks;
  std::vector<HeaderEdit> header_edits;
  std::vector<std::string> flags;         // imap4flags internal variable at the end
  bool ok() const { return !error.has_value(); }
  // True when the message ends up in no mailbox and is not redirected (discard, reject).
  bool delivers_nowhere() const;
};

// Runs the program against one message. Never throws for script problems: a runtime error
// (limits, invalid redirect address, include loop, conflicting reject) gives a Result whose
// error is set and whose actions are just an implicit keep.
// The limits are the ones the program was compiled with.
Result execute(const Program& program, const Environment& env);

}  // namespace kurier::sieve
