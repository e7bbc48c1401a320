// compile(): turns the syntax tree into a Program, checking everything that can be checked
// before a message arrives (RFC 5228 2.10.5: errors in a script are found when it is
// uploaded, not at delivery). Each command and test is described by a Spec: its extension,
// its tags (with their argument types and the extension each needs), its positional
// arguments, and whether it takes a test, a test list or a block.
#include <algorithm>
#include <array>

#include "common/strings.h"
#include "sieve/parser.h"
#include "sieve/program.h"
#include "sieve/syntax.h"

// The spec table below leaves trailing members defaulted on purpose: most commands have no tags.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

namespace kurier::sieve {
namespace {

using ast::Argument;
using E = Extension;

enum class ArgType { none, string, string_list, number };

struct TagSpec {
  std::string_view name;
  ArgType arg = ArgType::none;
  std::optional<Extension> ext;
};

// Argument groups shared by many tests (RFC 5228 2.7).
enum Feature : unsigned {
  kComparator = 1, kMatchType = 2, kAddressPart = 4, kIndex = 8,
};

struct Spec {
  std::string_view name;
  Kind kind;
  bool is_test = false;
  std::optional<Extension> ext;
  unsigned features = 0;
  std::vector<TagSpec> tags;
  std::vector<std::pair<ArgType, std::string_view>> args;  // type and what it is, for errors
  enum class Optional { none, first, last } optional = Optional::none;
  enum class Tests { none, one, list } tests = Tests::none;
  bool block = false;
};

const TagSpec kMatchTags[] = {
    {"is"}, {"contains"}, {"matches"}, {"regex", ArgType::none, E::regex},
    {"value", ArgType::string, E::relational}, {"count", ArgType::string, E::relational}};
const TagSpec kPartTags[] = {{"all"}, {"localpart"}, {"domain"}, {"user", ArgType::none, E::subaddress},
                             {"detail", ArgType::none, E::subaddress}};

const std::vector<Spec>& specs() {
  using O = Spec::Optional;
  using T = Spec::Tests;
  constexpr auto S = ArgType::string;
  constexpr auto L = ArgType::string_list;
  constexpr auto N = ArgType::number;
  constexpr auto none = ArgType::none;
  static const std::vector<Spec> table = {
      // RFC 5228 3: control commands ("require", "elsif" and "else" are handled apart)
      {"if", Kind::if_, false, {}, 0, {}, {}, O::none, T::one, true},
      {"stop", Kind::stop},
      // RFC 5228 4: actions
      {"keep", Kind::keep, false, {}, 0, {{"flags", L, E::imap4flags}}},
      {"discard", Kind::discard},
      {"redirect", Kind::redirect, false, {}, 0, {{"copy", none, E::copy}}, {{S, "address"}}},
      {"fileinto", Kind::fileinto, false, E::fileinto, 0,
       {{"copy", none, E::copy}, {"flags", L, E::imap4flags}, {"create", none, E::mailbox}}, {{S, "mailbox"}}},
      {"reject", Kind::reject, false, E::reject, 0, {}, {{S, "reason"}}},
      {"ereject", Kind::ereject, false, E::ereject, 0, {}, {{S, "reason"}}},
      {"vacation", Kind::vacation, false, E::vacation, 0,
       {{"days", N}, {"seconds", N, E::vacation_seconds}, {"subject", S}, {"from", S}, {"addresses", L},
        {"mime"}, {"handle", S}},
       {{S, "reason"}}},
      {"setflag", Kind::setflag, false, E::imap4flags, 0, {}, {{S, "variable name"}, {L, "flags"}}, O::first},
      {"addflag", Kind::addflag, false, E::imap4flags, 0, {}, {{S, "variable name"}, {L, "flags"}}, O::first},
      {"removeflag", Kind::removeflag, false, E::imap4flags, 0, {}, {{S, "variable name"}, {L, "flags"}}, O::first},
      {"set", Kind::set, false, E::variables, 0,
       {{"lower"}, {"upper"}, {"lowerfirst"}, {"upperfirst"}, {"quotewildcard"}, {"length"},
        {"encodeurl", none, E::enotify}},
       {{S, "name"}, {S, "value"}}},
      {"addheader", Kind::addheader, false, E::editheader, 0, {{"last"}}, {{S, "field name"}, {S, "value"}}},
      {"deleteheader", Kind::deleteheader, false, E::editheader, kComparator | kMatchType | kIndex, {},
       {{S, "field name"}, {L, "value patterns"}}, O::last},
      {"notify", Kind::notify, false, E::enotify, 0,
       {{"from", S}, {"importance", S}, {"options", L}, {"message", S}}, {{S, "method"}}},
      {"include", Kind::include, false, E::include, 0,
       {{"personal"}, {"global"}, {"once"}, {"optional"}}, {{S, "script name"}}},
      {"return", Kind::return_, false, E::include},
      {"global", Kind::global, false, E::include, 0, {}, {{L, "variable names"}}},
      // RFC 5228 5: tests
      {"true", Kind::true_, true},
      {"false", Kind::false_, true},
      {"not", Kind::not_, true, {}, 0, {}, {}, O::none, T::one},
      {"allof", Kind::allof, true, {}, 0, {}, {}, O::none, T::list},
      {"anyof", Kind::anyof, true, {}, 0, {}, {}, O::none, T::list},
      {"address", Kind::address, true, {}, kComparator | kMatchType | kAddressPart | kIndex, {},
       {{L, "header list"}, {L, "key list"}}},
      {"envelope", Kind::envelope, true, E::envelope, kComparator | kMatchType | kAddressPart, {},
       {{L, "envelope parts"}, {L, "key list"}}},
      {"header", Kind::header, true, {}, kComparator | kMatchType | kIndex, {},
       {{L, "header names"}, {L, "key list"}}},
      {"exists", Kind::exists, true, {}, 0, {}, {{L, "header names"}}},
      {"size", Kind::size, true, {}, 0, {{"over", N}, {"under", N}}},
      {"body", Kind::body, true, E::body, kComparator | kMatchType,
       {{"raw"}, {"content", L}, {"text"}}, {{L, "key list"}}},
      {"string", Kind::string, true, E::variables, kComparator | kMatchType, {},
       {{L, "source"}, {L, "key list"}}},
      {"hasflag", Kind::hasflag, true, E::imap4flags, kComparator | kMatchType, {},
       {{L, "variable list"}, {L, "flags"}}, O::first},
      {"date", Kind::date, true, E::date, kComparator | kMatchType | kIndex,
       {{"zone", S}, {"originalzone"}}, {{S, "header name"}, {S, "date part"}, {L, "key list"}}},
      {"currentdate", Kind::currentdate, true, E::date, kComparator | kMatchType, {{"zone", S}},
       {{S, "date part"}, {L, "key list"}}},
      {"mailboxexists", Kind::mailboxexists, true, E::mailbox, 0, {}, {{L, "mailbox names"}}},
      {"duplicate", Kind::duplicate, true, E::duplicate, 0,
       {{"handle", S}, {"header", S}, {"uniqueid", S}, {"seconds", N}, {"last"}}},
      {"valid_notify_method", Kind::valid_notify_method, true, E::enotify, 0, {}, {{L, "notification URIs"}}},
      {"notify_method_capability", Kind::notify_method_capability, true, E::enotify, kComparator | kMatchType, {},
       {{S, "notification URI"}, {S, "capability"}, {L, "key list"}}},
  };
  return table;
}

const Spec* find_spec(std::string_view name) {
  for (const Spec& s : specs())
    if (s.name == name) return &s;
  return nullptr;
}

std::string quoted(std::string_view s) { return "'" + std::string(s) + "'"; }

class Compiler {
 public:
  Compiler(const ExtensionSet& allowed, const Limits& limits) : allowed_(allowed) { program_->limits = limits; }

