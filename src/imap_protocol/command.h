// The structured form of an IMAP client command, as produced by parse_command() (parser.h).
// Covers IMAP4rev1 (RFC 3501), IMAP4rev2 (RFC 9051) and the extensions UIDPLUS (4315),
// MOVE (6851), LITERAL+/- (7888), SASL-IR (4959), SPECIAL-USE / CREATE-SPECIAL-USE (6154),
// LIST-EXTENDED (5258), LIST-STATUS (5819), ESEARCH (4731), SEARCHRES (5182),
// CONDSTORE/QRESYNC (7162), QUOTA (9208), ID (2971), ENABLE (5161), UNSELECT (3691),
// NAMESPACE (2342), IDLE (2177), BINARY (3516), COMPRESS (4978), APPENDLIMIT (7889),
// MULTIAPPEND (3502), WITHIN (5032).
// A session dispatches on Command::kind (one value per command name; UID variants are the
// same kind with uid = true) and reads the arguments with cmd.as<SelectArgs>() etc.
// Keywords are matched case-insensitively; strings keep their bytes (mailbox names are the
// wire form, modified UTF-7 unless UTF8=ACCEPT; "INBOX" in any case is normalised).
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "imap_protocol/datetime.h"
#include "imap_protocol/literal.h"
#include "imap_protocol/seqset.h"

