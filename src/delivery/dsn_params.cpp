// RFC 3461 5.2.7 forwarding rules for NOTIFY/ORCPT (see dsn_params.h).
#include "delivery/dsn_params.h"

#include "common/strings.h"

namespace kurier::delivery {

bool wants_success(const RecipientDsn& dsn) { return (dsn.notify & kDsnSuccess) != 0; }

RecipientDsn expanded_dsn(const RecipientDsn& given, std::string_view rcpt_address, std::string_view target,
                          size_t targets) {
  RecipientDsn out = given;
  if (targets > 1 && (out.notify & kDsnSuccess)) {
    // RFC 3461 5.2.7.3: the "expanded" notice answers SUCCESS for the alias as a whole.
    out.notify &= ~unsigned(kDsnSuccess);
    if (out.notify == 0) out.notify = kDsnNever;
  }
  if (out.orcpt.empty() && !iequals(rcpt_address, target)) out.orcpt = rfc822_orcpt(rcpt_address);
  return out;
}

std::string rfc822_orcpt(std::string_view address) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  if (address.empty()) return "";
  std::string out = "rfc822;";
  for (char c : address) {
    auto b = static_cast<unsigned char>(c);
    if (b >= 0x80) return "";  // RFC 6533: that would be an "utf-8" address type
    if (c >= '!' && c <= '~' && c != '+' && c != '=') {
      out.push_back(c);
    } else {  // RFC 3461 4: xtext hexchar
      out.push_back('+');
      out.push_back(kHex[b >> 4]);
      out.push_back(kHex[b & 15]);
    }
  }
  return out;
}

}  // namespace kurier::delivery
