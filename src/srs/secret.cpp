#include "srs/secret.h"

#include <fcntl.h>
#include <openssl/rand.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <stdexcept>

#include "common/base64.h"

namespace kurier::srs {
namespace {

namespace fs = std::filesystem;

[[noreturn]] void fail(const std::string& what, const fs::path& path) {
  throw std::runtime_error("srs: cannot " + what + " " + path.string() + ": " + std::strerror(errno));
}

std::string read_first_line(const fs::path& path) {
  std::ifstream in(path);
  if (!in) fail("read", path);
  std::string line;
  std::getline(in, line);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  if (line.empty()) throw std::runtime_error("srs: " + path.string() + " holds no secret");
  return line;
}

// Written to a temporary file, fsync'd, then linked into place: a crash leaves no half secret,
// and link() never replaces one another process stored first.
void write_new(const fs::path& path, const std::string& text) {
  fs::path tmp = path;
  tmp += "." + std::to_string(::getpid()) + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) fail("create", tmp);
  bool ok = ::write(fd, text.data(), text.size()) == ssize_t(text.size()) && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) {
    ::unlink(tmp.c_str());
    fail("write", tmp);
  }
  int linked = ::link(tmp.c_str(), path.c_str());
  int link_errno = errno;
  ::unlink(tmp.c_str());
  if (linked != 0 && link_errno != EEXIST) {
    errno = link_errno;
    fail("store", path);
  }
  int dir = ::open(path.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
}

}  // namespace

std::string load_or_create_secret(const fs::path& path) {
  if (!fs::exists(path)) {
    unsigned char bytes[32];
    if (RAND_bytes(bytes, sizeof bytes) != 1) throw std::runtime_error("srs: no random bytes for the secret");
    write_new(path, base64_encode(std::string_view(reinterpret_cast<const char*>(bytes), sizeof bytes)) + "\n");
  }
  return read_first_line(path);
}

}  // namespace kurier::srs
