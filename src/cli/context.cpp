#include "cli/context.h"

#include <fstream>
#include <iostream>
#include <iterator>

#include "directory/open.h"

namespace kurier::cli {

const config::Config& Context::config() {
  if (!config_) {
    std::filesystem::path path = config_path.empty() ? config::default_config_path() : std::filesystem::path(config_path);
    try {
      config_ = std::make_unique<config::Config>(config::load(path));
    } catch (const config::ConfigError& e) {
      throw Failure(e.what());
    }
  }
  return *config_;
}

directory::Directory& Context::directory() {
  if (!directory_) {
    try {
      directory_ = directory::open_configured(config());
    } catch (const directory::Error& e) {
      throw Failure(e.what());
    }
  }
  return *directory_;
}

accounts::AdminService& Context::admin() {
  if (!admin_) admin_ = std::make_unique<accounts::AdminService>(directory());
  return *admin_;
}

// A password comes from stdin or a file, never from argv (visible in ps and shell history).
// One trailing newline is dropped, as `echo secret |` and editors add it.
std::string read_password(bool from_stdin, const std::string& file) {
  std::string pw;
  if (from_stdin) {
    std::getline(std::cin, pw);
  } else {
    std::ifstream in(file, std::ios::binary);
    if (!in) throw Failure("cannot read password file " + file);
    pw.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    if (!pw.empty() && pw.back() == '\n') pw.pop_back();
  }
  if (!pw.empty() && pw.back() == '\r') pw.pop_back();
  if (pw.empty()) throw Failure("empty password");
  return pw;
}

}  // namespace kurier::cli
