// SRS codec: see codec.h. Each step names the libsrs2 function (postsrsd src/srs2.c) it follows.
#include "srs/codec.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>
#include <cctype>
#include <optional>

#include "common/base64.h"
#include "common/strings.h"

namespace kurier::srs {
namespace {

constexpr int64_t kTimePrecision = 60 * 60 * 24;  // SRS_TIME_PRECISION: one day
constexpr int kTimeBaseBits = 5;                  // SRS_TIME_BASEBITS
constexpr int kTimeSlots = 1 << (2 * kTimeBaseBits);  // SRS_TIME_SLOTS: 1024 days
constexpr std::string_view kTimeChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";  // SRS_TIME_BASECHARS
constexpr size_t kHashLength = 4;                 // srs->hashlength = srs->hashmin = 4
constexpr std::string_view kSeparators = "=-+";   // srs_separators; fields always split on '='

struct Address {
  std::string_view local, domain;
};

std::optional<Address> split_address(std::string_view a) {
  auto at = a.rfind('@');
  if (at == std::string_view::npos) return std::nullopt;
  return Address{a.substr(0, at), a.substr(at + 1)};
}

// SRS0 / SRS1 followed by a separator (SRS_IS_SRS_ADDRESS).
bool has_tag(std::string_view local, std::string_view tag) {
  return local.size() > 4 && iequals(local.substr(0, 4), tag) && kSeparators.find(local[4]) != std::string_view::npos;
}

// Splits "a=b=rest" into n-1 fields up to '=' and the rest; nullopt when one is empty.
template <size_t N>
std::optional<std::array<std::string_view, N>> fields(std::string_view s) {
  std::array<std::string_view, N> out;
  for (size_t i = 0; i + 1 < N; ++i) {
    auto eq = s.find('=');
    if (eq == std::string_view::npos || eq == 0) return std::nullopt;
    out[i] = s.substr(0, eq);
    s.remove_prefix(eq + 1);
  }
  if (s.empty()) return std::nullopt;
  out[N - 1] = s;
  return out;
}

// The day number of a two-character stamp, read case-insensitively; nullopt for a bad one.
std::optional<int64_t> stamp_value(std::string_view stamp) {
  if (stamp.size() != 2) return std::nullopt;
  int64_t value = 0;
  for (char c : stamp) {
    auto pos = kTimeChars.find(char(std::toupper(static_cast<unsigned char>(c))));
    if (pos == std::string_view::npos) return std::nullopt;
    value = (value << kTimeBaseBits) | int64_t(pos);
  }
  return value;
}

}  // namespace

Codec::Codec(std::string secret, std::string domain, int max_age_days)
    : secret_(std::move(secret)), domain_(to_lower(domain)), max_age_days_(max_age_days) {}

bool Codec::looks_like_srs(std::string_view address) {
  auto a = split_address(address);
  std::string_view local = a ? a->local : address;
  return has_tag(local, "SRS0") || has_tag(local, "SRS1");
}

// srs_timestamp_create: days since the epoch, low 10 bits, two base32 characters.
std::string Codec::timestamp(int64_t now_seconds) {
  int64_t days = now_seconds / kTimePrecision;
  std::string out(2, ' ');
  out[1] = kTimeChars[size_t(days & 31)];
  out[0] = kTimeChars[size_t((days >> kTimeBaseBits) & 31)];
  return out;
}

// srs_timestamp_check: the stamp's day, moved into the window before today, at most
// max_age_days back.
bool Codec::timestamp_valid(std::string_view stamp, int64_t now_seconds) const {
  auto stamped = stamp_value(stamp);
  if (!stamped) return false;
  int64_t then = *stamped;
  int64_t now = (now_seconds / kTimePrecision) % kTimeSlots;
  while (now < then) now += kTimeSlots;
  return now <= then + max_age_days_;
}

// srs_hash_create_v: HMAC-SHA1 over the lower-cased parts, the first 4 base64 characters.
std::string Codec::hash(std::initializer_list<std::string_view> parts) const {
  std::string data;
  for (auto part : parts) data += to_lower(part);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha1(), secret_.data(), int(secret_.size()), reinterpret_cast<const unsigned char*>(data.data()), data.size(),
       digest, &len);
  return base64_encode(std::string_view(reinterpret_cast<const char*>(digest), len)).substr(0, kHashLength);
}

// srs_hash_check: at least 4 characters, the first 4 compared case-insensitively.
bool Codec::hash_valid(std::string_view given, std::initializer_list<std::string_view> parts) const {
  return given.size() >= kHashLength && iequals(given.substr(0, kHashLength), hash(parts));
}

// srs_forward + srs_compile_guarded + srs_compile_shortcut.
std::string Codec::forward(std::string_view sender, int64_t now_seconds) const {
  auto a = split_address(sender);
  if (!a || a->local.empty() || iequals(a->domain, domain_)) return std::string(sender);
  std::string at_us = "@" + domain_;
  if (has_tag(a->local, "SRS1")) {  // keep the first forwarder and its SRS0 part, new hash
    if (auto f = fields<3>(a->local.substr(5)))
      return "SRS1=" + hash({(*f)[1], (*f)[2]}) + "=" + std::string((*f)[1]) + "=" + std::string((*f)[2]) + at_us;
  } else if (has_tag(a->local, "SRS0")) {  // the previous forwarder becomes the host
    std::string_view user = a->local.substr(4);  // the separator included: "=HHHH=TT=host=user"
    return "SRS1=" + hash({a->domain, user}) + "=" + std::string(a->domain) + "=" + std::string(user) + at_us;
  }
  std::string stamp = timestamp(now_seconds);
  return "SRS0=" + hash({stamp, a->domain, a->local}) + "=" + stamp + "=" + std::string(a->domain) + "=" +
         std::string(a->local) + at_us;
}

// srs_reverse + srs_parse_guarded + srs_parse_shortcut.
ReverseResult Codec::reverse(std::string_view address, int64_t now_seconds) const {
  using Status = ReverseResult::Status;
  auto a = split_address(address);
  if (!a || !iequals(a->domain, domain_)) return {Status::not_srs, ""};
  if (has_tag(a->local, "SRS1")) {
    auto f = fields<3>(a->local.substr(5));  // hash, host, user ("=HHHH=TT=orig=user")
    if (!f) return {Status::malformed, ""};
    if (!hash_valid((*f)[0], {(*f)[1], (*f)[2]})) return {Status::bad_hash, ""};
    return {Status::ok, "SRS0" + std::string((*f)[2]) + "@" + std::string((*f)[1])};
  }
  if (has_tag(a->local, "SRS0")) {
    auto f = fields<4>(a->local.substr(5));  // hash, stamp, host, user
    if (!f) return {Status::malformed, ""};
    auto [given, stamp, host, user] = *f;
    if (!stamp_value(stamp)) return {Status::malformed, ""};
    if (!timestamp_valid(stamp, now_seconds)) return {Status::expired, ""};
    if (!hash_valid(given, {stamp, host, user})) return {Status::bad_hash, ""};
    return {Status::ok, std::string(user) + "@" + std::string(host)};
  }
  return {Status::not_srs, ""};
}

}  // namespace kurier::srs