  CompileResult run(std::vector<ast::Command>& commands) {
    program_->commands = command_list(commands, true);
    CompileResult r;
    if (errors_.empty()) r.program = std::move(program_);
    r.errors = std::move(errors_);
    return r;
  }

 private:
  void error(Position pos, std::string message) { errors_.push_back(Diagnostic{pos, std::move(message)}); }
  bool required(Extension e) const { return program_->required.has(e); }
  std::string needs(Extension e) const { return "require \"" + std::string(extension_name(e)) + "\""; }

  std::vector<Node> command_list(std::vector<ast::Command>& commands, bool top) {
    std::vector<Node> out;
    bool requires_allowed = top;
    for (size_t i = 0; i < commands.size(); ++i) {
      ast::Command& c = commands[i];
      if (c.name == "require") {
        if (!requires_allowed) error(c.pos, "'require' must come before any other command");
        else require(c);
        continue;
      }
      requires_allowed = false;
      if (c.name == "elsif" || c.name == "else") {
        error(c.pos, quoted(c.name) + " without a preceding 'if'");
        continue;
      }
      if (c.name == "if") {
        out.push_back(if_chain(commands, i));
        continue;
      }
      if (auto node = command(c)) out.push_back(std::move(*node));
    }
    return out;
  }

  // RFC 5228 3.2: require <capabilities: string-list>.
  void require(ast::Command& c) {
    if (c.args.size() != 1 || c.args[0].kind != Argument::Kind::strings || !c.tests.empty() || c.has_block) {
      error(c.pos, "'require' takes one string list");
      return;
    }
    for (const std::string& name : c.args[0].strings) {
      if (name == "comparator-i;octet" || name == "comparator-i;ascii-casemap") continue;
      auto ext = extension_from_name(name);
      if (!ext || !allowed_.has(*ext)) {
        error(c.args[0].pos, "unsupported extension " + quoted(name));
        continue;
      }
      program_->required.enable(*ext);
    }
  }

