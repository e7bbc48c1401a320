// RFC 3461 5.2.7 forwarding rules for NOTIFY/ORCPT (see dsn_params.h).
#include "delivery/dsn_params.h"

#include "common/hex.h"
#include "common/strings.h"

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

std::optional<std::string> decode_xtext(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '+') {
      if (i + 2 >= s.size()) return std::nullopt;
      int hi = hex_value(s[i + 1]), lo = hex_value(s[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (c >= '!' && c <= '~' && c != '=') {
      out.push_back(c);
    } else {
      return std::nullopt;
    }
  }
  return out;
}

std::string encode_xtext(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : s) {
    if (c >= '!' && c <= '~' && c != '+' && c != '=') {
      out.push_back(c);
    } else {
      auto b = static_cast<unsigned char>(c);
      out.push_back('+');
      out.push_back(kHex[b >> 4]);
      out.push_back(kHex[b & 15]);
    }
  }
  return out;
}

std::string rfc822_orcpt(std::string_view address) {
  if (address.empty()) return "";
  for (char c : address)
    if (static_cast<unsigned char>(c) >= 0x80) return "";  // RFC 6533: that would be an "utf-8" address type
  return "rfc822;" + encode_xtext(address);
}

}  // namespace kurier::delivery
