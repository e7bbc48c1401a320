// The Sender Rewriting Scheme (SRS) for mail we forward, in exactly the format libsrs2 and
// postsrsd write, so their tools (and a postsrsd sharing our secret) read our addresses:
//   Shevek, "Sender Rewriting Scheme" (http://www.libsrs2.org/srs/srs.pdf), and libsrs2's srs2.c
//   as postsrsd carries it (github.com/roehling/postsrsd, src/srs2.c: srs_compile_guarded,
//   srs_parse_guarded, srs_timestamp_create/check, srs_hash_create_v).
//
// A forwarder keeps SPF passing at the next hop by sending with an envelope sender of its own
// domain that it can turn back into the original when a bounce comes:
//   user@orig.example            -> SRS0=HHHH=TT=orig.example=user@our.domain
//   SRS0=HHHH=TT=orig=user@fwd1  -> SRS1=HHHH=fwd1==HHHH=TT=orig=user@our.domain
//   SRS1=XXXX=fwd1==...@fwd2     -> SRS1=HHHH=fwd1==...@our.domain   (first forwarder kept)
//  - TT: days since the epoch, two characters of the base32 alphabet A-Z2-7, modulo 1024;
//    accepted while at most max_age_days old (libsrs2: 21). Read case-insensitively.
//  - HHHH: the first 4 characters of the base64 of HMAC-SHA1(secret, TT + host + user) with
//    every part lower-cased (SRS0), or of HMAC-SHA1(secret, host + user) (SRS1). Compared
//    case-insensitively, as libsrs2 does (strncasecmp): a hop that lower-cases the local part
//    must not break bounces.
//  - SRS1 reverses to the SRS0 address at the first forwarder (no timestamp of its own; the
//    SRS0 inside carries it), SRS0 to the original sender.
// Pure: no files, no clock (the caller passes the time), thread-safe.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

namespace kurier::srs {

struct ReverseResult {
  enum class Status {
    ok,         // address is the sender to return the mail to
    not_srs,    // the local part is no SRS0=/SRS1= address (or the domain is not ours)
    malformed,  // SRS0/SRS1 tag, but fields missing or a bad timestamp character
    bad_hash,   // the hash does not match: forged or made with another secret
    expired,    // the timestamp is older than max_age_days
  };
  Status status = Status::not_srs;
  std::string address;

  bool ok() const { return status == Status::ok; }
};

class Codec {
 public:
  // secret: the HMAC key, as postsrsd uses its secret file's line (bytes, no line end).
  // domain: where rewritten addresses point (our host name or a hosted domain).
  Codec(std::string secret, std::string domain, int max_age_days = 21);

  const std::string& domain() const { return domain_; }

  // The envelope sender for a forwarded copy. "" (the null sender) and addresses already in our
  // domain stay as they are; so does an address without '@' (nothing to rewrite).
  std::string forward(std::string_view sender, int64_t now_seconds) const;
  // A recipient address: its SRS0/SRS1 local part checked and turned back. Only addresses in
  // our domain are reversed (case-insensitively).
  ReverseResult reverse(std::string_view address, int64_t now_seconds) const;
  // "SRS0=" / "SRS1=" (or the other separators "-" "+", case-insensitive) starts the local part.
  static bool looks_like_srs(std::string_view address);

  // Parts exposed for tests and tools.
  static std::string timestamp(int64_t now_seconds);
  std::string hash(std::initializer_list<std::string_view> parts) const;

 private:
  bool timestamp_valid(std::string_view stamp, int64_t now_seconds) const;
  bool hash_valid(std::string_view given, std::initializer_list<std::string_view> parts) const;

  std::string secret_;
  std::string domain_;
  int max_age_days_;
};

}  // namespace kurier::srs
