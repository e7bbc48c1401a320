#include "cli/cli.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <openssl/rand.h>

#include "cli/admin_commands.h"
#include "cli/audit_commands.h"
#include "cli/context.h"
#include "cli/import_commands.h"
#include "cli/output.h"
#include "cli/queue_commands.h"
#include "cli/sieve_commands.h"
#include "cli/web_cyradm_import.h"
#include "cli/selfsigned.h"
#include "common/base64.h"
#include "common/strings.h"
#include "config/config.h"
#include "directory/open.h"
#include "sqldb/dsn.h"
#include "server/server.h"

namespace kurier::cli {
namespace {

namespace fs = std::filesystem;

bool valid_hostname(std::string_view h) {
  if (h.empty() || h.size() > 253) return false;
  for (auto label : split(h, '.')) {
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') return false;
    for (char c : label)
      if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-')) return false;
  }
  return true;
}

std::string generate_password() {
  unsigned char raw[15];
  if (RAND_bytes(raw, sizeof raw) != 1) throw Failure("no randomness for the admin password");
  std::string pw = base64_encode(std::string_view(reinterpret_cast<char*>(raw), sizeof raw));
  for (auto& c : pw) c = c == '+' ? '-' : c == '/' ? '_' : c;  // friendlier to paste
  return pw;
}

void write_file_synced(const fs::path& file, const std::string& text, mode_t mode) {
  int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL, mode);
  if (fd < 0) throw Failure("cannot create " + file.string() + ": " + std::strerror(errno));
  bool ok = ::write(fd, text.data(), text.size()) == ssize_t(text.size()) && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) throw Failure("cannot write " + file.string());
}

struct InitOptions {
  std::string data_dir, hostname, bind, admin_password_file;
  std::string directory_dsn;  // "" = the embedded SQLite directory
  int port_offset = 0;
};

// kurier's directory on a database server: backend named after the DSN's scheme.
void set_directory_dsn(config::Config& c, const std::string& dsn) {
  try {
    c.directory.backend = std::string(sqldb::dialect_name(sqldb::parse_dsn(dsn).dialect));
  } catch (const sqldb::Error& e) {
    throw Failure(e.what());
  }
  c.directory.dsn = dsn;
}

void run_init(Context& ctx, const InitOptions& o) {
  if (!valid_hostname(o.hostname)) throw Failure("invalid hostname: " + o.hostname);
  if (o.port_offset < 0 || o.port_offset > 60000) throw Failure("port offset must be 0..60000");
  fs::path dir = fs::absolute(o.data_dir).lexically_normal();
  fs::path file = dir / "kurier.toml";
  if (fs::exists(file)) throw Failure(file.string() + " exists: refusing to overwrite an existing setup");
  if (fs::exists(dir / "directory.db")) throw Failure((dir / "directory.db").string() + " exists: refusing to overwrite an existing setup");
  std::string password = o.admin_password_file.empty() ? std::string() : read_password(false, o.admin_password_file);
  bool generated = password.empty();
  if (generated) password = generate_password();
  accounts::check_password_policy(password);

  std::error_code ec;
  fs::create_directories(dir / "tls", ec);
  if (ec) throw Failure("cannot create " + (dir / "tls").string() + ": " + ec.message());
  fs::permissions(dir, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec, ec);

  config::Config c = config::defaults(to_lower(o.hostname), dir, o.port_offset);
  if (!o.bind.empty()) c.bind = {o.bind};
  if (!o.directory_dsn.empty()) set_directory_dsn(c, o.directory_dsn);
  std::string text = config::initial_file(c);
  try {
    config::parse(text, file);  // never write a file that kurier itself would refuse
  } catch (const config::ConfigError& e) {
    throw Failure(std::string("invalid settings: ") + e.what());
  }
  write_self_signed_certificate(c.hostname, c.tls.certificate, c.tls.key);
  // Creates the schema (SQLite file or the DSN's database) with its first super-admin.
  std::unique_ptr<directory::Directory> directory;
  try {
    directory = directory::open_configured(c);
  } catch (const directory::Error& e) {
    throw Failure(e.what());
  }
  if (directory->find_admin("admin"))
    throw Failure("the directory at " +
                  (c.directory.dsn.empty() ? directory::sqlite_path(c) : sqldb::redacted(sqldb::parse_dsn(c.directory.dsn))) +
                  " already has an admin 'admin': refusing to overwrite an existing setup");
  accounts::AdminService(*directory).add_admin(accounts::Actor::system(), "admin", password, true, {});
  write_file_synced(file, text, 0640);

  if (ctx.json) {
    nlohmann::json j = {{"config", file.string()}, {"data_dir", dir.string()}, {"admin", "admin"}};
    if (generated) j["admin_password"] = password;
    return print_json(j);
  }
  std::cout << "initialized " << dir.string() << "\n"
            << "  config:      " << file.string() << "\n"
            << "  certificate: " << c.tls.certificate.string() << " (self-signed for " << c.hostname << ")\n"
            << "  web admin:   admin" << (generated ? " / password " + password + "  (shown only this once)" : "") << "\n"
            << "start it with: kurier -c " << file.string() << " serve\n";
}

}  // namespace

