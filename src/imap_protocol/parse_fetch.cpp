// FETCH and STORE arguments: RFC 9051 6.4.5 / 6.4.6 (fetch-att, section-spec, partial),
// BINARY[...] / BINARY.SIZE (RFC 3516), MODSEQ, CHANGEDSINCE, VANISHED and UNCHANGEDSINCE
// (RFC 7162 3.1.4, 3.1.3, 3.2.6).
#include "common/strings.h"
#include "imap_protocol/parser_internal.h"

namespace kurier::imap::detail {
namespace {

using FK = FetchItem::Kind;

FetchItem simple(FK kind) {
  FetchItem item;
  item.kind = kind;
  return item;
}

// Macros, RFC 9051 6.4.5: ALL = (FLAGS INTERNALDATE RFC822.SIZE ENVELOPE),
// FAST = (FLAGS INTERNALDATE RFC822.SIZE), FULL = ALL + BODY.
bool expand_macro(std::string_view name, std::vector<FetchItem>& items) {
  if (name != "ALL" && name != "FAST" && name != "FULL") return false;
  items.push_back(simple(FK::flags));
  items.push_back(simple(FK::internaldate));
  items.push_back(simple(FK::rfc822_size));
  if (name != "FAST") items.push_back(simple(FK::envelope));
  if (name == "FULL") items.push_back(simple(FK::body_structure_short));
  return true;
}

// Fetch attribute names contain "." but stop at "[", "<", SP and parentheses.
std::string read_att_name(Reader& r) {
  std::string name;
  while (!r.at_line_end()) {
    char c = r.peek();
    bool letter = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (!letter && c != '.') break;
    name += ascii_upper(c);
    r.try_char(c);
  }
  if (name.empty()) r.fail("Expected a fetch attribute");
  r.count_token();
  return name;
}

std::string read_section_word(Reader& r) {
  std::string word;
  while (!r.at_line_end()) {
    char c = r.peek();
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '.')) break;
    word += ascii_upper(c);
    r.try_char(c);
  }
  return word;
}

// header-list = "(" header-fld-name *(SP header-fld-name) ")"
std::vector<std::string> read_header_list(Reader& r) {
  std::vector<std::string> fields;
  r.expect_sp("the header field list");
  r.expect_char('(', "to open the header field list");
  do fields.push_back(r.astring("header field name"));
  while (r.try_sp());
  r.expect_char(')', "to close the header field list");
  return fields;
}

void read_section_text(Reader& r, Section& s, bool after_part) {
  std::string word = read_section_word(r);
  if (word == "HEADER") s.text = Section::Text::header;
  else if (word == "TEXT") s.text = Section::Text::text;
  else if (word == "MIME" && after_part) s.text = Section::Text::mime;
  else if (word == "HEADER.FIELDS") s.text = Section::Text::header_fields;
  else if (word == "HEADER.FIELDS.NOT") s.text = Section::Text::header_fields_not;
  else r.fail("Invalid section specifier in BODY[...]");
  if (s.text == Section::Text::header_fields || s.text == Section::Text::header_fields_not)
    s.fields = read_header_list(r);
}

// section = "[" [section-spec] "]"; section-spec = section-msgtext / (section-part ["." section-text])
Section read_section(Reader& r, bool binary) {
  Section s;
  r.expect_char('[', "to open the section");
  if (r.try_char(']')) return s;
  if (r.peek() >= '0' && r.peek() <= '9') {
    for (;;) {
      if (s.part.size() >= 100) r.fail("Section part path too long");
      s.part.push_back(uint32_t(r.nz_number("section part", 4294967295ull)));
      if (!r.try_char('.')) break;
      if (r.peek() < '0' || r.peek() > '9') {
        if (binary) r.fail("BINARY sections take only part numbers");
        read_section_text(r, s, true);
        break;
      }
    }
  } else {
    if (binary) r.fail("BINARY sections take only part numbers");
    read_section_text(r, s, false);
  }
  r.expect_char(']', "to close the section");
  return s;
}

// partial = "<" number64 "." nz-number64 ">"
void read_partial(Reader& r, FetchItem& item) {
  if (!r.try_char('<')) return;
  item.partial_offset = r.number("partial offset", kMaxNumber64);
  r.expect_char('.', "between partial offset and length");
  item.partial_length = r.nz_number("partial length", kMaxNumber64);
  r.expect_char('>', "to close the partial range");
}

