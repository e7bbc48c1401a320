// The Sieve actions (RFC 5228 4 and the extensions' commands): each records an Action, the
// flags, or a header edit, for the caller to perform once the script ends. See
// interpreter.cpp for the implementation notes (implicit keep, duplicates, header state).
#include <algorithm>

#include "common/strings.h"
#include "mime/header.h"
#include "sieve/interpreter.h"
#include "sieve/syntax.h"
#include "sieve/vacation.h"

namespace kurier::sieve::interp {
namespace {

// RFC 5293 / Pigeonhole: trace and auto-reply markers are never added or removed by a script.
bool protected_header(std::string_view name) {
  return iequals(name, "Received") || iequals(name, "Auto-Submitted");
}

std::vector<std::string> split_flags(std::string_view list) {
  std::vector<std::string> out;
  for (std::string_view f : split(list, ' ')) {
    if (f.empty()) continue;
    bool dup = std::any_of(out.begin(), out.end(), [&](const std::string& o) { return iequals(o, f); });
    if (!dup) out.emplace_back(f);
  }
  return out;
}

std::string join_flags(const std::vector<std::string>& flags) { return join(flags, " "); }

// RFC 5232 3 / RFC 3501 9: a flag is a system flag (not \Recent) or an atom; others are
// ignored when set or added, as Pigeonhole does.
bool is_valid_flag(std::string_view flag) {
  if (flag.empty()) return false;
  if (flag[0] == '\\') {
    static constexpr std::string_view system[] = {"\\Answered", "\\Flagged", "\\Deleted", "\\Seen", "\\Draft"};
    return std::any_of(std::begin(system), std::end(system), [&](std::string_view s) { return iequals(s, flag); });
  }
  for (unsigned char c : flag)
    if (c <= ' ' || c >= 0x7F || std::string_view("(){%*\"\\]").find(char(c)) != std::string_view::npos) return false;
  return true;
}

std::vector<std::string> valid_flags(std::vector<std::string> flags) {
  std::erase_if(flags, [](const std::string& f) { return !is_valid_flag(f); });
  return flags;
}

uint64_t fnv1a(std::string_view s) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
  return h;
}

}  // namespace

void Interpreter::add(Position pos, Action a) {
  if (actions_.size() >= limits_.max_actions)
    fail(pos, "too many actions (limit " + std::to_string(limits_.max_actions) + ")");
  actions_.push_back(std::move(a));
}

std::vector<std::string> Interpreter::flags_for(const Node& n, Frame& f) {
  if (const Value* flags = n.tag("flags")) {
    std::vector<std::string> out;
    for (const std::string& s : expand_list(*flags, f))
      for (std::string& flag : split_flags(s)) out.push_back(std::move(flag));
    return valid_flags(split_flags(join_flags(out)));
  }
  return flags_;  // RFC 5232 3: the internal variable
}

// RFC 5228 2.10.3: keep and fileinto "INBOX" file into the same mailbox, so they are one
// action; the flags of both are merged into the first.
bool Interpreter::merge_into_inbox(const std::vector<std::string>& flags) {
  for (Action& a : actions_) {
    std::vector<std::string>* existing = nullptr;
    if (auto* k = std::get_if<Keep>(&a)) existing = &k->flags;
    if (auto* fi = std::get_if<FileInto>(&a); fi && iequals(fi->mailbox, kInbox)) existing = &fi->flags;
    if (existing) {
      *existing = split_flags(join_flags(*existing) + " " + join_flags(flags));
      return true;
    }
  }
  return false;
}

void Interpreter::keep(const Node& n, Frame& f) {
  implicit_keep_ = false;
  std::vector<std::string> flags = flags_for(n, f);
  if (!merge_into_inbox(flags)) add(n.pos, Keep{std::move(flags), current_header(), false});
}

void Interpreter::fileinto(const Node& n, Frame& f) {
  std::string mailbox = expand(n.args[0].strings[0], f, n.pos);
  if (mailbox.empty()) fail(n.pos, "fileinto needs a mailbox name");
  bool copy = n.has("copy");
  if (!copy) implicit_keep_ = false;
  std::vector<std::string> flags = flags_for(n, f);
  if (iequals(mailbox, kInbox) && merge_into_inbox(flags)) return;
  for (Action& a : actions_) {
    if (auto* fi = std::get_if<FileInto>(&a); fi && fi->mailbox == mailbox) {
      fi->copy = fi->copy && copy;
      fi->create = fi->create || n.has("create");
      fi->flags = split_flags(join_flags(fi->flags) + " " + join_flags(flags));
      return;
    }
  }
  add(n.pos, FileInto{mailbox, std::move(flags), copy, n.has("create"), current_header()});
}