  // if / elsif / else (RFC 5228 3.1) become one node: a test and a block per branch, plus
  // the else block.
  Node if_chain(std::vector<ast::Command>& commands, size_t& i) {
    Node node;
    node.kind = Kind::if_;
    node.pos = commands[i].pos;
    while (true) {
      ast::Command& c = commands[i];
      bool is_else = c.name == "else";
      if (!c.args.empty()) error(c.args[0].pos, quoted(c.name) + " takes no arguments");
      if (is_else ? !c.tests.empty() : (c.tests.size() != 1 || c.test_list))
        error(c.pos, is_else ? "'else' takes no test" : quoted(c.name) + " needs exactly one test");
      else if (!is_else)
        node.tests.push_back(test(c.tests[0]));
      if (!c.has_block) error(c.pos, quoted(c.name) + " needs a block");
      node.blocks.push_back(command_list(c.block, false));
      if (is_else || i + 1 >= commands.size()) break;
      const std::string& next = commands[i + 1].name;
      if (next != "elsif" && next != "else") break;
      ++i;
    }
    return node;
  }

  const Spec* spec_for(const std::string& name, Position pos, bool want_test) {
    const Spec* spec = find_spec(name);
    if (!spec) {
      error(pos, "unknown " + std::string(want_test ? "test " : "command ") + quoted(name));
      return nullptr;
    }
    if (spec->is_test != want_test) {
      error(pos, quoted(name) + (want_test ? " is a command, not a test" : " is a test, not a command"));
      return nullptr;
    }
    if (spec->ext && !required(*spec->ext)) {
      error(pos, quoted(name) + " needs " + needs(*spec->ext));
      return nullptr;
    }
    return spec;
  }

