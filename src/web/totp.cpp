#include "web/totp.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "http/query.h"
#include "auth/token.h"

namespace kurier::web {
namespace {
constexpr const char* kBase32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
constexpr int kStepSeconds = 30;
}  // namespace

std::string base32_encode(std::string_view bytes) {
  std::string out;
  uint64_t acc = 0;
  int bits = 0;
  for (unsigned char c : bytes) {
    acc = (acc << 8) | c;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out.push_back(kBase32[(acc >> bits) & 31]);
    }
  }
  if (bits > 0) out.push_back(kBase32[(acc << (5 - bits)) & 31]);
  return out;
}

std::optional<std::string> base32_decode(std::string_view text) {
  std::string out;
  uint64_t acc = 0;
  int bits = 0;
  for (char c : text) {
    if (c == ' ' || c == '=') continue;
    if (c >= 'a' && c <= 'z') c = char(c - 32);
    int v;
    if (c >= 'A' && c <= 'Z') v = c - 'A';
    else if (c >= '2' && c <= '7') v = c - '2' + 26;
    else return std::nullopt;
    acc = (acc << 5) | uint64_t(v);
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(char((acc >> bits) & 0xff));
    }
  }
  return out;
}

std::string hotp(std::string_view secret, uint64_t counter, int digits) {
  unsigned char msg[8];
  for (int i = 7; i >= 0; --i) {
    msg[i] = static_cast<unsigned char>(counter & 0xff);
    counter >>= 8;
  }
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha1(), secret.data(), int(secret.size()), msg, sizeof msg, mac, &len);
  // RFC 4226 5.3 dynamic truncation.
  int offset = mac[len - 1] & 0x0f;
  uint32_t bin = (uint32_t(mac[offset] & 0x7f) << 24) | (uint32_t(mac[offset + 1]) << 16) |
                 (uint32_t(mac[offset + 2]) << 8) | uint32_t(mac[offset + 3]);
  uint32_t mod = 1;
  for (int i = 0; i < digits; ++i) mod *= 10;
  std::string code = std::to_string(bin % mod);
  return std::string(size_t(digits) - code.size(), '0') + code;
}

std::string totp(std::string_view secret, std::time_t unix_time, int digits) {
  return hotp(secret, uint64_t(unix_time) / kStepSeconds, digits);
}

std::optional<uint64_t> verify_totp(std::string_view secret, std::string_view code, std::time_t now) {
  if (code.size() != 6) return std::nullopt;
  uint64_t step = uint64_t(now) / kStepSeconds;
  for (uint64_t s : {step, step - 1, step + 1})
    if (auth::constant_time_equal(hotp(secret, s), code)) return s;
  return std::nullopt;
}

std::string otpauth_uri(std::string_view issuer, std::string_view account, std::string_view secret) {
  std::string label = http::percent_encode(issuer) + ":" + http::percent_encode(account);
  return "otpauth://totp/" + label + "?secret=" + base32_encode(secret) + "&issuer=" + http::percent_encode(issuer) +
         "&algorithm=SHA1&digits=6&period=30";
}

}  // namespace kurier::web