void Interpreter::redirect(const Node& n, Frame& f) {
  std::string address = std::string(trim(expand(n.args[0].strings[0], f, n.pos)));
  if (address.size() > 2 && address.front() == '<' && address.back() == '>')
    address = address.substr(1, address.size() - 2);
  if (!is_mail_address(address)) fail(n.pos, "invalid redirect address '" + address + "'");
  bool copy = n.has("copy");
  if (!copy) implicit_keep_ = false;
  for (Action& a : actions_) {
    if (auto* r = std::get_if<Redirect>(&a); r && iequals(r->address, address)) {
      r->copy = r->copy && copy;
      return;
    }
  }
  if (++redirects_ > limits_.max_redirects)
    fail(n.pos, "too many redirects (limit " + std::to_string(limits_.max_redirects) + ")");
  add(n.pos, Redirect{address, copy, current_header()});
}

// RFC 5429 2.1: at most one reject/ereject per execution; it cancels the implicit keep.
void Interpreter::reject(const Node& n, Frame& f) {
  for (const Action& a : actions_)
    if (std::holds_alternative<Reject>(a)) fail(n.pos, "more than one reject");
  implicit_keep_ = false;
  add(n.pos, Reject{expand(n.args[0].strings[0], f, n.pos), n.kind == Kind::ereject});
}

std::vector<std::string> Interpreter::flags_of(const Value& variables, Frame& f, Position pos) {
  if (variables.strings.empty()) return flags_;
  std::vector<std::string> out;
  for (const Str& name : variables.strings) {
    std::string lower = to_lower(expand(name, f, pos));
    if (!is_identifier(lower)) fail(pos, "invalid variable name '" + lower + "'");
    if (const std::string* v = variable(lower, f, false))
      for (std::string& flag : split_flags(*v)) out.push_back(std::move(flag));
  }
  return out;
}

// RFC 5232 3: setflag / addflag / removeflag on the internal variable or a named one.
void Interpreter::flags_command(const Node& n, Frame& f) {
  std::vector<std::string> changes;
  for (const std::string& s : expand_list(n.args[1], f))
    for (std::string& flag : split_flags(s)) changes.push_back(std::move(flag));
  if (n.kind != Kind::removeflag) changes = valid_flags(std::move(changes));
  std::vector<std::string> current;
  std::string var;
  if (!n.args[0].strings.empty()) {
    var = to_lower(expand(n.args[0].strings[0], f, n.pos));
    if (!is_identifier(var)) fail(n.pos, "invalid variable name '" + var + "'");
    if (const std::string* v = variable(var, f, false)) current = split_flags(*v);
  } else {
    current = flags_;
  }
  if (n.kind == Kind::setflag) {
    current = split_flags(join_flags(changes));
  } else if (n.kind == Kind::addflag) {
    current = split_flags(join_flags(current) + " " + join_flags(changes));
  } else {
    std::erase_if(current, [&](const std::string& flag) {
      return std::any_of(changes.begin(), changes.end(), [&](const std::string& c) { return iequals(c, flag); });
    });
  }
  if (var.empty()) flags_ = std::move(current);
  else store(var, join_flags(current), f, n.pos);
}

// RFC 5293 4: addheader [:last] <field-name> <value>; added at the top unless :last.
void Interpreter::addheader(const Node& n, Frame& f) {
  std::string name = expand(n.args[0].strings[0], f, n.pos);
  std::string value = expand(n.args[1].strings[0], f, n.pos);
  if (!is_header_name(name)) fail(n.pos, "invalid header name '" + name + "'");
  if (protected_header(name)) return;
  HeaderLine line{name, " " + encode_header_value(value)};
  if (n.has("last")) header_.push_back(line);
  else header_.insert(header_.begin(), line);
  edited(HeaderEdit{true, name, value});
}

// RFC 5293 5: deleteheader [:index n [:last]] [COMPARATOR] [MATCH-TYPE] <field-name>
// [<value-patterns>]: without patterns every field of that name goes.
void Interpreter::deleteheader(const Node& n, Frame& f) {
  std::string name = expand(n.args[0].strings[0], f, n.pos);
  if (!is_header_name(name)) fail(n.pos, "invalid header name '" + name + "'");
  if (protected_header(name)) return;
  std::vector<size_t> positions;
  for (size_t i = 0; i < header_.size(); ++i)
    if (iequals(header_[i].name, name)) positions.push_back(i);
  if (n.match.index) {
    if (*n.match.index > positions.size()) return;
    size_t pick = n.match.last ? positions.size() - *n.match.index : *n.match.index - 1;
    positions = {positions[pick]};
  }
  const Value& patterns = n.args[1];
  std::vector<size_t> doomed;
  for (size_t i : positions) {
    if (!patterns.strings.empty()) {
      std::vector<std::string> value{mime::decode_encoded_words(header_[i].value())};
      if (!match(n, value, patterns, f)) continue;
    }
    doomed.push_back(i);
  }
  for (auto it = doomed.rbegin(); it != doomed.rend(); ++it) {
    edited(HeaderEdit{false, header_[*it].name, header_[*it].value()});
    header_.erase(header_.begin() + std::ptrdiff_t(*it));
  }
}

