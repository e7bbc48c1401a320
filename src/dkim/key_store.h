// Per-domain DKIM keys on disk and the DNS records that publish them.
//
// Layout: DIR/<domain>.<selector>.rsa.key and DIR/<domain>.<selector>.ed25519.key (PKCS#8 PEM,
// mode 0600, written to a temp file, fsync'd and linked into place so a crash never leaves half
// a key and two processes never replace each other's key).
// DIR is DATA_DIR/dkim. <selector> is [dkim] selector.
//
// The two algorithms need two DNS names (one TXT record per selector, RFC 6376 3.6.2.2), so
// the RSA key is published under the selector itself and the Ed25519 key under
// "<selector>-ed25519": kurier._domainkey.example.org and kurier-ed25519._domainkey.example.org.
#pragma once
#include <filesystem>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "dkim/key.h"
#include "dkim/signer.h"

namespace kurier::dkim {

// The DNS selector a key of algorithm a is published under.
std::string dns_selector(std::string_view selector, Algorithm a);

// One TXT record to publish.
struct DnsRecord {
  std::string name;                  // "kurier._domainkey.example.org."
  std::string value;                 // "v=DKIM1; k=rsa; p=MIIB..."
  std::vector<std::string> strings;  // value split into character-strings of at most 255 bytes
  // Zone-file form: kurier._domainkey.example.org. IN TXT "v=DKIM1; k=rsa; p=..." "..."
  std::string zone_line() const;
};

// Splits a TXT value into the <= 255-byte character-strings DNS requires (RFC 1035 3.3.14).
std::vector<std::string> split_txt(std::string_view value);

class KeyStore {
 public:
  KeyStore(std::filesystem::path dir, std::string selector);

  // The domain's signing keys (RSA first, then Ed25519), generating and storing any that are
  // missing. Throws Error for an invalid domain name or when a key cannot be written or read.
  // Thread-safe; keys are cached after the first load.
  std::vector<SigningKey> ensure_keys(std::string_view domain);
  // The keys on disk, none generated; empty when the domain has none.
  std::vector<SigningKey> load_keys(std::string_view domain);
  // The TXT records for the domain's keys (generating them if needed).
  std::vector<DnsRecord> dns_txt_records(std::string_view domain);

  std::filesystem::path key_path(std::string_view domain, Algorithm a) const;
  const std::string& selector() const { return selector_; }

 private:
  std::vector<SigningKey> keys_locked(const std::string& domain, bool generate);
  std::shared_ptr<const PrivateKey> read_key(const std::filesystem::path& path, Algorithm a) const;
  // False when a key was already there (it is kept).
  bool write_key(const std::filesystem::path& path, const PrivateKey& key) const;

  std::filesystem::path dir_;
  std::string selector_;
  std::mutex mutex_;
  std::map<std::string, std::vector<SigningKey>> cache_;
};

// Lower-cases and checks a domain name for use in a file name and the d= tag: letters, digits,
// hyphens and dots, no empty label, at most 253 bytes. Throws Error otherwise.
std::string checked_domain(std::string_view domain);

}  // namespace kurier::dkim