  std::optional<Node> command(ast::Command& c) {
    const Spec* spec = spec_for(c.name, c.pos, false);
    if (!spec) return std::nullopt;
    Node node;
    node.kind = spec->kind;
    node.pos = c.pos;
    if (!c.tests.empty()) error(c.pos, quoted(c.name) + " takes no test");
    if (c.has_block) error(c.pos, quoted(c.name) + " takes no block");
    size_t before = errors_.size();
    arguments(*spec, c.args, c.pos, node);
    if (errors_.size() == before) check(node, c.name);
    if (errors_.size() != before) return std::nullopt;
    return node;
  }

  Node test(ast::Test& t) {
    Node node;
    node.pos = t.pos;
    const Spec* spec = spec_for(t.name, t.pos, true);
    if (!spec) return node;
    node.kind = spec->kind;
    if (spec->tests == Spec::Tests::none && !t.tests.empty()) error(t.pos, quoted(t.name) + " takes no test");
    if (spec->tests == Spec::Tests::one && (t.tests.size() != 1 || t.test_list))
      error(t.pos, quoted(t.name) + " needs exactly one test");
    if (spec->tests == Spec::Tests::list && !t.test_list)
      error(t.pos, quoted(t.name) + " needs a test list in parentheses");
    for (ast::Test& child : t.tests) node.tests.push_back(test(child));
    size_t before = errors_.size();
    arguments(*spec, t.args, t.pos, node);
    if (errors_.size() == before) check(node, t.name);
    return node;
  }

  Str make_str(const std::string& text, Position pos) {
    Str s;
    s.text = text;
    if (required(E::encoded_character)) {
      std::string err;
      if (auto decoded = decode_encoded_characters(text, &err)) s.text = std::move(*decoded);
      else error(pos, err);
    }
    s.dynamic = required(E::variables) && s.text.find("${") != std::string::npos;
    return s;
  }

  Value make_value(const Argument& a) {
    Value v;
    v.pos = a.pos;
    if (a.kind == Argument::Kind::number) {
      v.is_number = true;
      v.number = a.number;
    } else {
      for (const std::string& s : a.strings) v.strings.push_back(make_str(s, a.pos));
    }
    return v;
  }

  bool type_ok(ArgType want, const Argument& a) {
    switch (want) {
      case ArgType::none: return false;
      case ArgType::number: return a.kind == Argument::Kind::number;
      case ArgType::string: return a.kind == Argument::Kind::strings && !a.bracketed;
      case ArgType::string_list: return a.kind == Argument::Kind::strings;
    }
    return false;
  }
  static std::string_view type_name(ArgType t) {
    switch (t) {
      case ArgType::number: return "a number";
      case ArgType::string: return "a string";
      case ArgType::string_list: return "a string list";
      default: return "nothing";
    }
  }
  static std::string_view found_name(const Argument& a) {
    if (a.kind == Argument::Kind::number) return "a number";
    if (a.kind == Argument::Kind::tag) return "a tag";
    return a.bracketed ? "a string list" : "a string";
  }