void Interpreter::edited(HeaderEdit e) {
  header_edited_ = true;
  edited_.reset();
  edits_.push_back(std::move(e));
}

void Interpreter::vacation(const Node& n, Frame& f) {
  for (const Action& a : actions_)
    if (std::holds_alternative<Vacation>(a)) fail(n.pos, "more than one vacation action");
  Vacation v;
  v.reason = expand(n.args[0].strings[0], f, n.pos);
  v.mime = n.has("mime");
  if (const Value* s = n.tag("subject")) v.subject = expand(s->strings[0], f, n.pos);
  if (const Value* from = n.tag("from")) {
    v.from = expand(from->strings[0], f, n.pos);
    if (!is_mailbox(v.from)) fail(from->pos, "invalid :from address '" + v.from + "'");
  }
  if (const Value* h = n.tag("handle")) v.handle = expand(h->strings[0], f, n.pos);
  v.period_seconds = vacation_period(n);
  std::vector<std::string> subjects = header_values("Subject", MatchSpec{}, true);
  std::string original_subject = subjects.empty() ? "" : subjects.front();
  // RFC 5230 4.2: without :handle, replies with the same arguments share one memory.
  if (v.handle.empty())
    v.handle = "vacation-" + std::to_string(fnv1a(v.reason + '\0' + v.subject + '\0' + v.from + '\0' +
                                                  (v.mime ? "mime" : "")));
  // RFC 5230 4.5: a default subject of "Auto: " and the original subject.
  if (v.subject.empty()) v.subject = original_subject.empty() ? "Automatic reply" : "Auto: " + original_subject;
  std::vector<std::string> ids = all_header_values("Message-ID");
  if (!ids.empty()) v.in_reply_to = std::string(trim(ids.front()));
  std::vector<std::string> refs = all_header_values("References");
  v.references = std::string(trim((refs.empty() ? "" : refs.front() + " ") + v.in_reply_to));

  Envelope e = env_.envelope();
  v.to = e.from;
  VacationCheck check;
  check.sender = e.from;
  check.recipients = env_.user_addresses();
  if (!e.to.empty()) check.recipients.push_back(e.to);
  if (const Value* a = n.tag("addresses"))
    for (std::string& addr : expand_list(*a, f)) check.recipients.push_back(std::move(addr));
  check.header = [this](std::string_view name) { return all_header_values(name); };
  check.last_reply = env_.vacation_last_reply(e.from, v.handle);
  check.now = env_.now();
  check.period_seconds = v.period_seconds;
  VacationDecision d = decide_vacation(check);
  v.send = d.send;
  v.why_not = d.why_not;
  add(n.pos, std::move(v));
}

// RFC 5230 4.1 (:days, at least 1) and RFC 6131 (:seconds), within the site's limits.
uint64_t Interpreter::vacation_period(const Node& n) {
  uint64_t seconds = limits_.vacation_default_days * 86400;
  if (const Value* d = n.tag("days"))
    seconds = d->number > limits_.vacation_max_seconds / 86400 ? limits_.vacation_max_seconds
                                                                : std::max<uint64_t>(d->number, 1) * 86400;
  if (const Value* s = n.tag("seconds")) seconds = s->number;
  return std::clamp(seconds, limits_.vacation_min_seconds, limits_.vacation_max_seconds);
}

// RFC 5435 3: notify [:from] [:importance] [:options] [:message] <method>.
void Interpreter::notify(const Node& n, Frame& f) {
  Notify note;
  note.method = expand(n.args[0].strings[0], f, n.pos);
  if (!parse_mailto(note.method)) fail(n.pos, "invalid notification method '" + note.method + "'");
  if (const Value* from = n.tag("from")) {
    note.from = expand(from->strings[0], f, n.pos);
    if (!is_mail_address(note.from)) fail(n.pos, "invalid :from address '" + note.from + "'");
  }
  if (const Value* imp = n.tag("importance")) {
    std::string s = expand(imp->strings[0], f, n.pos);
    if (s != "1" && s != "2" && s != "3") fail(n.pos, "invalid importance '" + s + "'");
    note.importance = s[0] - '0';
  }
  if (const Value* o = n.tag("options")) note.options = expand_list(*o, f);
  if (const Value* m = n.tag("message")) {
    note.message = expand(m->strings[0], f, n.pos);
  } else {
    std::vector<std::string> from = header_values("From", MatchSpec{}, true);
    std::vector<std::string> subject = header_values("Subject", MatchSpec{}, true);
    note.message = (from.empty() ? "" : from.front()) + ": " + (subject.empty() ? "" : subject.front());
  }
  for (const Action& a : actions_)
    if (auto* other = std::get_if<Notify>(&a); other && other->method == note.method) return;
  add(n.pos, std::move(note));
}

}  // namespace kurier::sieve::interp
