// Streaming DKIM signer (RFC 6376 5, relaxed/relaxed; rsa-sha256 and ed25519-sha256 per RFC 8463).
// Feed the message in chunks exactly as it will be sent (header section, empty line, body):
// the header section is kept (bounded by max_header_bytes) for the header hash, the body only
// runs through the canonicalizer into SHA-256, so the body is never held in memory. finish()
// returns the DKIM-Signature fields to prepend, one per key (RFC 8463 4 suggests signing with
// both algorithms). One body hash serves every signature: they share canonicalization and hash.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dkim/canonicalize.h"
#include "dkim/key.h"

namespace kurier::dkim {

struct SigningKey {
  std::string domain;    // d=
  std::string selector;  // s=
  std::shared_ptr<const PrivateKey> key;
};

// Header fields kurier signs, in this order, each as often as the message has it.
const std::vector<std::string>& default_signed_headers();

struct SignOptions {
  std::vector<std::string> headers = default_signed_headers();
  // Names listed once more than they occur (RFC 6376 8.15): a From added later breaks the
  // signature instead of riding on it.
  std::vector<std::string> oversign = {"from"};
  std::optional<int64_t> timestamp;  // t=; default: now
  size_t max_header_bytes = 1024 * 1024;
};

class Signer {
 public:
  explicit Signer(std::vector<SigningKey> keys, SignOptions options = {});
  ~Signer();
  Signer(const Signer&) = delete;
  Signer& operator=(const Signer&) = delete;

  void feed(std::string_view chunk);
  // The DKIM-Signature fields, each folded and CRLF-terminated. Throws Error when the message
  // cannot be signed: no From field (RFC 6376 5.4 requires it), or a header section larger than
  // max_header_bytes. Call once.
  std::string finish();

  // The bh= value, available after finish() (for tests).
  const std::string& body_hash() const { return body_hash_; }

 private:
  size_t feed_header(std::string_view chunk);
  std::vector<std::string> signed_names(const std::vector<std::string_view>& present) const;
  std::string sign_one(const SigningKey& key, const std::vector<std::string_view>& fields,
                       const std::vector<std::string>& names, int64_t timestamp) const;

  struct Hash;
  std::vector<SigningKey> keys_;
  SignOptions options_;
  std::string header_;
  bool in_header_ = true;
  bool header_too_large_ = false;
  size_t line_bytes_ = 0;
  bool last_was_cr_ = false;
  std::unique_ptr<Hash> hash_;
  RelaxedBody body_;
  std::string body_hash_;
};

// Folds "Name: tag=v; tag=v; ..." at "; " boundaries so no line exceeds `width` (the b= and bh=
// base64 values may themselves be split: RFC 6376 3.5 allows FWS inside them). Exposed for tests.
std::string fold_tag_list(std::string_view name, const std::vector<std::string>& tags, size_t width = 76);

}  // namespace kurier::dkim