  // Tags first (in any order), then the positional arguments (RFC 5228 2.6.3).
  void arguments(const Spec& spec, std::vector<Argument>& args, Position pos, Node& node) {
    std::string name(spec.name);
    size_t i = 0;
    std::optional<std::string> match_tag, part_tag, comparator_tag;
    for (; i < args.size() && args[i].kind == Argument::Kind::tag; ++i) {
      const Argument& a = args[i];
      const TagSpec* ts = find_tag(spec, a.tag);
      if (!ts) {
        error(a.pos, "unknown tag " + quoted(":" + a.tag) + " for " + quoted(name));
        continue;
      }
      if (ts->ext && !required(*ts->ext)) {
        error(a.pos, "tag " + quoted(":" + a.tag) + " needs " + needs(*ts->ext));
        continue;
      }
      std::optional<Value> value;
      if (ts->arg != ArgType::none) {
        if (i + 1 >= args.size() || !type_ok(ts->arg, args[i + 1])) {
          error(a.pos, "tag " + quoted(":" + a.tag) + " needs " + std::string(type_name(ts->arg)) + " after it");
          continue;
        }
        value = make_value(args[++i]);
      }
      if (!tag_group(spec, a, value, node, match_tag, part_tag, comparator_tag)) {
        if (node.has(a.tag)) error(a.pos, "tag " + quoted(":" + a.tag) + " given twice");
        Value v = value ? std::move(*value) : Value{a.pos};
        node.tags.emplace_back(a.tag, std::move(v));
      }
    }
    size_t given = args.size() - i;
    size_t wanted = spec.args.size();
    size_t minimum = spec.optional == Spec::Optional::none ? wanted : wanted - 1;
    if (given < minimum || given > wanted) {
      std::string expected = minimum == wanted ? std::to_string(wanted)
                                               : std::to_string(minimum) + " or " + std::to_string(wanted);
      error(i < args.size() ? args[i].pos : pos, quoted(name) + " takes " + expected + " argument" +
                                                     (wanted == 1 ? "" : "s") + " but has " + std::to_string(given));
      return;
    }
    size_t skip_first = (spec.optional == Spec::Optional::first && given < wanted) ? 1 : 0;
    if (spec.optional == Spec::Optional::first && given == wanted && !required(E::variables)) {
      error(args[i].pos, quoted(name) + " with a variable name needs " + needs(E::variables));
      return;
    }
    for (size_t k = 0; k < given; ++k) {
      const Argument& a = args[i + k];
      const auto& [type, what] = spec.args[k + skip_first];
      if (!type_ok(type, a)) {
        if (a.kind == Argument::Kind::tag) error(a.pos, "unknown tag " + quoted(":" + a.tag) + " for " + quoted(name) + " (tags come before the other arguments)");
        else error(a.pos, quoted(name) + " expects " + std::string(type_name(type)) + " as " + std::string(what) + " but found " + std::string(found_name(a)));
        continue;
      }
      node.args.push_back(make_value(a));
    }
    // Leave every optional argument present, empty, so the interpreter indexes them alike.
    if (skip_first) node.args.insert(node.args.begin(), Value{pos});
    if (spec.optional == Spec::Optional::last && given < wanted) node.args.push_back(Value{pos});
  }

  const TagSpec* find_tag(const Spec& spec, std::string_view tag) {
    for (const TagSpec& t : spec.tags)
      if (t.name == tag) return &t;
    static const TagSpec comparator{"comparator", ArgType::string};
    static const TagSpec index{"index", ArgType::number, E::index};
    static const TagSpec last{"last", ArgType::none, E::index};
    if ((spec.features & kComparator) && tag == "comparator") return &comparator;
    if (spec.features & kMatchType)
      for (const TagSpec& t : kMatchTags)
        if (t.name == tag) return &t;
    if (spec.features & kAddressPart)
      for (const TagSpec& t : kPartTags)
        if (t.name == tag) return &t;
    if ((spec.features & kIndex) && tag == "index") return &index;
    if ((spec.features & kIndex) && tag == "last") return &last;
    return nullptr;
  }

