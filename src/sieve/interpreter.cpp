// execute(): runs a compiled Program against one message (RFC 5228 2.10: actions are
// collected while the script runs and handed to the caller at the end, so a runtime error
// leaves nothing half done).
//
// Implementation notes (keep these true when changing this file):
// - The implicit keep (RFC 5228 2.10.2) is cancelled by keep, fileinto, redirect and discard
//   without :copy (RFC 3894 3), and by reject/ereject (RFC 5429 2.1); vacation, notify and the
//   flag and header commands never cancel it.
// - Identical fileinto/redirect/keep/notify actions are done once (RFC 5228 2.10.3,
//   RFC 5435 3.8).
// - Tests see the header as editheader left it (RFC 5293 2); each delivery action carries the
//   header as it was when the action ran.
// - Match variables change only when a :matches or :regex test succeeds (RFC 5229 3.2).
// - Every command and test costs a step; every limit overrun is a runtime error.
#include <algorithm>
#include <map>
#include <set>

#include "common/strings.h"
#include "mime/envelope.h"
#include "mime/header.h"
#include "sieve/date.h"
#include "sieve/program.h"
#include "sieve/syntax.h"
#include "sieve/vacation.h"

namespace kurier::sieve {
namespace {

constexpr Position kNoPosition{0, 0};  // an error of the whole execution, not of one line

struct RuntimeError {
  Position pos;
  std::string message;
};

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

uint64_t fnv1a(std::string_view s) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
  return h;
}

struct ParsedAddress {
  std::string all, localpart, domain;
};

std::vector<ParsedAddress> addresses_in(std::string_view value) {
  std::vector<ParsedAddress> out;
  for (const mime::Address& a : mime::parse_address_list(value)) {
    if (!a.host || !a.mailbox) continue;  // group start or end
    std::string host = *a.host == "MISSING_DOMAIN" ? "" : *a.host;
    std::string local = *a.mailbox == "MISSING_MAILBOX" ? "" : *a.mailbox;
    out.push_back({host.empty() ? local : local + "@" + host, local, host});
  }
  return out;
}

ParsedAddress split_address(std::string_view address) {
  size_t at = address.rfind('@');
  if (at == std::string_view::npos) return {std::string(address), std::string(address), ""};
  return {std::string(address), std::string(address.substr(0, at)), std::string(address.substr(at + 1))};
}

class Interpreter {
 public:
  Interpreter(const Program& program, const Environment& env)
      : main_(program), env_(env), limits_(program.limits), header_(env.message().header()) {}

