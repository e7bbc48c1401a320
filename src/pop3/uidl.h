// UIDL strings (RFC 1939 7: "a unique-id ... consists of one to 70 characters in the range of
// 0x21 to 0x7E", and "the unique-id of a message ... must persist across sessions"). kurier
// derives it from the message's IMAP UID and the mailbox's UIDVALIDITY, which never change, in
// the format of the server a site migrates from, so its POP3 clients download nothing twice.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace kurier::pop3 {

enum class UidlFormat {
  dovecot,  // Dovecot's default pop3_uidl_format %08Xu%08Xv: UID then UIDVALIDITY, 8 hex digits each
  cyrus,    // Cyrus imapd: "UIDVALIDITY.UID" in decimal
};

// "dovecot" or "cyrus" ([pop3] uidl_format); nullopt otherwise.
std::optional<UidlFormat> parse_uidl_format(std::string_view name);

std::string format_uidl(UidlFormat format, uint32_t uidvalidity, uint32_t uid);

}  // namespace kurier::pop3
