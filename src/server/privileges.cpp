// Giving up root: see privileges.h.
#include "server/privileges.h"

#include <grp.h>
#include <pwd.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <system_error>
#include <vector>

#include "common/log.h"

namespace kurier::server {
namespace {

namespace fs = std::filesystem;

[[noreturn]] void fail(const std::string& what) {
  throw std::runtime_error(what + ": " + std::strerror(errno));
}

void own(const fs::path& p, const RunAs& user) {
  struct stat st {};
  if (::lstat(p.c_str(), &st) != 0) fail("stat " + p.string());
  if (st.st_uid == user.uid && st.st_gid == user.gid) return;
  if (::lchown(p.c_str(), user.uid, user.gid) != 0) fail("chown " + p.string() + " to " + user.name);
}

}  // namespace

std::optional<RunAs> user_to_run_as(const std::string& name) {
  if (name.empty()) return std::nullopt;
  std::vector<char> buf(16384);
  passwd pw{};
  passwd* found = nullptr;
  int err = ::getpwnam_r(name.c_str(), &pw, buf.data(), buf.size(), &found);
  if (err != 0 || !found)
    throw std::runtime_error("[server] user " + name + " does not exist (create it: adduser --system --group " +
                             name + ")");
  RunAs user{name, pw.pw_uid, pw.pw_gid};
  if (::geteuid() != 0) {
    if (::geteuid() != user.uid)
      log::warn("privileges.not_root", {{"user", name}, {"reason", "not started as root: keeps its own user"}});
    return std::nullopt;
  }
  if (user.uid == 0) throw std::runtime_error("[server] user " + name + " is root; name an unprivileged user");
  return user;
}

void hand_over(const fs::path& dir, const RunAs& user) {
  own(dir, user);
  std::error_code ec;
  if (!fs::is_directory(fs::symlink_status(dir, ec))) return;
  for (auto it = fs::recursive_directory_iterator(dir, fs::directory_options::none, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec))
    own(it->path(), user);
  if (ec) throw std::runtime_error("chown -R " + dir.string() + ": " + ec.message());
}

void drop_privileges(const RunAs& user) {
  if (::initgroups(user.name.c_str(), user.gid) != 0) fail("initgroups " + user.name);
  if (::setgid(user.gid) != 0) fail("setgid " + std::to_string(user.gid));
  if (::setuid(user.uid) != 0) fail("setuid " + std::to_string(user.uid));
  // setuid(0) must fail now: a saved set-user-ID of 0 would let a compromised process back.
  if (::setuid(0) == 0 || ::getuid() != user.uid || ::geteuid() != user.uid || ::getegid() != user.gid)
    throw std::runtime_error("could not drop root privileges for " + user.name);
  ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);  // no setuid program can give them back either
  log::info("privileges.dropped", {{"user", user.name}, {"uid", int64_t(user.uid)}, {"gid", int64_t(user.gid)}});
}

}  // namespace kurier::server
