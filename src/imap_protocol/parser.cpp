// IMAP command parser: tag, command name and the arguments of the commands that need no
// special module (see parse_search.cpp and parse_fetch.cpp for SEARCH, FETCH and STORE).
#include "imap_protocol/parser.h"

#include <array>

#include "common/strings.h"
#include "imap_protocol/parser_internal.h"
#include "imap_protocol/quote.h"

namespace kurier::imap {
namespace {

constexpr uint64_t kMaxUint32 = 4294967295ull;

constexpr std::array<std::pair<CommandKind, std::string_view>, 34> kCommandNames{{
    {CommandKind::capability, "CAPABILITY"}, {CommandKind::noop, "NOOP"},
    {CommandKind::logout, "LOGOUT"}, {CommandKind::id, "ID"},
    {CommandKind::starttls, "STARTTLS"}, {CommandKind::authenticate, "AUTHENTICATE"},
    {CommandKind::login, "LOGIN"}, {CommandKind::enable, "ENABLE"},
    {CommandKind::select, "SELECT"}, {CommandKind::examine, "EXAMINE"},
    {CommandKind::create, "CREATE"}, {CommandKind::delete_, "DELETE"},
    {CommandKind::rename, "RENAME"}, {CommandKind::subscribe, "SUBSCRIBE"},
    {CommandKind::unsubscribe, "UNSUBSCRIBE"}, {CommandKind::list, "LIST"},
    {CommandKind::lsub, "LSUB"}, {CommandKind::namespace_, "NAMESPACE"},
    {CommandKind::status, "STATUS"}, {CommandKind::append, "APPEND"},
    {CommandKind::idle, "IDLE"}, {CommandKind::getquota, "GETQUOTA"},
    {CommandKind::getquotaroot, "GETQUOTAROOT"}, {CommandKind::setquota, "SETQUOTA"},
    {CommandKind::compress, "COMPRESS"}, {CommandKind::check, "CHECK"},
    {CommandKind::close, "CLOSE"}, {CommandKind::unselect, "UNSELECT"},
    {CommandKind::expunge, "EXPUNGE"}, {CommandKind::search, "SEARCH"},
    {CommandKind::fetch, "FETCH"}, {CommandKind::store, "STORE"},
    {CommandKind::copy, "COPY"}, {CommandKind::move, "MOVE"},
}};

constexpr std::array<std::pair<StatusItem, std::string_view>, 9> kStatusNames{{
    {StatusItem::messages, "MESSAGES"}, {StatusItem::uidnext, "UIDNEXT"},
    {StatusItem::uidvalidity, "UIDVALIDITY"}, {StatusItem::unseen, "UNSEEN"},
    {StatusItem::deleted, "DELETED"}, {StatusItem::size, "SIZE"},
    {StatusItem::recent, "RECENT"}, {StatusItem::highestmodseq, "HIGHESTMODSEQ"},
    {StatusItem::appendlimit, "APPENDLIMIT"},
}};

// Everything one parse needs; APPEND literals are recorded by index and filled in last.
struct Context {
  Reader& r;
  const ParseLimits& limits;
  std::vector<size_t> append_literals;
};

bool is_uid_command(CommandKind k) {
  return k == CommandKind::copy || k == CommandKind::move || k == CommandKind::fetch ||
         k == CommandKind::search || k == CommandKind::store || k == CommandKind::expunge;
}

bool takes_no_arguments(CommandKind k) {
  switch (k) {
    case CommandKind::capability: case CommandKind::noop: case CommandKind::logout:
    case CommandKind::starttls: case CommandKind::namespace_: case CommandKind::idle:
    case CommandKind::check: case CommandKind::close: case CommandKind::unselect:
      return true;
    default:
      return false;
  }
}

// RFC 4959: initial-response = base64 / "="; base64 per RFC 4648 with padding.
bool is_base64(std::string_view s) {
  if (s.empty() || s.size() % 4 != 0) return false;
  size_t pad = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    bool alnum = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (c == '=') {
      ++pad;
    } else if (pad || !(alnum || c == '+' || c == '/')) {
      return false;
    }
  }
  return pad <= 2;
}

AuthenticateArgs parse_authenticate(Reader& r) {
  AuthenticateArgs a;
  r.expect_sp("the SASL mechanism");
  a.mechanism = r.atom_upper("SASL mechanism name");
  if (r.try_sp()) {
    std::string ir = r.atom("initial response");
    if (ir == "=") ir.clear();
    else if (!is_base64(ir)) r.fail("Initial response is not valid base64");
    a.initial_response = std::move(ir);
  }
  return a;
}

LoginArgs parse_login(Reader& r) {
  LoginArgs a;
  r.expect_sp("the user name");
  a.user = r.astring("user name");
  r.expect_sp("the password");
  a.password = r.astring("password");
  return a;
}

EnableArgs parse_enable(Reader& r) {
  EnableArgs a;
  r.expect_sp("a capability");
  do a.capabilities.push_back(r.atom_upper("capability name"));
  while (r.try_sp());
  return a;
}

QresyncParams parse_qresync(Reader& r) {
  QresyncParams q;
  r.expect_sp("QRESYNC parameters");
  r.expect_char('(', "after QRESYNC");
  q.uidvalidity = uint32_t(r.nz_number("UIDVALIDITY", kMaxUint32));
  r.expect_sp("the mod-sequence");
  q.modseq = detail::read_mod_sequence_value(r, "QRESYNC mod-sequence");
  bool more = r.try_sp();
  if (more && !r.peek_is('(')) {
    q.known_uids = detail::read_sequence_set(r, "known UIDs", false);
    if (q.known_uids->has_star()) r.fail("\"*\" is not allowed in QRESYNC known UIDs");
    more = r.try_sp();
  }
  if (more) {  // seq-match-data = "(" known-sequence-set SP known-uid-set ")"
    r.expect_char('(', "to open QRESYNC sequence match data");
    q.seq_match_seqs = detail::read_sequence_set(r, "known sequence set", false);
    r.expect_sp("the known UID set");
    q.seq_match_uids = detail::read_sequence_set(r, "known UID set", false);
    r.expect_char(')', "after QRESYNC sequence match data");
  }
  r.expect_char(')', "to close QRESYNC parameters");
  return q;
}

SelectArgs parse_select(Reader& r) {
  SelectArgs a;
  r.expect_sp("the mailbox name");
  a.mailbox = r.mailbox("mailbox name");
  if (!r.try_sp()) return a;
  r.expect_char('(', "to open SELECT parameters");
  while (!r.try_char(')')) {
    if (r.try_keyword("CONDSTORE")) a.condstore = true;
    else if (r.try_keyword("QRESYNC") && !a.qresync) a.qresync = parse_qresync(r);
    else r.fail("Unknown or repeated SELECT parameter");
    if (!r.peek_is(')')) r.expect_sp("the next SELECT parameter");
  }
  return a;
}

MailboxArgs parse_mailbox_only(Reader& r) {
  r.expect_sp("the mailbox name");
  return MailboxArgs{r.mailbox("mailbox name")};
}

CreateArgs parse_create(Reader& r) {
  CreateArgs a;
  r.expect_sp("the mailbox name");
  a.mailbox = r.mailbox("mailbox name");
  if (!r.try_sp()) return a;
  r.expect_char('(', "to open CREATE parameters");
  r.enter_paren();
  // RFC 6154 section 3: create-param =/ "USE" SP "(" [use-attr *(SP use-attr)] ")"
  if (!r.try_keyword("USE")) r.fail("Unknown CREATE parameter");
  r.expect_sp("the USE list");
  a.special_use = detail::read_flag_list(r, "special-use attribute");
  for (const auto& attr : a.special_use)
    if (attr.empty() || attr[0] != '\\') r.fail("Special-use attributes start with \"\\\"");
  r.expect_char(')', "to close CREATE parameters");
  r.leave_paren();
  return a;
}

RenameArgs parse_rename(Reader& r) {
  RenameArgs a;
  r.expect_sp("the mailbox name");
  a.from = r.mailbox("existing mailbox name");
  r.expect_sp("the new mailbox name");
  a.to = r.mailbox("new mailbox name");
  return a;
}

StatusItem read_status_item(Reader& r) {
  std::string name = r.atom_upper("status item");
  for (const auto& [item, text] : kStatusNames)
    if (name == text) return item;
  r.fail("Unknown status item");
}

std::vector<StatusItem> read_status_items(Reader& r) {
  std::vector<StatusItem> items;
  r.expect_char('(', "to open the status item list");
  do items.push_back(read_status_item(r));
  while (r.try_sp());
  r.expect_char(')', "to close the status item list");
  return items;
}

void read_list_select_options(Reader& r, ListArgs& a) {
  r.expect_char('(', "to open LIST selection options");
  while (!r.try_char(')')) {
    if (r.try_keyword("SUBSCRIBED")) a.select_subscribed = true;
    else if (r.try_keyword("REMOTE")) a.select_remote = true;
    else if (r.try_keyword("RECURSIVEMATCH")) a.select_recursive_match = true;
    else if (r.try_keyword("SPECIAL-USE")) a.select_special_use = true;
    else r.fail("Unknown LIST selection option");
    if (!r.peek_is(')')) r.expect_sp("the next selection option");
  }
  // RFC 5258 3.1: RECURSIVEMATCH alone (or with only REMOTE) is a BAD command.
  if (a.select_recursive_match && !a.select_subscribed && !a.select_special_use)
    r.fail("RECURSIVEMATCH needs another selection option");
}

void read_list_return_options(Reader& r, ListArgs& a) {
  if (!r.try_keyword("RETURN")) r.fail("Expected RETURN after the LIST patterns");
  r.expect_sp("the RETURN options");
  r.expect_char('(', "to open LIST return options");
  while (!r.try_char(')')) {
    if (r.try_keyword("SUBSCRIBED")) a.return_subscribed = true;
    else if (r.try_keyword("CHILDREN")) a.return_children = true;
    else if (r.try_keyword("SPECIAL-USE")) a.return_special_use = true;
    else if (r.try_keyword("STATUS") && !a.return_status) {
      r.expect_sp("the STATUS items");
      a.return_status = read_status_items(r);
    } else {
      r.fail("Unknown or repeated LIST return option");
    }
    if (!r.peek_is(')')) r.expect_sp("the next return option");
  }
}

ListArgs parse_list(Reader& r) {
  ListArgs a;
  r.expect_sp("the reference name");
  if (r.peek_is('(')) {
    read_list_select_options(r, a);
    a.extended = true;
    r.expect_sp("the reference name");
  }
  a.reference = r.astring("reference name");
  r.expect_sp("the mailbox pattern");
  if (r.try_char('(')) {  // RFC 5258: patterns = "(" list-mailbox *(SP list-mailbox) ")"
    a.extended = true;
    do a.patterns.push_back(r.list_mailbox("mailbox pattern"));
    while (r.try_sp());
    r.expect_char(')', "to close the pattern list");
  } else {
    a.patterns.push_back(r.list_mailbox("mailbox pattern"));
  }
  if (r.try_sp()) {
    read_list_return_options(r, a);
    a.extended = true;
  }
  return a;
}

ListArgs parse_lsub(Reader& r) {
  ListArgs a;
  r.expect_sp("the reference name");
  a.reference = r.astring("reference name");
  r.expect_sp("the mailbox pattern");
  a.patterns.push_back(r.list_mailbox("mailbox pattern"));
  return a;
}

StatusArgs parse_status(Reader& r) {
  StatusArgs a;
  r.expect_sp("the mailbox name");
  a.mailbox = r.mailbox("mailbox name");
  r.expect_sp("the status items");
  a.items = read_status_items(r);
  return a;
}

AppendMessage read_append_message(Context& c) {
  Reader& r = c.r;
  AppendMessage m;
  if (r.peek_is('(')) {
    m.flags = detail::read_flag_list(r, "message flag");
    r.expect_sp("the message");
  }
  if (r.peek_is('"')) {
    auto dt = parse_date_time(r.string("date-time"));
    if (!dt) r.fail("Invalid APPEND date-time: " + dt.error);
    m.internal_date = *dt;
    r.expect_sp("the message");
  }
  bool binary = false;
  c.append_literals.push_back(r.take_message_literal("the APPEND message", binary));
  return m;
}

AppendArgs parse_append(Context& c) {
  Reader& r = c.r;
  AppendArgs a;
  r.expect_sp("the mailbox name");
  a.mailbox = r.mailbox("mailbox name");
  // RFC 3502: append = "APPEND" SP mailbox 1*append-message; append-message = SP append-opts...
  do {
    if (a.messages.size() >= c.limits.max_append_messages) r.fail("Too many messages in one APPEND");
    r.expect_sp("the message");
    a.messages.push_back(read_append_message(c));
  } while (!r.at_end());
  return a;
}

ExpungeArgs parse_expunge(Reader& r, bool uid, bool allow_saved) {
  ExpungeArgs a;
  if (!uid) return a;
  r.expect_sp("the UID set");
  a.uids = detail::read_sequence_set(r, "UID set", allow_saved);
  return a;
}

CopyArgs parse_copy(Reader& r, bool allow_saved) {
  CopyArgs a;
  r.expect_sp("the message set");
  a.set = detail::read_sequence_set(r, "message set", allow_saved);
  r.expect_sp("the destination mailbox");
  a.mailbox = r.mailbox("destination mailbox");
  return a;
}

GetQuotaArgs parse_getquota(Reader& r) {
  r.expect_sp("the quota root");
  return GetQuotaArgs{r.astring("quota root")};
}

SetQuotaArgs parse_setquota(Reader& r) {
  SetQuotaArgs a;
  r.expect_sp("the quota root");
  a.root = r.astring("quota root");
  r.expect_sp("the resource list");
  r.expect_char('(', "to open the resource list");
  while (!r.try_char(')')) {  // RFC 9208: setquota-resource = resource-name SP number64
    std::string name = r.atom_upper("resource name");
    r.expect_sp("the resource limit");
    a.limits.emplace_back(std::move(name), r.number("resource limit", kMaxNumber64));
    if (!r.peek_is(')')) r.expect_sp("the next resource");
  }
  return a;
}

IdArgs parse_id(Reader& r) {
  // RFC 2971 3.3: at most 30 pairs; fields up to 30 octets, values up to 1024.
  IdArgs a;
  r.expect_sp("the ID parameter list");
  if (r.try_keyword("NIL")) {
    a.nil = true;
    return a;
  }
  r.expect_char('(', "to open the ID parameter list");
  while (!r.try_char(')')) {
    if (a.fields.size() >= 30) r.fail("ID has more than 30 fields");
    std::string field = r.string("ID field name");
    if (field.size() > 30) r.fail("ID field name longer than 30 octets");
    r.expect_sp("the ID field value");
    bool nil = false;
    std::string value = r.nstring_or_nil("ID field value", nil);
    if (value.size() > 1024) r.fail("ID field value longer than 1024 octets");
    a.fields.emplace_back(std::move(field), nil ? std::nullopt : std::optional(std::move(value)));
    if (!r.peek_is(')')) r.expect_sp("the next ID field");
  }
  return a;
}

CompressArgs parse_compress(Reader& r) {
  r.expect_sp("the compression algorithm");
  return CompressArgs{r.atom_upper("compression algorithm")};
}

CommandArgs parse_arguments(Context& c, CommandKind kind, bool uid) {
  Reader& r = c.r;
  bool saved = c.limits.allow_saved_result;
  if (takes_no_arguments(kind)) return NoArgs{};
  switch (kind) {
    case CommandKind::authenticate: return parse_authenticate(r);
    case CommandKind::login: return parse_login(r);
    case CommandKind::enable: return parse_enable(r);
    case CommandKind::select: case CommandKind::examine: return parse_select(r);
    case CommandKind::create: return parse_create(r);
    case CommandKind::delete_: case CommandKind::subscribe: case CommandKind::unsubscribe:
    case CommandKind::getquotaroot:
      return parse_mailbox_only(r);
    case CommandKind::rename: return parse_rename(r);
    case CommandKind::list: return parse_list(r);
    case CommandKind::lsub: return parse_lsub(r);
    case CommandKind::status: return parse_status(r);
    case CommandKind::append: return parse_append(c);
    case CommandKind::expunge: return parse_expunge(r, uid, saved);
    case CommandKind::search: return detail::parse_search(r, saved);
    case CommandKind::fetch: return detail::parse_fetch(r, uid, saved);
    case CommandKind::store: return detail::parse_store(r, saved);
    case CommandKind::copy: case CommandKind::move: return parse_copy(r, saved);
    case CommandKind::getquota: return parse_getquota(r);
    case CommandKind::setquota: return parse_setquota(r);
    case CommandKind::id: return parse_id(r);
    case CommandKind::compress: return parse_compress(r);
    default: r.fail("Command not handled by the parser");
  }
}

CommandKind read_command_name(Reader& r, bool& uid) {
  std::string name = r.atom_upper("command name");
  uid = name == "UID";
  if (uid) {
    r.expect_sp("the UID command");
    name = r.atom_upper("UID command name");
  }
  auto kind = command_kind_from_name(name);
  if (!kind) r.fail("Unknown command " + sanitize_text(name, 40));
  if (uid && !is_uid_command(*kind)) r.fail("UID is not valid with " + name);
  return *kind;
}

void fill_append_literals(AppendArgs& a, const RawCommand& raw, const std::vector<size_t>& index) {
  for (size_t i = 0; i < a.messages.size(); ++i) a.messages[i].message = raw.literals[index[i]];
}

void fill_append_literals(AppendArgs& a, RawCommand&& raw, const std::vector<size_t>& index) {
  for (size_t i = 0; i < a.messages.size(); ++i)
    a.messages[i].message = std::move(raw.literals[index[i]]);
}

template <class Raw>
ParseResult parse_impl(Raw&& raw, const ParseLimits& limits) {
  ReaderLimits rl{limits.max_tokens, limits.max_depth, limits.max_ranges, limits.max_inline_literal};
  std::optional<std::string> tag;
  try {
    Reader r(raw, rl);
    tag = r.tag();
    r.expect_sp("the command name");
    Command cmd;
    cmd.tag = *tag;
    cmd.kind = read_command_name(r, cmd.uid);
    Context c{r, limits, {}};
    cmd.args = parse_arguments(c, cmd.kind, cmd.uid);
    r.expect_end();
    if (auto* append = std::get_if<AppendArgs>(&cmd.args))
      fill_append_literals(*append, std::forward<Raw>(raw), c.append_literals);
    return ParseResult{std::move(cmd), std::nullopt};
  } catch (const SyntaxError& e) {
    return ParseResult{std::nullopt, ParseError{tag, sanitize_text(e.what())}};
  }
}

}  // namespace

