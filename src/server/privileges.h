// Giving up root. `kurier serve` started as root binds its ports (25, 143, 993... are below 1024),
// then runs as the unprivileged [server] user, as Postfix's and Dovecot's daemons do:
//   1. before anything is opened, data_dir becomes that user's (so the databases, blobs, spool
//      and the TLS key stay writable and readable after the switch: SIGHUP re-reads the key);
//   2. the stores are opened and the listeners bound as root; what that created in data_dir is
//      handed over too;
//   3. supplementary groups, gid and uid are set to the user's, checked, and regaining root is
//      checked to fail. Leaving root clears every capability (capabilities(7), no KEEP_CAPS).
#pragma once
#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <string>

namespace kurier::server {

struct RunAs {
  std::string name;
  uid_t uid = 0;
  gid_t gid = 0;
};

// The user to switch to: nullopt when `name` is empty or the process is not root (then it already
// runs unprivileged, and a differing name is only logged). Throws std::runtime_error when the
// user does not exist.
std::optional<RunAs> user_to_run_as(const std::string& name);

// chown -R of `dir` (or of one file) to the user, touching only entries it does not own already. Throws.
void hand_over(const std::filesystem::path& dir, const RunAs& user);

// Switches the whole process (every thread: glibc's setxid is process-wide) to the user.
// Throws std::runtime_error when any step fails or root could be regained.
void drop_privileges(const RunAs& user);

}  // namespace kurier::server
