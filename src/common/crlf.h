// Line endings made CRLF while bytes stream through, for messages that arrive with bare LF
// (an IMAP APPEND from a Unix client, RFC 9051 2.2: "all interactions ... are in the form of
// lines ... terminated by a CRLF"). A bare LF becomes CRLF; CRLF and a bare CR are kept as they
// are (as the SMTP DATA decoder does, smtp/data.h). Storing the CRLF form means the size a
// client is told (RFC822.SIZE, POP3 LIST) is the size of what it is sent. Holds one byte of state.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

namespace kurier {

class CrlfNormalizer {
 public:
  // Appends chunk, its bare LFs made CRLF, to out.
  void feed(std::string_view chunk, std::string& out) {
    for (char c : chunk) {
      if (c == '\n' && !after_cr_) out += '\r';
      out += c;
      after_cr_ = c == '\r';
    }
  }

 private:
  bool after_cr_ = false;
};

}  // namespace kurier
