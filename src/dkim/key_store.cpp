#include "dkim/key_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "common/strings.h"

namespace kurier::dkim {
namespace {

namespace fs = std::filesystem;
constexpr Algorithm kAlgorithms[] = {Algorithm::rsa_sha256, Algorithm::ed25519_sha256};

[[noreturn]] void io_fail(const std::string& what, const fs::path& path) {
  throw Error("dkim: cannot " + what + " " + path.string() + ": " + std::strerror(errno));
}

void fsync_dir(const fs::path& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

}  // namespace

std::string dns_selector(std::string_view selector, Algorithm a) {
  return a == Algorithm::rsa_sha256 ? std::string(selector) : std::string(selector) + "-ed25519";
}

std::vector<std::string> split_txt(std::string_view value) {
  std::vector<std::string> out;
  while (value.size() > 255) {
    out.emplace_back(value.substr(0, 255));
    value.remove_prefix(255);
  }
  out.emplace_back(value);
  return out;
}

std::string DnsRecord::zone_line() const {
  std::string line = name + " IN TXT";
  for (const auto& s : strings) line += " \"" + s + "\"";  // base64 and tags need no escaping
  return line;
}

std::string checked_domain(std::string_view domain) {
  std::string d = to_lower(domain);
  bool ok = !d.empty() && d.size() <= 253;
  for (auto label : split(d, '.')) {
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') ok = false;
    for (char c : label)
      if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) ok = false;
  }
  if (!ok) throw Error("dkim: invalid domain name '" + std::string(domain) + "'");
  return d;
}

KeyStore::KeyStore(fs::path dir, std::string selector) : dir_(std::move(dir)), selector_(std::move(selector)) {}

fs::path KeyStore::key_path(std::string_view domain, Algorithm a) const {
  return dir_ / (std::string(domain) + "." + selector_ + "." + std::string(key_type(a)) + ".key");
}

std::vector<SigningKey> KeyStore::ensure_keys(std::string_view domain) {
  std::string d = checked_domain(domain);
  std::lock_guard lock(mutex_);
  return keys_locked(d, true);
}

std::vector<SigningKey> KeyStore::load_keys(std::string_view domain) {
  std::string d = checked_domain(domain);
  std::lock_guard lock(mutex_);
  return keys_locked(d, false);
}

std::vector<SigningKey> KeyStore::keys_locked(const std::string& domain, bool generate) {
  auto cached = cache_.find(domain);
  if (cached != cache_.end() && cached->second.size() == std::size(kAlgorithms)) return cached->second;
  std::vector<SigningKey> keys;
  for (Algorithm a : kAlgorithms) {
    fs::path path = key_path(domain, a);
    std::shared_ptr<const PrivateKey> key;
    if (fs::exists(path)) {
      key = read_key(path, a);
    } else if (generate) {
      auto fresh = PrivateKey::generate(a);
      // Another process (the CLI, the server) may have stored one meanwhile: theirs wins.
      key = write_key(path, *fresh) ? fresh : read_key(path, a);
    } else {
      continue;
    }
    keys.push_back({domain, dns_selector(selector_, a), key});
  }
  if (!keys.empty()) cache_[domain] = keys;
  return keys;
}

std::vector<DnsRecord> KeyStore::dns_txt_records(std::string_view domain) {
  std::vector<DnsRecord> records;
  for (const auto& k : ensure_keys(domain)) {
    DnsRecord r;
    r.name = k.selector + "._domainkey." + k.domain + ".";
    r.value = "v=DKIM1; k=" + std::string(key_type(k.key->algorithm())) + "; p=" + k.key->public_key_base64();
    r.strings = split_txt(r.value);
    records.push_back(std::move(r));
  }
  return records;
}

std::shared_ptr<const PrivateKey> KeyStore::read_key(const fs::path& path, Algorithm a) const {
  std::ifstream in(path, std::ios::binary);
  if (!in) io_fail("read", path);
  std::ostringstream text;
  text << in.rdbuf();
  try {
    return PrivateKey::from_pem(text.str(), a);
  } catch (const Error& e) {
    throw Error(std::string(e.what()) + " (" + path.string() + ")");
  }
}

bool KeyStore::write_key(const fs::path& path, const PrivateKey& key) const {
  std::error_code ec;
  fs::create_directories(dir_, ec);
  if (ec) throw Error("dkim: cannot create " + dir_.string() + ": " + ec.message());
  ::chmod(dir_.c_str(), 0700);
  std::string pem = key.to_pem();
  fs::path tmp = path;
  tmp += "." + std::to_string(::getpid()) + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) io_fail("create", tmp);
  bool ok = ::write(fd, pem.data(), pem.size()) == ssize_t(pem.size()) && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) {
    ::unlink(tmp.c_str());
    io_fail("write", tmp);
  }
  // link() never replaces an existing key, unlike rename().
  int linked = ::link(tmp.c_str(), path.c_str());
  int link_errno = errno;
  ::unlink(tmp.c_str());
  if (linked != 0 && link_errno != EEXIST) {
    errno = link_errno;
    io_fail("store", path);
  }
  fsync_dir(dir_);
  return linked == 0;
}

}  // namespace kurier::dkim