int run(int argc, char** argv) {
  CLI::App app{"kurier: a complete mail server in one binary", "kurier"};
  app.fallthrough();  // global options may follow the subcommand: `kurier domain list --json`
  app.require_subcommand(1);
  Context ctx;
  app.add_option("-c,--config", ctx.config_path, "configuration file (default: $KURIER_CONFIG, else /etc/kurier/kurier.toml)");
  app.add_flag("--json", ctx.json, "machine-readable output");

  InitOptions init;
  auto* init_cmd = app.add_subcommand("init", "create a data directory with config, database, certificate and admin");
  init_cmd->add_option("--data-dir", init.data_dir, "where kurier keeps its data")->required();
  init_cmd->add_option("--hostname", init.hostname, "this server's host name")->required();
  init_cmd->add_option("--bind", init.bind, "address to listen on (default: all)");
  init_cmd->add_option("--port-offset", init.port_offset, "added to every standard port");
  init_cmd->add_option("--admin-password-file", init.admin_password_file, "password of the super-admin 'admin'");
  init_cmd->add_option("--directory-dsn", init.directory_dsn,
                       "keep the directory on a database server: mariadb://USER:PW@HOST:PORT/DB or postgresql://...");
  init_cmd->callback([&] { run_init(ctx, init); });

  int serve_status = 0;
  app.add_subcommand("serve", "run every service in the foreground (SIGTERM stops)")->callback([&] {
    serve_status = server::serve(ctx.config());
  });

  app.add_subcommand("check-config", "validate the configuration and print the effective settings")->callback([&] {
    std::cout << config::render(ctx.config());
  });

  add_domain_commands(app, ctx);
  add_user_commands(app, ctx);
  add_alias_commands(app, ctx);
  add_admin_commands(app, ctx);
  add_queue_commands(app, ctx);
  add_audit_commands(app, ctx);
  add_sieve_commands(app, ctx);
  CLI::App* import = app.add_subcommand("import", "import mail or a directory from another server");
  import->require_subcommand(1);
  add_import_commands(*import, ctx);
  add_web_cyradm_import(*import, ctx);
  add_export_commands(app, ctx);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return 2;
  } catch (const Failure& e) {
    std::cerr << "kurier: " << e.what() << "\n";
    return 1;
  } catch (const accounts::Error& e) {
    std::cerr << "kurier: " << e.what() << "\n";
    return 1;
  } catch (const directory::Error& e) {
    std::cerr << "kurier: " << e.what() << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "kurier: " << e.what() << "\n";
    return 1;
  }
  return serve_status;
}

}  // namespace kurier::cli
