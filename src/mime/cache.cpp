// Part tree (de)serialization; see cache.h. Deserialization treats its input as untrusted.
#include "mime/cache.h"

#include <cstdint>

namespace kurier::mime {
namespace {

constexpr std::string_view kMagic = "KMC";
constexpr size_t kMaxDepth = 2 * kMaxNestingDepth + 8;
constexpr uint64_t kMaxCount = 2 * kMaxParts + 8;

// --- writing -------------------------------------------------------------------------------

void put_varint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out += char((v & 0x7f) | 0x80);
    v >>= 7;
  }
  out += char(v);
}

void put_string(std::string& out, std::string_view s) {
  put_varint(out, s.size());
  out.append(s);
}

void put_optional(std::string& out, const std::optional<std::string>& s) {
  out += char(s ? 1 : 0);
  if (s) put_string(out, *s);
}

void put_params(std::string& out, const std::vector<Param>& params) {
  put_varint(out, params.size());
  for (const Param& p : params) {
    put_string(out, p.name);
    put_string(out, p.value);
  }
}

void put_part(std::string& out, const Part& p) {
  for (uint64_t v : {p.header_offset, p.header_size, p.body_offset, p.body_size, p.body_lines,
                     p.body_crlf_size})
    put_varint(out, v);
  put_string(out, p.type);
  put_string(out, p.subtype);
  put_params(out, p.params);
  put_optional(out, p.id);
  put_optional(out, p.description);
  put_string(out, p.encoding);
  put_optional(out, p.md5);
  put_optional(out, p.disposition);
  put_params(out, p.disposition_params);
  put_varint(out, p.language.size());
  for (const std::string& l : p.language) put_string(out, l);
  put_optional(out, p.location);
  put_string(out, p.envelope);
  put_varint(out, p.children.size());
  for (const Part& c : p.children) put_part(out, c);
}

// --- reading -------------------------------------------------------------------------------

class Reader {
 public:
  explicit Reader(std::string_view data) : d_(data) {}
  bool ok() const { return ok_; }
  bool at_end() const { return pos_ == d_.size(); }

  uint64_t varint() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos_ >= d_.size()) return fail();
      auto byte = (unsigned char)d_[pos_++];
      v |= uint64_t(byte & 0x7f) << shift;
      if (!(byte & 0x80)) return v;
    }
    return fail();
  }
  uint64_t count() {
    uint64_t n = varint();
    return n > kMaxCount ? fail() : n;
  }
  std::string string() {
    uint64_t n = varint();
    if (!ok_ || n > d_.size() - pos_) return fail(), std::string();
    std::string s(d_.substr(pos_, n));
    pos_ += n;
    return s;
  }
  std::optional<std::string> optional() {
    if (pos_ >= d_.size()) return fail(), std::nullopt;
    char flag = d_[pos_++];
    if (flag == 0) return std::nullopt;
    if (flag != 1) return fail(), std::nullopt;
    return string();
  }
  std::vector<Param> params() {
    std::vector<Param> out;
    for (uint64_t n = count(); ok_ && n > 0; --n) {
      std::string name = string();
      out.push_back({std::move(name), string()});
    }
    return out;
  }

 private:
  uint64_t fail() {
    ok_ = false;
    pos_ = d_.size();
    return 0;
  }
  std::string_view d_;
  size_t pos_ = 0;
  bool ok_ = true;
};

bool read_part(Reader& r, Part& p, size_t depth);

void read_fields(Reader& r, Part& p) {
  for (size_t* v : {&p.header_offset, &p.header_size, &p.body_offset, &p.body_size,
                    &p.body_lines, &p.body_crlf_size})
    *v = size_t(r.varint());
  p.type = r.string();
  p.subtype = r.string();
  p.params = r.params();
  p.id = r.optional();
  p.description = r.optional();
  p.encoding = r.string();
  p.md5 = r.optional();
  p.disposition = r.optional();
  p.disposition_params = r.params();
  for (uint64_t n = r.count(); r.ok() && n > 0; --n) p.language.push_back(r.string());
  p.location = r.optional();
  p.envelope = r.string();
}

// Offsets must not wrap around; whether they fit the message is checked at use.
bool consistent(const Part& p) {
  return p.header_offset + p.header_size >= p.header_offset &&
         p.body_offset + p.body_size >= p.body_offset && p.body_lines <= p.body_size &&
         p.body_crlf_size >= p.body_size;
}

bool read_part(Reader& r, Part& p, size_t depth) {
  if (depth > kMaxDepth) return false;
  read_fields(r, p);
  if (!r.ok() || !consistent(p)) return false;
  for (uint64_t n = r.count(); r.ok() && n > 0; --n) {
    p.children.emplace_back();
    if (!read_part(r, p.children.back(), depth + 1)) return false;
  }
  return r.ok();
}

}  // namespace

std::string serialize(const Part& part) {
  std::string out(kMagic);
  out += char(kCacheVersion);
  put_part(out, part);
  return out;
}

std::optional<Part> deserialize(std::string_view data) {
  if (data.size() < kMagic.size() + 1 || data.substr(0, kMagic.size()) != kMagic ||
      (unsigned char)data[kMagic.size()] != kCacheVersion)
    return std::nullopt;
  Reader r(data.substr(kMagic.size() + 1));
  Part root;
  if (!read_part(r, root, 0) || !r.at_end()) return std::nullopt;
  return root;
}

}  // namespace kurier::mime
