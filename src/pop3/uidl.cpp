#include "pop3/uidl.h"

#include <fmt/format.h>

namespace kurier::pop3 {

std::optional<UidlFormat> parse_uidl_format(std::string_view name) {
  if (name == "dovecot") return UidlFormat::dovecot;
  if (name == "cyrus") return UidlFormat::cyrus;
  return std::nullopt;
}

std::string format_uidl(UidlFormat format, uint32_t uidvalidity, uint32_t uid) {
  if (format == UidlFormat::cyrus) return fmt::format("{}.{}", uidvalidity, uid);
  return fmt::format("{:08x}{:08x}", uid, uidvalidity);
}

}  // namespace kurier::pop3
