// Content-Transfer-Encoding decoders for message bodies (RFC 2045 6), lenient as mail readers
// are; IMAP uses them for FETCH BINARY[] (RFC 3516 4) and SEARCH BODY/TEXT (RFC 9051 6.4.4:
// searches match the decoded text), and RFC 2047 encoded-words share them (header.h).
//   base64 (RFC 2045 6.8): characters outside the alphabet (line breaks) are ignored, decoding
//     stops at "=" padding;
//   quoted-printable (RFC 2045 6.7): "=XX" hex escapes and "=" soft line breaks; a malformed
//     escape is kept as written; blanks at the end of a line are deleted (rule 3: "trailing
//     white space ... will necessarily have been added by intermediate transport agents"),
//     blanks at the very end of the input are kept (an RFC 2047 word may end in "_").
// TransferDecoder decodes in pieces, so a large attachment is never decoded whole into memory:
// any cut of the input gives the same output as one piece. The output is at most as long as
// the input.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace kurier::mime {

class TransferDecoder {
 public:
  enum class Kind { identity, base64, quoted_printable };
  explicit TransferDecoder(Kind kind) : kind_(kind) {}
  // For a lower-case Content-Transfer-Encoding name; identity for "", 7bit, 8bit and binary;
  // nullopt for an unknown encoding (RFC 3516 UNKNOWN-CTE).
  static std::optional<TransferDecoder> for_encoding(std::string_view encoding);

  // Appends the bytes decoded from the next piece of input to out.
  void feed(std::string_view in, std::string& out);
  // Appends what the end of input decides (held quoted-printable bytes).
  void finish(std::string& out);

 private:
  void feed_base64(std::string_view in, std::string& out);
  void feed_qp(std::string_view in, std::string& out);
  void qp_char(char c, std::string& out);
  void qp_escape_char(char c, std::string& out);

  Kind kind_;
  bool done_ = false;  // base64: "=" padding seen
  uint32_t acc_ = 0;   // base64 bits not yet written
  int bits_ = 0;
  std::string blanks_;  // quoted-printable: blanks that may turn out to end a line
  std::string escape_;  // quoted-printable: "=" and what followed it, undecided yet
};

std::string decode_base64_lenient(std::string_view in);
std::string decode_quoted_printable(std::string_view in);
// Decodes `in` according to a lower-case Content-Transfer-Encoding name. Identity encodings
// ("", 7bit, 8bit, binary) return the input; nullopt for an unknown encoding (RFC 3516
// UNKNOWN-CTE).
std::optional<std::string> decode_transfer_encoding(std::string_view in, std::string_view encoding);

}  // namespace kurier::mime