FetchItem read_fetch_att(Reader& r) {
  std::string name = read_att_name(r);
  static constexpr std::pair<std::string_view, FK> kSimple[] = {
      {"ENVELOPE", FK::envelope}, {"FLAGS", FK::flags}, {"INTERNALDATE", FK::internaldate},
      {"RFC822", FK::rfc822}, {"RFC822.HEADER", FK::rfc822_header},
      {"RFC822.SIZE", FK::rfc822_size}, {"RFC822.TEXT", FK::rfc822_text},
      {"BODYSTRUCTURE", FK::bodystructure}, {"UID", FK::uid}, {"MODSEQ", FK::modseq}};
  for (const auto& [text, kind] : kSimple)
    if (name == text) return simple(kind);
  FetchItem item;
  if (name == "BODY" && !r.peek_is('[')) return simple(FK::body_structure_short);
  if (name == "BODY" || name == "BODY.PEEK") {
    item.kind = FK::body_section;
    item.peek = name == "BODY.PEEK";
    item.section = read_section(r, false);
    read_partial(r, item);
  } else if (name == "BINARY" || name == "BINARY.PEEK") {
    item.kind = FK::binary;
    item.peek = name == "BINARY.PEEK";
    item.section = read_section(r, true);
    read_partial(r, item);
  } else if (name == "BINARY.SIZE") {
    item.kind = FK::binary_size;
    item.section = read_section(r, true);
  } else {
    r.fail("Unknown fetch attribute " + name);
  }
  return item;
}

void read_fetch_items(Reader& r, FetchArgs& a) {
  if (r.try_char('(')) {
    do a.items.push_back(read_fetch_att(r));
    while (r.try_sp());
    r.expect_char(')', "to close the fetch attribute list");
    return;
  }
  for (std::string_view macro : {"ALL", "FAST", "FULL"})
    if (r.try_keyword(macro)) {
      expand_macro(macro, a.items);
      return;
    }
  a.items.push_back(read_fetch_att(r));
}

// fetch-modifiers = SP "(" fetch-modifier *(SP fetch-modifier) ")"
void read_fetch_modifiers(Reader& r, FetchArgs& a, bool uid) {
  r.expect_char('(', "to open the fetch modifiers");
  do {
    if (r.try_keyword("CHANGEDSINCE") && !a.changedsince) {
      r.expect_sp("the CHANGEDSINCE value");
      a.changedsince = read_mod_sequence_value(r, "CHANGEDSINCE");
    } else if (r.try_keyword("VANISHED") && !a.vanished) {
      a.vanished = true;
    } else {
      r.fail("Unknown or repeated FETCH modifier");
    }
  } while (r.try_sp());
  r.expect_char(')', "to close the fetch modifiers");
  // RFC 7162 3.2.6: VANISHED only in UID FETCH, and only together with CHANGEDSINCE.
  if (a.vanished && (!uid || !a.changedsince))
    r.fail("VANISHED needs UID FETCH and CHANGEDSINCE");
}

}  // namespace

FetchArgs parse_fetch(Reader& r, bool uid, bool allow_saved) {
  FetchArgs a;
  r.expect_sp("the message set");
  a.set = read_sequence_set(r, "message set", allow_saved);
  r.expect_sp("the fetch attributes");
  read_fetch_items(r, a);
  if (r.try_sp()) read_fetch_modifiers(r, a, uid);
  return a;
}

// store = "STORE" SP sequence-set [store-modifiers] SP store-att-flags
StoreArgs parse_store(Reader& r, bool allow_saved) {
  StoreArgs a;
  r.expect_sp("the message set");
  a.set = read_sequence_set(r, "message set", allow_saved);
  r.expect_sp("the flag operation");
  if (r.try_char('(')) {
    if (!r.try_keyword("UNCHANGEDSINCE")) r.fail("Unknown STORE modifier");
    r.expect_sp("the UNCHANGEDSINCE value");
    a.unchangedsince = read_mod_sequence_valzer(r, "UNCHANGEDSINCE");
    r.expect_char(')', "to close the STORE modifiers");
    r.expect_sp("the flag operation");
  }
  if (r.try_char('+')) a.mode = StoreArgs::Mode::add;
  else if (r.try_char('-')) a.mode = StoreArgs::Mode::remove;
  std::string op = r.atom_upper("FLAGS, FLAGS.SILENT");
  if (op != "FLAGS" && op != "FLAGS.SILENT") r.fail("Expected FLAGS or FLAGS.SILENT");
  a.silent = op == "FLAGS.SILENT";
  r.expect_sp("the flags");
  if (r.peek_is('(')) {
    a.flags = read_flag_list(r, "flag");
  } else {
    do a.flags.push_back(r.flag("flag"));
    while (r.try_sp());
  }
  return a;
}

}  // namespace kurier::imap::detail
