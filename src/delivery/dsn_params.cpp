// RFC 3461 5.2.7 forwarding rules for NOTIFY/ORCPT (see dsn_params.h).
#include "delivery/dsn_params.h"

#include "common/strings.h"
#include "common/xtext.h"

namespace kurier::delivery {

bool wants_success(const RecipientDsn& dsn) { return (dsn.notify & kDsnSuccess) != 0; }
bool wants_failure(const RecipientDsn& dsn) { return dsn.notify == 0 || (dsn.notify & kDsnFailure) != 0; }

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
  if (address.empty()) return "";
  for (char c : address)
    if (static_cast<unsigned char>(c) >= 0x80) return "";  // RFC 6533: that would be an "utf-8" address type
  return "rfc822;" + encode_xtext(address);
}

}  // namespace kurier::delivery