  Result run() {
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

 private:
  enum class Flow { next, stop, return_ };

  // One running script: its variables (RFC 6609 3.4: local unless declared global) and
  // match variables.
  struct Frame {
    const Program* program;
    std::string name;
    std::map<std::string, std::string> locals;
    std::set<std::string> globals;
    std::vector<std::string> match_vars;
    bool has(Extension e) const { return program->required.has(e); }
  };

  [[noreturn]] void fail(Position pos, std::string message) { throw RuntimeError{pos, std::move(message)}; }

  void step(const Node& n) {
    if (++steps_ > limits_.max_steps)
      fail(n.pos, "script ran too long (limit " + std::to_string(limits_.max_steps) + " steps)");
  }

  // ---- control flow ----

  Flow block(const std::vector<Node>& nodes, Frame& f) {
    for (const Node& n : nodes) {
      Flow flow = command(n, f);
      if (flow != Flow::next) return flow;
    }
    return Flow::next;
  }

  Flow command(const Node& n, Frame& f) {
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
  Flow include(const Node& n, Frame& f) {
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

  // ---- variables (RFC 5229) ----

  std::string* variable(const std::string& lower_name, Frame& f, bool create) {
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
  std::string expand(const Str& s, Frame& f, Position pos) {
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

  std::optional<std::string> reference(const std::string& name, Frame& f) {
    if (name.empty()) return std::nullopt;
    if (std::all_of(name.begin(), name.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      size_t n = name.size() > 2 ? 100 : std::stoul(name);
      return n < f.match_vars.size() ? f.match_vars[n] : std::string();
    }
    for (std::string_view part : split(name, '.'))
      if (!is_identifier(part)) return std::nullopt;
    std::string lower = to_lower(name);
    size_t dot = lower.find('.');
    if (dot != std::string::npos && lower.substr(0, dot) != "global") return std::nullopt;
    if (dot != std::string::npos && !f.has(Extension::include)) return std::nullopt;
    const std::string* v = variable(lower, f, false);
    return v ? *v : std::string();
  }

  std::vector<std::string> expand_list(const Value& v, Frame& f) {
    std::vector<std::string> out;
    for (const Str& s : v.strings) out.push_back(expand(s, f, v.pos));
    return out;
  }

  void set(const Node& n, Frame& f) {
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
  static std::string percent_encode(std::string_view s) {
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

  void store(const std::string& lower_name, std::string value, Frame& f, Position pos) {
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

  // ---- matching ----

  // Compares values against keys as the node's MatchSpec says. Sets match variables on a
  // successful :matches/:regex.
  bool match(const Node& n, const std::vector<std::string>& values, const Value& keys, Frame& f) {
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

  // ---- the message header, as editheader left it ----

  // RFC 5260 6: with :index only the Nth field of that name (from the end with :last).
  std::vector<std::string> header_values(std::string_view name, const MatchSpec& m, bool decode) {
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

  std::vector<std::string> all_header_values(std::string_view name) {
    return header_values(name, MatchSpec{}, false);
  }

  EditedHeader current_header() {
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

  // ---- tests ----

  bool test(const Node& n, Frame& f) {
    step(n);
    switch (n.kind) {
      case Kind::true_: return true;
      case Kind::false_: return false;
      case Kind::not_: return !test(n.tests[0], f);
      case Kind::allof:
        for (const Node& t : n.tests)
          if (!test(t, f)) return false;
        return true;
      case Kind::anyof:
        for (const Node& t : n.tests)
          if (test(t, f)) return true;
        return false;
      case Kind::header: {
        std::vector<std::string> values;
        for (const std::string& name : expand_list(n.args[0], f))
          for (std::string& v : header_values(name, n.match, true)) values.push_back(std::move(v));
        return match(n, values, n.args[1], f);
      }
      case Kind::address: return address_test(n, f);
      case Kind::envelope: return envelope_test(n, f);
      case Kind::exists:
        for (const std::string& name : expand_list(n.args[0], f))
          if (all_header_values(name).empty()) return false;
        return true;
      case Kind::size: {
        uint64_t size = env_.message().size();
        if (const Value* over = n.tag("over")) return size > over->number;
        return size < n.tag("under")->number;
      }
      case Kind::body: return body_test(n, f);
      case Kind::string: {
        std::vector<std::string> values = expand_list(n.args[0], f);
        // RFC 5229 5: with :count, empty strings are not counted.
        if (n.match.type == MatchType::count)
          values.erase(std::remove(values.begin(), values.end(), std::string()), values.end());
        return match(n, values, n.args[1], f);
      }
      case Kind::hasflag: return match(n, flags_of(n.args[0], f, n.pos), n.args[1], f);
      case Kind::date: case Kind::currentdate: return date_test(n, f);
      case Kind::mailboxexists:
        for (const std::string& name : expand_list(n.args[0], f))
          if (!env_.mailbox_exists(name)) return false;
        return true;
      case Kind::duplicate: return duplicate_test(n, f);
      case Kind::valid_notify_method:
        for (const std::string& uri : expand_list(n.args[0], f))
          if (!parse_mailto(uri)) return false;
        return true;
      case Kind::notify_method_capability: {
        // RFC 5436 2.3: for mailto, "online" is always "maybe".
        std::string uri = expand(n.args[0].strings[0], f, n.pos);
        std::string capability = expand(n.args[1].strings[0], f, n.pos);
        if (!parse_mailto(uri) || !iequals(capability, "online")) return false;
        return match(n, {"maybe"}, n.args[2], f);
      }
      default: fail(n.pos, "not a test");
    }
  }

  std::optional<std::string> address_part(const ParsedAddress& a, AddressPart part) {
    switch (part) {
      case AddressPart::all: return a.all;
      case AddressPart::localpart: return a.localpart;
      case AddressPart::domain: return a.domain;
      case AddressPart::user: case AddressPart::detail: {
        // RFC 5233 4: the user is the local part up to the first separator, the detail the
        // rest; without a separator there is no detail and :detail matches nothing.
        size_t sep = a.localpart.find_first_of(env_.subaddress_separators());
        if (part == AddressPart::user) return a.localpart.substr(0, sep);
        if (sep == std::string::npos) return std::nullopt;
        return a.localpart.substr(sep + 1);
      }
    }
    return std::nullopt;
  }

  bool address_test(const Node& n, Frame& f) {
    std::vector<std::string> values;
    for (const std::string& name : expand_list(n.args[0], f)) {
      for (const std::string& field : header_values(name, n.match, false)) {
        std::vector<ParsedAddress> addrs = addresses_in(field);
        if (addrs.empty() && !trim(field).empty()) addrs.push_back(split_address(trim(field)));
        for (const ParsedAddress& a : addrs)
          if (auto v = address_part(a, n.match.part)) values.push_back(mime::decode_encoded_words(*v));
      }
    }
    return match(n, values, n.args[1], f);
  }

  // RFC 5228 5.4: envelope "from" and "to" (and "auth", RFC 5228 leaves others open); the
  // null reverse-path is the empty string.
  bool envelope_test(const Node& n, Frame& f) {
    Envelope e = env_.envelope();
    std::vector<std::string> values;
    for (const std::string& part : expand_list(n.args[0], f)) {
      std::string address;
      if (iequals(part, "from")) address = e.from;
      else if (iequals(part, "to")) address = e.to;
      else if (iequals(part, "auth")) address = e.auth;
      else fail(n.pos, "unknown envelope part '" + part + "'");
      if (address.empty()) {
        if (iequals(part, "from") && n.match.part == AddressPart::all) values.emplace_back();
        continue;
      }
      if (auto v = address_part(split_address(address), n.match.part)) values.push_back(*v);
    }
    return match(n, values, n.args[1], f);
  }

  bool body_test(const Node& n, Frame& f) {
    BodyTransform t = BodyTransform::text;
    std::vector<std::string> types;
    if (n.has("raw")) t = BodyTransform::raw;
    if (const Value* c = n.tag("content")) {
      t = BodyTransform::content;
      types = expand_list(*c, f);
    }
    std::vector<std::string> texts = env_.message().body(t, types, limits_.max_match_size);
    // RFC 5173 5: the body is searched, not compared whole, for :is too it is the part text.
    return match(n, texts, n.args[0], f);
  }

  bool date_test(const Node& n, Frame& f) {
    bool current = n.kind == Kind::currentdate;
    const Value& part_arg = n.args[current ? 0 : 1];
    std::string part = expand(part_arg.strings[0], f, n.pos);
    if (!is_date_part(part)) return false;  // see compile.cpp check_date
    std::optional<int> zone;
    if (const Value* z = n.tag("zone")) {
      std::string zs = expand(z->strings[0], f, n.pos);
      zone = parse_zone(zs);
      if (!zone) fail(z->pos, "invalid time zone '" + zs + "'");
    }
    std::vector<std::string> values;
    std::vector<ZonedTime> times;
    if (current) {
      times.push_back(ZonedTime{env_.now(), env_.local_zone_minutes()});
    } else {
      std::string name = expand(n.args[0].strings[0], f, n.pos);
      for (const std::string& v : header_values(name, n.match, false)) {
        // RFC 5260 4.1: Received fields carry the date after the last ';'.
        std::string_view text = v;
        if (iequals(name, "received")) {
          size_t semi = text.rfind(';');
          if (semi != std::string_view::npos) text = text.substr(semi + 1);
        }
        if (auto t = parse_header_date(text)) times.push_back(*t);
      }
    }
    for (ZonedTime t : times) {
      if (zone) t.zone_minutes = *zone;
      else if (!current && !n.has("originalzone")) t.zone_minutes = env_.local_zone_minutes();
      values.push_back(date_part(t, part));
    }
    return match(n, values, n.args.back(), f);
  }

  // RFC 7352 3: duplicate [:handle] [:header / :uniqueid] [:seconds] [:last].
  bool duplicate_test(const Node& n, Frame& f) {
    std::string value;
    if (const Value* u = n.tag("uniqueid")) {
      value = expand(u->strings[0], f, n.pos);
    } else {
      std::string name = "Message-ID";
      if (const Value* h = n.tag("header")) name = expand(h->strings[0], f, n.pos);
      std::vector<std::string> values = all_header_values(name);
      if (values.empty()) return false;  // RFC 7352 3.1: nothing to track
      value = values.front();
      if (iequals(name, "Message-ID")) value = std::string(trim(value));
    }
    std::string handle;
    if (const Value* h = n.tag("handle")) handle = expand(h->strings[0], f, n.pos);
    std::string id = handle + std::string(1, '\0') + value;
    uint64_t period = limits_.duplicate_default_seconds;
    if (const Value* s = n.tag("seconds")) period = std::min(s->number, limits_.duplicate_max_seconds);
    bool seen_now = std::any_of(marks_.begin(), marks_.end(), [&](const DuplicateMark& m) { return m.id == id; });
    bool seen = seen_now || env_.duplicate_seen(id);
    // RFC 7352 3.4: with :last the period restarts at every sighting; without it only at the first.
    if (!seen_now && (!seen || n.has("last"))) marks_.push_back(DuplicateMark{id, period});
    return seen;
  }

  // ---- actions ----

  void add(Position pos, Action a) {
    if (actions_.size() >= limits_.max_actions)
      fail(pos, "too many actions (limit " + std::to_string(limits_.max_actions) + ")");
    actions_.push_back(std::move(a));
  }

  std::vector<std::string> flags_for(const Node& n, Frame& f) {
    if (const Value* flags = n.tag("flags")) {
      std::vector<std::string> out;
      for (const std::string& s : expand_list(*flags, f))
        for (std::string& flag : split_flags(s)) out.push_back(std::move(flag));
      return split_flags(join_flags(out));
    }
    return flags_;  // RFC 5232 3: the internal variable
  }

  void keep(const Node& n, Frame& f) {
    implicit_keep_ = false;
    std::vector<std::string> flags = flags_for(n, f);
    for (Action& a : actions_) {
      if (auto* k = std::get_if<Keep>(&a)) {  // RFC 5228 2.10.3: one keep; flags merge
        k->flags = split_flags(join_flags(k->flags) + " " + join_flags(flags));
        return;
      }
    }
    add(n.pos, Keep{std::move(flags), current_header(), false});
  }

  void fileinto(const Node& n, Frame& f) {
    std::string mailbox = expand(n.args[0].strings[0], f, n.pos);
    if (mailbox.empty()) fail(n.pos, "fileinto needs a mailbox name");
    bool copy = n.has("copy");
    if (!copy) implicit_keep_ = false;
    std::vector<std::string> flags = flags_for(n, f);
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

  void redirect(const Node& n, Frame& f) {
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
  void reject(const Node& n, Frame& f) {
    for (const Action& a : actions_)
      if (std::holds_alternative<Reject>(a)) fail(n.pos, "more than one reject");
    implicit_keep_ = false;
    add(n.pos, Reject{expand(n.args[0].strings[0], f, n.pos), n.kind == Kind::ereject});
  }

  std::vector<std::string> flags_of(const Value& variables, Frame& f, Position pos) {
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
  void flags_command(const Node& n, Frame& f) {
    std::vector<std::string> changes;
    for (const std::string& s : expand_list(n.args[1], f))
      for (std::string& flag : split_flags(s)) changes.push_back(std::move(flag));
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
  void addheader(const Node& n, Frame& f) {
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
  void deleteheader(const Node& n, Frame& f) {
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

  void edited(HeaderEdit e) {
    header_edited_ = true;
    edited_.reset();
    edits_.push_back(std::move(e));
  }

  void vacation(const Node& n, Frame& f) {
    for (const Action& a : actions_)
      if (std::holds_alternative<Vacation>(a)) fail(n.pos, "more than one vacation action");
    Vacation v;
    v.reason = expand(n.args[0].strings[0], f, n.pos);
    v.mime = n.has("mime");
    if (const Value* s = n.tag("subject")) v.subject = expand(s->strings[0], f, n.pos);
    if (const Value* from = n.tag("from")) v.from = expand(from->strings[0], f, n.pos);
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
  uint64_t vacation_period(const Node& n) {
    uint64_t seconds = limits_.vacation_default_days * 86400;
    if (const Value* d = n.tag("days"))
      seconds = d->number > limits_.vacation_max_seconds / 86400 ? limits_.vacation_max_seconds
                                                                  : std::max<uint64_t>(d->number, 1) * 86400;
    if (const Value* s = n.tag("seconds")) seconds = s->number;
    return std::clamp(seconds, limits_.vacation_min_seconds, limits_.vacation_max_seconds);
  }

  // RFC 5435 3: notify [:from] [:importance] [:options] [:message] <method>.
  void notify(const Node& n, Frame& f) {
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

  // ---- the end of the script ----

  void finish(Result& r) {
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
    r.actions = std::move(actions_);
    if (implicit_keep_) r.actions.push_back(Keep{flags_, current_header(), true});
    r.duplicate_marks = std::move(marks_);
    r.header_edits = std::move(edits_);
    r.flags = flags_;
  }

  const Program& main_;
  const Environment& env_;
  const Limits& limits_;
  std::vector<HeaderLine> header_;
  bool header_edited_ = false;
  EditedHeader edited_;
  std::vector<HeaderEdit> edits_;
  std::map<std::string, std::string> globals_;
  std::vector<std::string> flags_;
  std::vector<Action> actions_;
  std::vector<DuplicateMark> marks_;
  bool implicit_keep_ = true;
  size_t redirects_ = 0;
  uint64_t steps_ = 0;
  std::vector<std::string> include_stack_;
  std::set<std::string> included_;
  size_t include_count_ = 0;
  std::string error_prefix_;
};

}  // namespace

bool Result::delivers_nowhere() const {
  for (const Action& a : actions)
    if (std::holds_alternative<Keep>(a) || std::holds_alternative<FileInto>(a) || std::holds_alternative<Redirect>(a))
      return false;
  return true;
}

Result execute(const Program& program, const Environment& env) { return Interpreter(program, env).run(); }

}  // namespace kurier::sieve
