// IMAP ENVELOPE writer (RFC 3501 7.4.2, RFC 9051 7.5.2); see envelope.h.
#include "mime/envelope.h"

#include "common/strings.h"
#include "mime/header.h"
#include "mime/imap_string.h"

namespace kurier::mime {
namespace {

struct EnvelopeFields {
  std::optional<std::string> date, subject, from, sender, reply_to, to, cc, bcc, in_reply_to,
      message_id;
};

std::optional<std::string>* slot_for(EnvelopeFields& e, std::string_view name) {
  static const std::pair<std::string_view, std::optional<std::string> EnvelopeFields::*> kSlots[] = {
      {"date", &EnvelopeFields::date},         {"subject", &EnvelopeFields::subject},
      {"from", &EnvelopeFields::from},         {"sender", &EnvelopeFields::sender},
      {"reply-to", &EnvelopeFields::reply_to}, {"to", &EnvelopeFields::to},
      {"cc", &EnvelopeFields::cc},             {"bcc", &EnvelopeFields::bcc},
      {"in-reply-to", &EnvelopeFields::in_reply_to},
      {"message-id", &EnvelopeFields::message_id}};
  for (const auto& [field, member] : kSlots)
    if (iequals(name, field)) return &(e.*member);
  return nullptr;
}

// The first occurrence of each field is used.
EnvelopeFields collect(std::string_view header_block) {
  EnvelopeFields e;
  for (const HeaderField& f : parse_header_fields(header_block)) {
    auto* slot = slot_for(e, f.name);
    if (slot && !*slot) *slot = f.value();
  }
  return e;
}

void append_address(std::string& out, const Address& a) {
  out += '(';
  append_imap_nstring(out, a.name);
  out += ' ';
  append_imap_nstring(out, a.adl);
  out += ' ';
  append_imap_nstring(out, a.mailbox);
  out += ' ';
  append_imap_nstring(out, a.host);
  out += ')';
}

// An address list, or NIL when the field is absent or holds no address.
void append_address_list(std::string& out, const std::optional<std::string>& value) {
  std::vector<Address> list;
  if (value) list = parse_address_list(*value);
  if (list.empty()) {
    out += "NIL";
    return;
  }
  out += '(';
  for (const Address& a : list) append_address(out, a);
  out += ')';
}

bool has_address(const std::optional<std::string>& value) {
  return value && !parse_address_list(*value).empty();
}

}  // namespace

std::string imap_envelope(std::string_view header_block) {
  EnvelopeFields e = collect(header_block);
  // RFC 3501 7.4.2: "If the Sender or Reply-To lines are absent in the [RFC-2822] header,
  // or are present but empty, the server sets the corresponding member of the envelope to
  // be the same value as the from member."
  if (!has_address(e.sender)) e.sender = e.from;
  if (!has_address(e.reply_to)) e.reply_to = e.from;
  std::string out = "(";
  append_imap_nstring(out, e.date);
  out += ' ';
  append_imap_nstring(out, e.subject);
  for (const auto* list : {&e.from, &e.sender, &e.reply_to, &e.to, &e.cc, &e.bcc}) {
    out += ' ';
    append_address_list(out, *list);
  }
  out += ' ';
  append_imap_nstring(out, e.in_reply_to);
  out += ' ';
  append_imap_nstring(out, e.message_id);
  out += ')';
  return out;
}

}  // namespace kurier::mime