  // Comparator, match type, address part and index tags go into node.match. False for any
  // other tag.
  bool tag_group(const Spec& spec, const Argument& a, const std::optional<Value>& value, Node& node,
                 std::optional<std::string>& match_tag, std::optional<std::string>& part_tag,
                 std::optional<std::string>& comparator_tag) {
    MatchSpec& m = node.match;
    auto once = [&](std::optional<std::string>& seen, std::string_view what) {
      if (seen) error(a.pos, "only one " + std::string(what) + " allowed (found :" + *seen + " and :" + a.tag + ")");
      seen = a.tag;
    };
    if ((spec.features & kComparator) && a.tag == "comparator") {
      once(comparator_tag, "comparator");
      const std::string& name = value->strings[0].text;
      auto c = comparator_from_name(name);
      if (!c) error(value->pos, "unknown comparator " + quoted(name));
      else if (*c == Comparator::ascii_numeric && !required(E::comparator_numeric))
        error(value->pos, "comparator 'i;ascii-numeric' needs " + needs(E::comparator_numeric));
      else m.comparator = *c;
      return true;
    }
    if (spec.features & kMatchType) {
      static constexpr std::pair<std::string_view, MatchType> types[] = {
          {"is", MatchType::is}, {"contains", MatchType::contains}, {"matches", MatchType::matches},
          {"regex", MatchType::regex}, {"value", MatchType::value}, {"count", MatchType::count}};
      for (const auto& [n, t] : types) {
        if (a.tag != n) continue;
        once(match_tag, "match type");
        m.type = t;
        if (value) {
          auto r = relation_from_name(value->strings[0].text);
          if (!r) error(value->pos, "unknown relational operator " + quoted(value->strings[0].text));
          else m.relation = *r;
        }
        return true;
      }
    }
    if (spec.features & kAddressPart) {
      static constexpr std::pair<std::string_view, AddressPart> parts[] = {
          {"all", AddressPart::all}, {"localpart", AddressPart::localpart}, {"domain", AddressPart::domain},
          {"user", AddressPart::user}, {"detail", AddressPart::detail}};
      for (const auto& [n, p] : parts) {
        if (a.tag != n) continue;
        once(part_tag, "address part");
        m.part = p;
        return true;
      }
    }
    if (spec.features & kIndex) {
      if (a.tag == "index") {
        if (m.index) error(a.pos, "tag ':index' given twice");
        if (value->number == 0) error(value->pos, ":index counts from 1");
        m.index = value->number;
        return true;
      }
      if (a.tag == "last") {
        m.last = true;
        return true;
      }
    }
    return false;
  }

  // ---- per-command checks of constant arguments ----

  void check(Node& node, const std::string& name) {
    check_match(node, name);
    switch (node.kind) {
      case Kind::fileinto: check_constant(node.args[0], [](std::string_view s) { return !s.empty(); }, "empty mailbox name"); break;
      case Kind::redirect: check_constant(node.args[0], is_mail_address, "invalid redirect address"); break;
      case Kind::header: case Kind::exists:
        check_constant(node.args[0], is_header_name, "invalid header name");
        break;
      case Kind::address:  // RFC 5228 5.1: "MUST restrict the address test to headers that contain addresses"
        check_constant(node.args[0], is_address_header, "not an address header:");
        break;
      case Kind::date:
        check_constant(node.args[0], is_header_name, "invalid header name");
        check_date(node);
        break;
      case Kind::currentdate: check_date(node); break;
      case Kind::deleteheader: case Kind::addheader:
        check_constant(node.args[0], is_header_name, "invalid header name");
        break;
      case Kind::envelope:
        check_constant(node.args[0], [](std::string_view p) {
          return iequals(p, "from") || iequals(p, "to") || iequals(p, "auth"); }, "unknown envelope part");
        break;
      case Kind::size:
        if (node.has("over") == node.has("under")) error(node.pos, "'size' needs exactly one of :over and :under");
        break;
      case Kind::body:
        if (int(node.has("raw")) + int(node.has("content")) + int(node.has("text")) > 1)
          error(node.pos, "only one body transform allowed (:raw, :content, :text)");
        break;
      case Kind::set: check_set(node); break;
      case Kind::global: check_constant(node.args[0], is_identifier, "invalid variable name"); break;
      case Kind::setflag: case Kind::addflag: case Kind::removeflag: case Kind::hasflag:
        check_constant(node.args[0], is_identifier, "invalid variable name");
        break;
      case Kind::vacation: check_vacation(node); break;
      case Kind::notify: check_notify(node); break;
      case Kind::valid_notify_method: break;  // its whole point is to test URIs at run time
      case Kind::include:
        if (node.has("personal") && node.has("global")) error(node.pos, "only one of :personal and :global allowed");
        check_constant(node.args[0], [](std::string_view s) {
          return !s.empty() && s.find('/') == std::string_view::npos && s.size() <= 255; }, "invalid script name");
        break;
      case Kind::duplicate:
        if (node.has("header") && node.has("uniqueid")) error(node.pos, "only one of :header and :uniqueid allowed");
        if (const Value* h = node.tag("header")) check_constant(*h, is_header_name, "invalid header name");
        break;
      default: break;
    }
  }

