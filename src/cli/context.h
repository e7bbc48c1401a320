// What every CLI command shares: the parsed global options, the loaded configuration and,
// on demand, the directory and the admin service.
#pragma once
#include <memory>
#include <stdexcept>
#include <string>

#include "accounts/admin_service.h"
#include "config/config.h"
#include "directory/directory.h"

namespace kurier::cli {

// A failure the user must see as one line on stderr, exit status 1.
struct Failure : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct Context {
  std::string config_path;  // from -c/--config, else $KURIER_CONFIG, else /etc/kurier/kurier.toml
  bool json = false;

  const config::Config& config();
  directory::Directory& directory();
  accounts::AdminService& admin();

 private:
  std::unique_ptr<config::Config> config_;
  std::unique_ptr<directory::Directory> directory_;
  std::unique_ptr<accounts::AdminService> admin_;
};

std::string read_password(bool from_stdin, const std::string& file);

}  // namespace kurier::cli