namespace detail {

SequenceSet read_sequence_set(Reader& r, std::string_view what, bool allow_saved) {
  auto set = parse_sequence_set(r.seqset_text(what), allow_saved, r.limits().max_ranges);
  if (!set) r.fail(set.error + " in " + std::string(what));
  return std::move(*set);
}

// RFC 7162 section 7: mod-sequence-value = 1*DIGIT, 1 .. 2^63-1; valzer also allows 0.
uint64_t read_mod_sequence_value(Reader& r, std::string_view what) {
  if (r.peek_is('0')) r.fail("Mod-sequence must be positive in " + std::string(what));
  return r.number(what, kMaxNumber64);
}

uint64_t read_mod_sequence_valzer(Reader& r, std::string_view what) {
  return r.number(what, kMaxNumber64);
}

std::vector<std::string> read_flag_list(Reader& r, std::string_view what) {
  std::vector<std::string> flags;
  r.expect_char('(', "to open the flag list");
  while (!r.try_char(')')) {
    flags.push_back(r.flag(what));
    if (!r.peek_is(')')) r.expect_sp("the next flag");
  }
  return flags;
}

}  // namespace detail

std::string_view command_name(CommandKind kind) {
  for (const auto& [k, name] : kCommandNames)
    if (k == kind) return name;
  return "?";
}

