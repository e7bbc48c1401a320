// SEARCH arguments: RFC 9051 6.4.4 / RFC 3501 6.4.4 search keys as a tree, with
// ESEARCH return options (RFC 4731), SEARCHRES "$" (RFC 5182), MODSEQ (RFC 7162 3.1.5) and
// OLDER/YOUNGER (RFC 5032).
#include <array>

#include "common/strings.h"
#include "imap_protocol/parser_internal.h"

namespace kurier::imap::detail {
namespace {

using K = SearchKey::Kind;

constexpr std::array<std::pair<std::string_view, K>, 14> kFlagKeys{{
    {"ALL", K::all}, {"ANSWERED", K::answered}, {"DELETED", K::deleted}, {"DRAFT", K::draft},
    {"FLAGGED", K::flagged}, {"NEW", K::new_}, {"OLD", K::old}, {"RECENT", K::recent},
    {"SEEN", K::seen}, {"UNANSWERED", K::unanswered}, {"UNDELETED", K::undeleted},
    {"UNDRAFT", K::undraft}, {"UNFLAGGED", K::unflagged}, {"UNSEEN", K::unseen},
}};
constexpr std::array<std::pair<std::string_view, K>, 7> kTextKeys{{
    {"BCC", K::bcc}, {"BODY", K::body}, {"CC", K::cc}, {"FROM", K::from},
    {"SUBJECT", K::subject}, {"TEXT", K::text}, {"TO", K::to},
}};
constexpr std::array<std::pair<std::string_view, K>, 6> kDateKeys{{
    {"BEFORE", K::before}, {"ON", K::on}, {"SINCE", K::since},
    {"SENTBEFORE", K::sentbefore}, {"SENTON", K::senton}, {"SENTSINCE", K::sentsince},
}};
constexpr std::array<std::pair<std::string_view, K>, 4> kNumberKeys{{
    {"LARGER", K::larger}, {"SMALLER", K::smaller}, {"OLDER", K::older}, {"YOUNGER", K::younger},
}};

template <size_t N>
std::optional<K> lookup(const std::array<std::pair<std::string_view, K>, N>& table, std::string_view name) {
  for (const auto& [text, kind] : table)
    if (text == name) return kind;
  return std::nullopt;
}

SearchKey read_key(Reader& r, bool allow_saved);

// date = date-text / DQUOTE date-text DQUOTE
Date read_date(Reader& r) {
  std::string text = r.peek_is('"') ? r.string("date") : r.atom("date");
  auto d = parse_date(text);
  if (!d) r.fail(d.error);
  return *d;
}

SearchKey read_key_list(Reader& r, bool allow_saved) {
  SearchKey list;
  list.kind = K::and_;
  r.enter_paren();
  r.expect_char('(', "to open a search key list");
  do list.children.push_back(read_key(r, allow_saved));
  while (r.try_sp());
  r.expect_char(')', "to close a search key list");
  r.leave_paren();
  return list;
}

// MODSEQ [SP entry-name SP entry-type-req] SP mod-sequence-valzer (RFC 7162 3.1.5)
void read_modseq_key(Reader& r, SearchKey& key) {
  r.expect_sp("the MODSEQ value");
  if (r.peek_is('"') || r.peek_is('{')) {
    key.value = r.string("MODSEQ entry name");
    if (!istarts_with(key.value, "/flags/")) r.fail("MODSEQ entry name must start with /flags/");
    r.expect_sp("the MODSEQ entry type");
    key.entry_type = to_lower(r.atom("MODSEQ entry type"));
    if (key.entry_type != "priv" && key.entry_type != "shared" && key.entry_type != "all")
      r.fail("MODSEQ entry type must be priv, shared or all");
    r.expect_sp("the MODSEQ value");
  }
  key.number = read_mod_sequence_valzer(r, "MODSEQ");
}

bool read_keyword_key(Reader& r, const std::string& name, SearchKey& key, bool allow_saved) {
  if (auto k = lookup(kFlagKeys, name)) {
    key.kind = *k;
  } else if (auto k = lookup(kTextKeys, name)) {
    key.kind = *k;
    r.expect_sp("the search text");
    key.text = r.astring("search text");
  } else if (auto k = lookup(kDateKeys, name)) {
    key.kind = *k;
    r.expect_sp("the date");
    key.date = read_date(r);
  } else if (auto k = lookup(kNumberKeys, name)) {
    key.kind = *k;
    r.expect_sp("the number");
    bool seconds = *k == K::older || *k == K::younger;
    key.number = seconds ? r.nz_number("interval", 4294967295ull) : r.number("size", kMaxNumber64);
  } else if (name == "KEYWORD" || name == "UNKEYWORD") {
    key.kind = name == "KEYWORD" ? K::keyword : K::unkeyword;
    r.expect_sp("the keyword");
    key.text = r.atom("keyword");
  } else if (name == "HEADER") {
    key.kind = K::header;
    r.expect_sp("the header field name");
    key.text = r.astring("header field name");
    r.expect_sp("the header value");
    key.value = r.astring("header value");
  } else if (name == "UID") {
    key.kind = K::uid;
    r.expect_sp("the UID set");
    key.set = read_sequence_set(r, "UID set", allow_saved);
  } else if (name == "MODSEQ") {
    key.kind = K::modseq;
    read_modseq_key(r, key);
  } else {
    return false;
  }
  return true;
}

SearchKey read_key(Reader& r, bool allow_saved) {
  if (r.peek_is('(')) return read_key_list(r, allow_saved);
  SearchKey key;
  char c = r.peek();
  if ((c >= '0' && c <= '9') || c == '*' || c == '$') {
    key.kind = K::sequence_set;
    key.set = read_sequence_set(r, "sequence set", allow_saved);
    return key;
  }
  std::string name = r.atom_upper("search key");
  if (name == "NOT" || name == "OR") {
    key.kind = name == "NOT" ? K::not_ : K::or_;
    r.enter_paren();  // NOT NOT NOT ... nests like parentheses
    r.expect_sp("the search key");
    key.children.push_back(read_key(r, allow_saved));
    if (key.kind == K::or_) {
      r.expect_sp("the second search key");
      key.children.push_back(read_key(r, allow_saved));
    }
    r.leave_paren();
    return key;
  }
  if (!read_keyword_key(r, name, key, allow_saved)) r.fail("Unknown search key " + name);
  return key;
}

// search-return-opts = SP "RETURN" SP "(" [search-return-opt *(SP search-return-opt)] ")"
void read_return_options(Reader& r, SearchArgs& a) {
  a.esearch = true;
  r.expect_sp("the RETURN options");
  r.expect_char('(', "to open the RETURN options");
  while (!r.try_char(')')) {
    std::string opt = r.atom_upper("search return option");
    if (opt == "MIN") a.returns.push_back(SearchReturn::min);
    else if (opt == "MAX") a.returns.push_back(SearchReturn::max);
    else if (opt == "ALL") a.returns.push_back(SearchReturn::all);
    else if (opt == "COUNT") a.returns.push_back(SearchReturn::count);
    else if (opt == "SAVE") a.returns.push_back(SearchReturn::save);
    else r.fail("Unknown search return option " + opt);
    if (!r.peek_is(')')) r.expect_sp("the next return option");
  }
}

}  // namespace

SearchArgs parse_search(Reader& r, bool allow_saved) {
  SearchArgs a;
  a.program.kind = K::and_;
  r.expect_sp("the search criteria");
  if (r.try_keyword("RETURN")) {
    read_return_options(r, a);
    r.expect_sp("the search criteria");
  }
  if (r.try_keyword("CHARSET")) {
    r.expect_sp("the charset name");
    a.charset = to_upper(r.astring("charset name"));
    r.expect_sp("the search criteria");
  }
  do a.program.children.push_back(read_key(r, allow_saved));
  while (r.try_sp());
  return a;
}

}  // namespace kurier::imap::detail
