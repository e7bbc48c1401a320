// execute(): runs a compiled Program against one message (RFC 5228 2.10: actions are
// collected while the script runs and handed to the caller at the end, so a runtime error
// leaves nothing half done).
//
// Implementation notes (keep these true when changing interpreter*.cpp):
// - The implicit keep (RFC 5228 2.10.2) is cancelled by keep, fileinto, redirect and discard
//   without :copy (RFC 3894 3), and by reject/ereject (RFC 5429 2.1); vacation, notify and the
//   flag and header commands never cancel it.
// - Identical fileinto/redirect/keep/notify actions are done once, and keep is fileinto
//   "INBOX" (RFC 5228 2.10.3, RFC 5435 3.8); merged actions merge their flags.
// - Tests see the header as editheader left it (RFC 5293 2); each delivery action carries the
//   header as it was when the action ran.
// - Match variables change only when a :matches or :regex test succeeds (RFC 5229 3.2).
// - Every command and test costs a step; every limit overrun is a runtime error.
#include "sieve/interpreter.h"

#include <algorithm>

#include "common/strings.h"
#include "mime/header.h"
#include "sieve/syntax.h"

namespace kurier::sieve {
namespace interp {

Result Interpreter::run() {
  Result r;
  try {
    Frame frame{&main_, "", {}, {}, {}};
    block(main_.commands, frame);
    finish(r);
  } catch (const RuntimeError& e) {
    r = Result{};
    r.error = error_prefix_ + (e.pos.line == 0 ? e.message : Diagnostic{e.pos, e.message}.to_string());
    r.actions.push_back(Keep{{}, nullptr, true});
  }
  return r;
}

Interpreter::Flow Interpreter::block(const std::vector<Node>& nodes, Frame& f) {
  for (const Node& n : nodes) {
    Flow flow = command(n, f);
    if (flow != Flow::next) return flow;
  }
  return Flow::next;
}

Interpreter::Flow Interpreter::command(const Node& n, Frame& f) {
  step(n);
  switch (n.kind) {
    case Kind::if_:
      for (size_t i = 0; i < n.blocks.size(); ++i) {
        if (i < n.tests.size() && !test(n.tests[i], f)) continue;
        return block(n.blocks[i], f);
      }
      return Flow::next;
    case Kind::stop: return Flow::stop;
    case Kind::return_: return Flow::return_;
    case Kind::include: return include(n, f);
    case Kind::global:
      for (const Str& s : n.args[0].strings) f.globals.insert(to_lower(expand(s, f, n.pos)));
      return Flow::next;
    case Kind::keep: keep(n, f); return Flow::next;
    case Kind::discard:
      implicit_keep_ = false;
      add(n.pos, Discard{});
      return Flow::next;
    case Kind::redirect: redirect(n, f); return Flow::next;
    case Kind::fileinto: fileinto(n, f); return Flow::next;
    case Kind::reject: case Kind::ereject: reject(n, f); return Flow::next;
    case Kind::vacation: vacation(n, f); return Flow::next;
    case Kind::setflag: case Kind::addflag: case Kind::removeflag: flags_command(n, f); return Flow::next;
    case Kind::set: set(n, f); return Flow::next;
    case Kind::addheader: addheader(n, f); return Flow::next;
    case Kind::deleteheader: deleteheader(n, f); return Flow::next;
    case Kind::notify: notify(n, f); return Flow::next;
    default: fail(n.pos, "not a command");
  }
}

// RFC 6609 3.2: include [LOCATION] [:once] [:optional] <value: string>.
Interpreter::Flow Interpreter::include(const Node& n, Frame& f) {
  IncludeLocation loc = n.has("global") ? IncludeLocation::global : IncludeLocation::personal;
  std::string name = expand(n.args[0].strings[0], f, n.pos);
  if (name.empty() || name.find('/') != std::string::npos) fail(n.pos, "invalid script name '" + name + "'");
  std::string key = std::string(loc == IncludeLocation::global ? "global:" : "personal:") + name;
  if (n.has("once") && included_.count(key)) return Flow::next;
  if (std::find(include_stack_.begin(), include_stack_.end(), key) != include_stack_.end())
    fail(n.pos, "include loop: script '" + name + "' includes itself");
  if (include_stack_.size() >= limits_.max_include_depth)
    fail(n.pos, "includes nested too deep (limit " + std::to_string(limits_.max_include_depth) + ")");
  if (++include_count_ > limits_.max_includes)
    fail(n.pos, "too many includes (limit " + std::to_string(limits_.max_includes) + ")");
  IncludedScript script = env_.include(loc, name);
  if (!script.program) {
    if (script.missing && n.has("optional")) return Flow::next;
    fail(n.pos, script.missing ? "included script '" + name + "' does not exist"
                               : "included script '" + name + "': " + script.error);
  }
  included_.insert(key);
  include_stack_.push_back(key);
  Frame child{script.program.get(), name, {}, {}, {}};
  Flow flow;
  try {
    flow = block(script.program->commands, child);
  } catch (const RuntimeError&) {
    if (error_prefix_.empty()) error_prefix_ = "in included script '" + name + "': ";
    throw;
  }
  include_stack_.pop_back();
  return flow == Flow::stop ? Flow::stop : Flow::next;  // "return" ends only the included script
}

std::string* Interpreter::variable(const std::string& lower_name, Frame& f, bool create) {
  bool global = f.globals.count(lower_name) != 0;
  std::string name = lower_name;
  if (lower_name.rfind("global.", 0) == 0) {
    global = true;
    name = lower_name.substr(7);
  }
  auto& map = global ? globals_ : f.locals;
  auto it = map.find(name);
  if (it != map.end()) return &it->second;
  if (!create) return nullptr;
  if (globals_.size() + f.locals.size() >= limits_.max_variables)
    throw RuntimeError{kNoPosition, "too many variables (limit " + std::to_string(limits_.max_variables) + ")"};
  return &map[name];
}

// Expands "${name}" and "${N}" references; unknown variables are empty, and a reference
// that is not well formed (or names an unknown namespace) stays as written (RFC 5229 3).
std::string Interpreter::expand(const Str& s, Frame& f, Position pos) {
  if (!s.dynamic) return s.text;
  const std::string& t = s.text;
  std::string out;
  size_t i = 0;
  while (i < t.size()) {
    size_t start = t.find("${", i);
    if (start == std::string::npos) break;
    out.append(t, i, start - i);
    size_t close = t.find('}', start + 2);
    std::string name = close == std::string::npos ? "" : t.substr(start + 2, close - start - 2);
    std::optional<std::string> value = reference(name, f);
    if (!value) {
      out += "${";
      i = start + 2;
      continue;
    }
    out += *value;
    i = close + 1;
    if (out.size() > limits_.max_string_size) fail(pos, "string too long after variable expansion");
  }
  out.append(t, std::min(i, t.size()), std::string::npos);
  if (out.size() > limits_.max_string_size) fail(pos, "string too long after variable expansion");
  return out;
}

std::optional<std::string> Interpreter::reference(const std::string& name, Frame& f) {
  if (name.empty()) return std::nullopt;
  if (std::all_of(name.begin(), name.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    size_t n = name.size() > 2 ? 100 : std::stoul(name);
    return n < f.match_vars.size() ? f.match_vars[n] : std::string();
  }
  for (std::string_view part : split(name, '.'))
    if (!is_identifier(part)) return std::nullopt;
  std::string lower = to_lower(name);
  size_t dot = lower.find('.');
  // A namespace other than "global" (RFC 6609 3.5, with include) holds nothing (as in
  // Pigeonhole, which expands it to "").
  bool global_ns = dot != std::string::npos && lower.compare(0, dot, "global") == 0 && lower.find('.', dot + 1) == std::string::npos;
  if (dot != std::string::npos && (!global_ns || !f.has(Extension::include))) return std::string();
  const std::string* v = variable(lower, f, false);
  return v ? *v : std::string();
}

std::vector<std::string> Interpreter::expand_list(const Value& v, Frame& f) {
  std::vector<std::string> out;
  for (const Str& s : v.strings) out.push_back(expand(s, f, v.pos));
  return out;
}

void Interpreter::set(const Node& n, Frame& f) {
  std::string value = expand(n.args[1].strings[0], f, n.pos);
  if (n.has("lower")) value = to_lower(value);
  if (n.has("upper")) value = to_upper(value);
  if (n.has("lowerfirst") && !value.empty()) value[0] = ascii_lower(value[0]);
  if (n.has("upperfirst") && !value.empty()) value[0] = ascii_upper(value[0]);
  if (n.has("quotewildcard")) {
    std::string q;
    for (char c : value) {
      if (c == '*' || c == '?' || c == '\\') q += '\\';
      q += c;
    }
    value = std::move(q);
  }
  if (n.has("encodeurl")) value = percent_encode(value);
  if (n.has("length")) value = std::to_string(utf8_length(value));
  store(to_lower(n.args[0].strings[0].text), std::move(value), f, n.pos);
}

// RFC 5435 6: :encodeurl percent-encodes all but the unreserved characters of RFC 3986.
std::string Interpreter::percent_encode(std::string_view s) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
        c == '_' || c == '~') {
      out += char(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

void Interpreter::store(const std::string& lower_name, std::string value, Frame& f, Position pos) {
  // RFC 5229 6: a value too long is truncated, not refused; cut at a character boundary.
  if (value.size() > limits_.max_variable_size) {
    size_t cut = limits_.max_variable_size;
    while (cut > 0 && (static_cast<unsigned char>(value[cut]) & 0xC0) == 0x80) --cut;
    value.resize(cut);
  }
  try {
    *variable(lower_name, f, true) = std::move(value);
  } catch (RuntimeError& e) {
    e.pos = pos;
    throw;
  }
}

// Compares values against keys as the node's MatchSpec says. Sets match variables on a
// successful :matches/:regex.
bool Interpreter::match(const Node& n, const std::vector<std::string>& values, const Value& keys, Frame& f) {
  const MatchSpec& m = n.match;
  std::vector<std::string> key_texts = expand_list(keys, f);
  if (m.type == MatchType::count) {
    std::string count = std::to_string(values.size());
    for (const std::string& k : key_texts)
      if (relation_holds(m.relation, compare(m.comparator, count, k))) return true;
    return false;
  }
  bool want_captures = f.has(Extension::variables);
  for (const std::string& raw : values) {
    std::string_view value = raw;
    if (value.size() > limits_.max_match_size) value = value.substr(0, limits_.max_match_size);
    for (size_t k = 0; k < key_texts.size(); ++k) {
      const std::string& key = key_texts[k];
      switch (m.type) {
        case MatchType::is:
          if (compare(m.comparator, value, key) == 0) return true;
          break;
        case MatchType::contains:
          if (contains(m.comparator, value, key)) return true;
          break;
        case MatchType::value:
          if (relation_holds(m.relation, compare(m.comparator, value, key))) return true;
          break;
        case MatchType::matches: {
          std::vector<std::string> caps;
          bool matched = false;
          try {
            matched = glob_match(m.comparator, value, key, want_captures ? &caps : nullptr);
          } catch (const MatchTooComplex&) {
            fail(keys.pos, "pattern '" + key.substr(0, 40) + "' too costly to match");
          }
          if (matched) {
            if (want_captures) f.match_vars = std::move(caps);
            return true;
          }
          break;
        }
        case MatchType::regex: {
          std::shared_ptr<const Regex> re = keys.strings[k].regex;
          if (!re) {
            std::string err;
            re = Regex::compile(key, m.comparator == Comparator::ascii_casemap, &err);
            if (!re) fail(keys.pos, "invalid regular expression '" + key + "': " + err);
          }
          std::vector<std::string> caps;
          if (re->search(value, want_captures ? &caps : nullptr)) {
            if (want_captures) f.match_vars = std::move(caps);
            return true;
          }
          break;
        }
        case MatchType::count: break;
      }
    }
  }
  return false;
}

// RFC 5260 6: with :index only the Nth field of that name (from the end with :last).
std::vector<std::string> Interpreter::header_values(std::string_view name, const MatchSpec& m, bool decode) {
  std::vector<std::string> out;
  for (const HeaderLine& h : header_)
    if (iequals(h.name, name)) out.push_back(decode ? mime::decode_encoded_words(h.value()) : h.value());
  if (m.index) {
    if (*m.index > out.size()) return {};
    size_t i = m.last ? out.size() - *m.index : *m.index - 1;
    return {out[i]};
  }
  return out;
}

std::vector<std::string> Interpreter::all_header_values(std::string_view name) {
  return header_values(name, MatchSpec{}, false);
}

EditedHeader Interpreter::current_header() {
  if (!header_edited_) return nullptr;
  if (!edited_) {
    std::string block;
    for (const HeaderLine& h : header_) {
      block += h.name + ":";
      for (size_t i = 0; i < h.raw_value.size(); ++i) {  // folds of a bare-LF message get CRLF
        if (h.raw_value[i] == '\n' && (i == 0 || h.raw_value[i - 1] != '\r')) block += '\r';
        block += h.raw_value[i];
      }
      block += "\r\n";
    }
    block += "\r\n";
    edited_ = std::make_shared<const std::string>(std::move(block));
  }
  return edited_;
}

void Interpreter::finish(Result& r) {
  bool has_reject = false, delivers = false, has_vacation = false;
  for (const Action& a : actions_) {
    has_reject |= std::holds_alternative<Reject>(a);
    has_vacation |= std::holds_alternative<Vacation>(a);
    delivers |= std::holds_alternative<Keep>(a) || std::holds_alternative<FileInto>(a) ||
                std::holds_alternative<Redirect>(a);
  }
  // RFC 5429 2.1: reject is incompatible with vacation; like Pigeonhole, kurier also refuses
  // a reject next to keep, fileinto or redirect (even :copy; the RFC allows refusing it)
  // rather than both bounce and deliver.
  if (has_reject && has_vacation) fail(kNoPosition, "reject cannot be combined with vacation");
  if (has_reject && delivers) fail(kNoPosition, "reject cannot be combined with keep, fileinto or redirect");
  // The implicit keep is a keep too: after a fileinto :copy "INBOX" it only adds its flags.
  if (implicit_keep_ && !merge_into_inbox(flags_)) actions_.push_back(Keep{flags_, current_header(), true});
  r.actions = std::move(actions_);
  r.duplicate_marks = std::move(marks_);
  r.header_edits = std::move(edits_);
  r.flags = flags_;
}

}  // namespace interp

bool Result::delivers_nowhere() const {
  for (const Action& a : actions)
    if (std::holds_alternative<Keep>(a) || std::holds_alternative<FileInto>(a) || std::holds_alternative<Redirect>(a))
      return false;
  return true;
}

Result execute(const Program& program, const Environment& env) { return interp::Interpreter(program, env).run(); }

}  // namespace kurier::sieve