std::optional<CommandKind> command_kind_from_name(std::string_view name) {
  for (const auto& [k, text] : kCommandNames)
    if (iequals(text, name)) return k;
  return std::nullopt;
}

std::string_view status_item_name(StatusItem item) {
  for (const auto& [i, name] : kStatusNames)
    if (i == item) return name;
  return "?";
}

std::string normalize_inbox(std::string_view name, char separator) {
  if (iequals(name, "INBOX")) return "INBOX";
  if (separator && name.size() > 5 && name[5] == separator && iequals(name.substr(0, 5), "INBOX"))
    return "INBOX" + std::string(name.substr(5));
  return std::string(name);
}

std::optional<std::string> read_tag(std::string_view first_line) {
  size_t n = 0;
  while (n < first_line.size() && is_astring_char(first_line[n]) && first_line[n] != '+') ++n;
  if (n == 0 || n >= first_line.size() || first_line[n] != ' ') return std::nullopt;
  return std::string(first_line.substr(0, n));
}

ParseResult parse_command(const RawCommand& raw, const ParseLimits& limits) {
  return parse_impl(raw, limits);
}

ParseResult parse_command(RawCommand&& raw, const ParseLimits& limits) {
  return parse_impl(std::move(raw), limits);
}

}  // namespace kurier::imap
