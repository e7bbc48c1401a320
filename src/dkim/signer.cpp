#include "dkim/signer.h"

#include <openssl/evp.h>

#include <chrono>

#include "common/base64.h"
#include "common/strings.h"
#include "mime/header.h"

namespace kurier::dkim {

struct Signer::Hash {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  Hash() {
    if (!ctx || EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr) != 1) throw Error("dkim: cannot start SHA-256");
  }
  ~Hash() { EVP_MD_CTX_free(ctx); }
  void update(std::string_view data) { EVP_DigestUpdate(ctx, data.data(), data.size()); }
  std::string final() {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_DigestFinal_ex(ctx, out, &len);
    return std::string(reinterpret_cast<char*>(out), len);
  }
};

const std::vector<std::string>& default_signed_headers() {
  static const std::vector<std::string> names{
      "from",       "to",          "cc",         "subject",      "date",
      "message-id", "reply-to",    "in-reply-to", "references",  "mime-version",
      "content-type", "content-transfer-encoding"};
  return names;
}

Signer::Signer(std::vector<SigningKey> keys, SignOptions options)
    : keys_(std::move(keys)),
      options_(std::move(options)),
      hash_(std::make_unique<Hash>()),
      body_([this](std::string_view canonical) { hash_->update(canonical); }) {
  if (keys_.empty()) throw Error("dkim: no signing key");
}

Signer::~Signer() = default;

void Signer::feed(std::string_view chunk) {
  if (in_header_) {
    chunk.remove_prefix(feed_header(chunk));  // the rest, after the empty line, is body
    if (chunk.empty()) return;
  }
  body_.feed(chunk);
}

// Takes header bytes up to and including the empty line that ends the section; returns how
// many bytes of chunk were header.
size_t Signer::feed_header(std::string_view chunk) {
  size_t taken = chunk.size();
  for (size_t i = 0; i < chunk.size(); ++i) {
    char c = chunk[i];
    if (c != '\n') {
      ++line_bytes_;
      last_was_cr_ = c == '\r';
      continue;
    }
    bool empty_line = line_bytes_ == 0 || (line_bytes_ == 1 && last_was_cr_);
    line_bytes_ = 0;
    last_was_cr_ = false;
    if (empty_line) {
      taken = i + 1;
      in_header_ = false;
      break;
    }
  }
  if (header_.size() + taken > options_.max_header_bytes) header_too_large_ = true;
  if (!header_too_large_) header_.append(chunk.substr(0, taken));
  return taken;
}

std::vector<std::string> Signer::signed_names(const std::vector<std::string_view>& present) const {
  std::vector<std::string> names;
  for (const auto& wanted : options_.headers) {
    size_t count = 0;
    for (auto p : present)
      if (iequals(p, wanted)) ++count;
    for (const auto& o : options_.oversign)
      if (iequals(o, wanted)) ++count;
    for (size_t i = 0; i < count; ++i) names.push_back(to_lower(wanted));
  }
  return names;
}

std::string Signer::finish() {
  body_.finish();
  body_hash_ = base64_encode(hash_->final());
  if (header_too_large_) throw Error("dkim: header section larger than " + std::to_string(options_.max_header_bytes) + " bytes");
  auto parsed = mime::parse_header_fields(header_);
  std::vector<std::string_view> fields, present;
  bool has_from = false;
  for (const auto& f : parsed) {
    fields.push_back(std::string_view(header_).substr(f.offset, f.size));
    present.push_back(f.name);
    if (iequals(f.name, "from")) has_from = true;
  }
  if (!has_from) throw Error("dkim: the message has no From field (RFC 6376 5.4)");
  auto names = signed_names(present);
  int64_t t = options_.timestamp ? *options_.timestamp
                                 : std::chrono::duration_cast<std::chrono::seconds>(
                                       std::chrono::system_clock::now().time_since_epoch()).count();
  std::string out;
  for (const auto& key : keys_) out += sign_one(key, fields, names, t);
  return out;
}

std::string Signer::sign_one(const SigningKey& key, const std::vector<std::string_view>& fields,
                             const std::vector<std::string>& names, int64_t timestamp) const {
  // RFC 6376 5.4.2: for a name listed n times, the n-th listing signs the n-th field of that
  // name counting from the bottom; listings beyond the fields present sign nothing.
  std::string data;
  std::vector<bool> used(fields.size(), false);
  for (const auto& name : names) {
    for (size_t i = fields.size(); i-- > 0;) {
      if (used[i]) continue;
      std::string_view field = fields[i];
      std::string_view fname = field.substr(0, field.find(':'));
      if (!iequals(trim(fname), name)) continue;
      used[i] = true;
      data += relaxed_header_field(field);
      break;
    }
  }
  std::vector<std::string> tags{"v=1",
                                "a=" + std::string(algorithm_name(key.key->algorithm())),
                                "c=relaxed/relaxed",
                                "d=" + key.domain,
                                "s=" + key.selector,
                                "t=" + std::to_string(timestamp),
                                "h=" + join(names, ":"),
                                "bh=" + body_hash_,
                                "b="};
  std::string unsigned_field = fold_tag_list("DKIM-Signature", tags);
  // RFC 6376 3.7: the signature field itself, b= empty, canonicalized, without its final CRLF.
  std::string canonical = relaxed_header_field(unsigned_field);
  canonical.resize(canonical.size() - 2);
  data += canonical;
  tags.back() = "b=" + key.key->sign(data);
  return fold_tag_list("DKIM-Signature", tags);
}

std::string fold_tag_list(std::string_view name, const std::vector<std::string>& tags, size_t width) {
  std::string out(name);
  out += ":";
  size_t line = out.size();
  for (size_t i = 0; i < tags.size(); ++i) {
    std::string tag = tags[i] + (i + 1 < tags.size() ? ";" : "");
    if (line + 1 + tag.size() <= width) {
      out += " " + tag;
      line += 1 + tag.size();
      continue;
    }
    // Start the tag on a new line; a tag longer than a line is split where FWS is allowed:
    // after "=" and anywhere in a base64 value (b=, bh=), at the colons of h=.
    out += "\r\n\t";
    line = 1;
    std::string_view rest = tag;
    bool splittable = tag.rfind("b=", 0) == 0 || tag.rfind("bh=", 0) == 0 || tag.rfind("h=", 0) == 0;
    while (splittable && line + rest.size() > width) {
      size_t room = width - line;
      size_t cut = room;
      if (tag.rfind("h=", 0) == 0) {
        size_t colon = rest.substr(0, room).rfind(':');
        if (colon == std::string_view::npos || colon == 0) break;  // an unbreakable name
        cut = colon;
      }
      out.append(rest.substr(0, cut));
      out += "\r\n\t";
      rest.remove_prefix(cut);
      line = 1;
    }
    out.append(rest);
    line += rest.size();
  }
  out += "\r\n";
  return out;
}

}  // namespace kurier::dkim