  template <typename Pred>
  void check_constant(const Value& v, Pred ok, std::string_view message) {
    for (const Str& s : v.strings)
      if (!s.dynamic && !ok(s.text)) error(v.pos, std::string(message) + " " + quoted(s.text));
  }

  void check_match(Node& node, const std::string& name) {
    MatchSpec& m = node.match;
    if (m.last && !m.index) error(node.pos, "':last' needs ':index'");
    if (!supports(m.comparator, m.type))
      error(node.pos, "comparator 'i;ascii-numeric' cannot be used with this match type");
    if (m.type != MatchType::regex || node.args.empty()) return;
    Value& keys = node.args.back();
    for (Str& key : keys.strings) {
      if (key.dynamic) continue;
      std::string err;
      key.regex = Regex::compile(key.text, m.comparator == Comparator::ascii_casemap, &err);
      if (!key.regex) error(keys.pos, "invalid regular expression " + quoted(key.text) + ": " + err);
    }
  }

  void check_date(Node& node) {
    // An unknown date part is not an error: the test is false (as in Pigeonhole, so scripts
    // moved from Dovecot keep compiling).
    if (node.has("zone") && node.has("originalzone")) error(node.pos, "only one of :zone and :originalzone allowed");
    if (const Value* z = node.tag("zone"))
      check_constant(*z, [](std::string_view s) { return parse_zone(s).has_value(); }, "invalid time zone");
  }

  // RFC 5229 4: modifiers of different precedence combine; two of the same precedence don't.
  void check_set(Node& node) {
    const Value& name = node.args[0];
    std::string_view text = name.strings[0].text;
    // RFC 6609 3.5: with include, "global.NAME" sets a global variable.
    if (required(E::include) && istarts_with(text, "global.")) text.remove_prefix(7);
    if (name.strings[0].dynamic || !is_identifier(text))
      error(name.pos, "invalid variable name " + quoted(name.strings[0].text));
    if (node.has("lower") && node.has("upper")) error(node.pos, "':lower' and ':upper' cannot be combined");
    if (node.has("lowerfirst") && node.has("upperfirst"))
      error(node.pos, "':lowerfirst' and ':upperfirst' cannot be combined");
  }

  void check_vacation(Node& node) {
    if (node.has("days") && node.has("seconds")) error(node.pos, "only one of :days and :seconds allowed");
    if (const Value* from = node.tag("from"))
      check_constant(*from, is_mailbox, "invalid :from address");
    if (const Value* addresses = node.tag("addresses"))
      check_constant(*addresses, is_mail_address, "invalid address in :addresses");
  }

  void check_notify(Node& node) {
    check_constant(node.args[0], [](std::string_view s) { return parse_mailto(s); },
                   "unsupported or invalid notification method");
    if (const Value* imp = node.tag("importance"))
      check_constant(*imp, [](std::string_view s) { return s == "1" || s == "2" || s == "3"; },
                     "importance must be \"1\", \"2\" or \"3\", not");
    if (const Value* from = node.tag("from")) check_constant(*from, is_mail_address, "invalid :from address");
  }

  ExtensionSet allowed_;
  std::shared_ptr<Program> program_ = std::make_shared<Program>();
  std::vector<Diagnostic> errors_;
};

}  // namespace

CompileResult compile(std::string_view script, const ExtensionSet& extensions, const Limits& limits) {
  ast::ParseResult parsed = ast::parse(script, limits);
  if (!parsed.errors.empty()) return CompileResult{nullptr, std::move(parsed.errors)};
  return Compiler(extensions, limits).run(parsed.commands);
}

}  // namespace kurier::sieve