namespace kurier::imap {

enum class CommandKind {
  // any state
  capability, noop, logout, id,
  // not authenticated
  starttls, authenticate, login,
  // authenticated
  enable, select, examine, create, delete_, rename, subscribe, unsubscribe, list, lsub,
  namespace_, status, append, idle, getquota, getquotaroot, setquota, compress,
  // selected
  check, close, unselect, expunge, search, fetch, store, copy, move,
};

// "SELECT", "DELETE", "NAMESPACE", ... (upper case, without "UID ").
std::string_view command_name(CommandKind kind);
// Inverse of command_name, case-insensitive; nullopt for unknown names.
std::optional<CommandKind> command_kind_from_name(std::string_view name);

struct NoArgs {};

struct AuthenticateArgs {
  std::string mechanism;  // upper-cased
  // RFC 4959 SASL-IR: still base64 as sent; "=" (an empty response) becomes "".
  std::optional<std::string> initial_response;
};

struct LoginArgs {
  std::string user;
  std::string password;
};

struct EnableArgs {
  std::vector<std::string> capabilities;  // upper-cased
};

// RFC 7162 3.2.5: QRESYNC (uidvalidity modseq [known-uids [(known-seqs known-uids)]])
struct QresyncParams {
  uint32_t uidvalidity = 0;
  uint64_t modseq = 0;
  std::optional<SequenceSet> known_uids;
  std::optional<SequenceSet> seq_match_seqs;  // both set or neither
  std::optional<SequenceSet> seq_match_uids;
};

struct SelectArgs {  // SELECT and EXAMINE
  std::string mailbox;
  bool condstore = false;
  std::optional<QresyncParams> qresync;
};

struct MailboxArgs {  // DELETE, SUBSCRIBE, UNSUBSCRIBE, GETQUOTAROOT
  std::string mailbox;
};

struct CreateArgs {
  std::string mailbox;
  std::vector<std::string> special_use;  // RFC 6154 USE (\Drafts ...), as written
};

struct RenameArgs {
  std::string from;
  std::string to;
};

enum class StatusItem { messages, uidnext, uidvalidity, unseen, deleted, size, recent,
                        highestmodseq, appendlimit };

struct ListArgs {  // LIST (basic and RFC 5258 extended) and LSUB
  std::string reference;             // not INBOX-normalised: it is a prefix
  std::vector<std::string> patterns; // one, or several with "(p1 p2)"
  // selection options (RFC 5258 3.1, RFC 6154)
  bool select_subscribed = false;
  bool select_remote = false;
  bool select_recursive_match = false;
  bool select_special_use = false;
  // return options (RFC 5258 3.2, RFC 6154, RFC 5819)
  bool return_subscribed = false;
  bool return_children = false;
  bool return_special_use = false;
  std::optional<std::vector<StatusItem>> return_status;
  bool extended = false;  // any selection/return option or several patterns was given
};

struct StatusArgs {
  std::string mailbox;
  std::vector<StatusItem> items;
};

struct AppendMessage {
  std::vector<std::string> flags;
  std::optional<DateTime> internal_date;
  Literal message;  // data or spool_path; binary for literal8 (RFC 3516)
};

struct AppendArgs {
  std::string mailbox;
  std::vector<AppendMessage> messages;  // several with MULTIAPPEND (RFC 3502)
};

struct ExpungeArgs {
  std::optional<SequenceSet> uids;  // UID EXPUNGE (RFC 4315)
};

// ---- SEARCH -----------------------------------------------------------------------------

struct SearchKey {
  enum class Kind {
    and_,  // all children; a parenthesised list or the whole program
    or_,   // two children
    not_,  // one child
    all, answered, deleted, draft, flagged, new_, old, recent, seen,
    unanswered, undeleted, undraft, unflagged, unseen,
    keyword, unkeyword,                               // text = flag keyword
    bcc, body, cc, from, subject, text, to,           // text
    header,                                           // text = field name, value
    before, on, since, sentbefore, senton, sentsince, // date
    larger, smaller,                                  // number
    older, younger,                                   // number of seconds (RFC 5032)
    sequence_set, uid,                                // set
    modseq,                                           // number (+ optional entry, RFC 7162)
  };
  Kind kind = Kind::all;
  std::string text;
  std::string value;  // HEADER value; MODSEQ entry name ("/flags/\\draft")
  std::string entry_type;  // MODSEQ entry type: "priv", "shared" or "all" (lower-cased)
  uint64_t number = 0;
  Date date;
  SequenceSet set;
  std::vector<SearchKey> children;
};

enum class SearchReturn { min, max, all, count, save };

struct SearchArgs {
  std::optional<std::string> charset;  // upper-cased
  // RFC 4731: RETURN given (even "RETURN ()", which means ALL) selects an ESEARCH reply.
  bool esearch = false;
  std::vector<SearchReturn> returns;
  SearchKey program;  // kind and_ at the top
};

// ---- FETCH ------------------------------------------------------------------------------

// BODY[...] / BINARY[...] section: part path and what inside it (RFC 9051 6.4.5).
struct Section {
  enum class Text { none, header, header_fields, header_fields_not, text, mime };
  std::vector<uint32_t> part;  // "1.2" -> {1, 2}; empty: the whole message
  Text text = Text::none;
  std::vector<std::string> fields;  // HEADER.FIELDS (...) names, as written
};

struct FetchItem {
  enum class Kind {
    envelope, flags, internaldate, rfc822, rfc822_header, rfc822_size, rfc822_text,
    body_structure_short,  // "BODY" without a section
    bodystructure, uid, modseq,
    body_section,          // BODY[...] / BODY.PEEK[...]
    binary, binary_size,   // BINARY[...] / BINARY.PEEK[...] / BINARY.SIZE[...]
  };
  Kind kind = Kind::flags;
  bool peek = false;
  Section section;
  std::optional<uint64_t> partial_offset;  // <offset.length>
  uint64_t partial_length = 0;
};

struct FetchArgs {
  SequenceSet set;
  std::vector<FetchItem> items;  // macros ALL/FAST/FULL are expanded
  std::optional<uint64_t> changedsince;  // RFC 7162 CHANGEDSINCE
  bool vanished = false;                 // RFC 7162 VANISHED (UID FETCH only)
};

// ---- STORE, COPY/MOVE, QUOTA, ID, COMPRESS -----------------------------------------------

struct StoreArgs {
  enum class Mode { replace, add, remove };
  SequenceSet set;
  Mode mode = Mode::replace;
  bool silent = false;
  std::vector<std::string> flags;
  std::optional<uint64_t> unchangedsince;  // RFC 7162
};

struct CopyArgs {  // COPY and MOVE
  SequenceSet set;
  std::string mailbox;
};

struct GetQuotaArgs {
  std::string root;
};

struct SetQuotaArgs {
  std::string root;
  std::vector<std::pair<std::string, uint64_t>> limits;  // resource name upper-cased
};

struct IdArgs {
  bool nil = false;  // "ID NIL"
  std::vector<std::pair<std::string, std::optional<std::string>>> fields;
};

struct CompressArgs {
  std::string algorithm;  // upper-cased, e.g. "DEFLATE"
};

using CommandArgs =
    std::variant<NoArgs, AuthenticateArgs, LoginArgs, EnableArgs, SelectArgs, MailboxArgs,
                 CreateArgs, RenameArgs, ListArgs, StatusArgs, AppendArgs, ExpungeArgs,
                 SearchArgs, FetchArgs, StoreArgs, CopyArgs, GetQuotaArgs, SetQuotaArgs,
                 IdArgs, CompressArgs>;

struct Command {
  std::string tag;
  CommandKind kind = CommandKind::noop;
  bool uid = false;  // "UID FETCH" etc.
  CommandArgs args;

  template <class T> const T& as() const { return std::get<T>(args); }
  template <class T> T& as() { return std::get<T>(args); }
};

// "inbox", "Inbox", ... -> "INBOX" (RFC 9051 5.1: INBOX is case-insensitive). With a
// hierarchy separator, also normalises the prefix of "inbox/child".
std::string normalize_inbox(std::string_view name, char separator = '\0');

}  // namespace kurier::imap
