// MAIL/RCPT DSN parameters into delivery's form (see dsn_params.h).
#include "smtp/dsn_params.h"

#include "common/strings.h"
#include "common/xtext.h"
#include "smtp_protocol/syntax.h"

namespace kurier::smtp {
namespace {

// One code point of UTF-8 the parser validated (a malformed byte, which cannot occur, is taken
// as U+FFFD); advances i.
uint32_t next_code_point(std::string_view s, size_t& i) {
  uint32_t cp = 0;
  size_t n = decode_utf8(s, i, cp);
  i += n == 0 ? 1 : n;
  return n == 0 ? 0xFFFD : cp;
}

}  // namespace

std::string encode_utf8_addr_xtext(std::string_view utf8) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (size_t i = 0; i < utf8.size();) {
    uint32_t cp = next_code_point(utf8, i);
    if (cp >= '!' && cp <= '~' && cp != '+' && cp != '=' && cp != '\\') {
      out.push_back(char(cp));
      continue;
    }
    std::string hex;
    do {
      hex.insert(hex.begin(), kHex[cp & 15]);
      cp >>= 4;
    } while (cp);
    out += "\\x{" + hex + "}";
  }
  return out;
}

std::string orcpt_value(const OriginalRecipient& orcpt) {
  bool utf8 = iequals(orcpt.addr_type, "utf-8");
  return orcpt.addr_type + ";" + (utf8 ? encode_utf8_addr_xtext(orcpt.address) : encode_xtext(orcpt.address));
}

delivery::MessageDsn message_dsn(const MailParams& mail) {
  delivery::MessageDsn dsn;
  switch (mail.ret) {
    case DsnReturn::Unspecified: dsn.ret = delivery::DsnReturn::unspecified; break;
    case DsnReturn::Full: dsn.ret = delivery::DsnReturn::full; break;
    case DsnReturn::Headers: dsn.ret = delivery::DsnReturn::headers; break;
  }
  if (mail.envid) dsn.envid = encode_xtext(*mail.envid);
  return dsn;
}

delivery::RecipientDsn recipient_dsn(const RcptParams& rcpt) {
  delivery::RecipientDsn dsn;
  if (rcpt.notify & kNotifyNever) dsn.notify |= delivery::kDsnNever;
  if (rcpt.notify & kNotifySuccess) dsn.notify |= delivery::kDsnSuccess;
  if (rcpt.notify & kNotifyFailure) dsn.notify |= delivery::kDsnFailure;
  if (rcpt.notify & kNotifyDelay) dsn.notify |= delivery::kDsnDelay;
  if (rcpt.orcpt) dsn.orcpt = orcpt_value(*rcpt.orcpt);
  return dsn;
}

}  // namespace kurier::smtp
