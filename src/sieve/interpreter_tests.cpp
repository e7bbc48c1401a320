// The Sieve tests (RFC 5228 5 and the extensions' tests): each gathers the values it looks at
// and hands them to Interpreter::match. See interpreter.cpp for the implementation notes.
#include <algorithm>

#include "common/strings.h"
#include "mime/envelope.h"
#include "mime/header.h"
#include "sieve/date.h"
#include "sieve/interpreter.h"
#include "sieve/syntax.h"

namespace kurier::sieve::interp {
namespace {

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

}  // namespace

bool Interpreter::test(const Node& n, Frame& f) {
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

std::optional<std::string> Interpreter::address_part(const ParsedAddress& a, AddressPart part) {
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

bool Interpreter::address_test(const Node& n, Frame& f) {
  std::vector<std::string> values;
  for (const std::string& name : expand_list(n.args[0], f)) {
    if (!is_address_header(name)) continue;  // a variable named some other field
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
bool Interpreter::envelope_test(const Node& n, Frame& f) {
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

bool Interpreter::body_test(const Node& n, Frame& f) {
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

bool Interpreter::date_test(const Node& n, Frame& f) {
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
bool Interpreter::duplicate_test(const Node& n, Frame& f) {
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

}  // namespace kurier::sieve::interp
