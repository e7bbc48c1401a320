// The import and export commands (import_commands.h): argument handling around
// import_files.h, import_imap.h and export_commands.h.
#include "cli/import_commands.h"

#include <filesystem>
#include <iostream>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/context.h"
#include "cli/export_commands.h"
#include "cli/import_files.h"
#include "cli/import_imap.h"
#include "cli/import_target.h"
#include "cli/output.h"
#include "store/errors.h"

namespace kurier::cli {
namespace {

namespace fs = std::filesystem;

struct ImportArgs {
  std::string path, to, folder, host, user, password_file, subscriptions;
  int port = 0;
  bool tls = false, starttls = false, insecure = false, ignore_quota = false;
};

// The durable name of a source: its kind and absolute path (or server and login), so a
// re-run of the same import resumes and a different source never collides.
std::string absolute(const std::string& path) {
  std::error_code ec;
  auto p = fs::weakly_canonical(fs::absolute(path), ec);
  return ec ? fs::absolute(path).string() : p.string();
}

// An import the account's quota stopped prints its summary (what was stored, the message that
// did not fit) and fails (exit 1): a re-run after the quota was raised resumes there.
template <class Run>
void run_import(Context& ctx, const ImportArgs& a, const std::string& kind, const std::string& source, Run run) {
  const auto& config = ctx.config();
  become_data_dir_owner(config);
  ImportTarget target(config, ctx.directory(), a.to, kind, source, ctx.json, a.ignore_quota);
  try {
    run(target);
  } catch (const QuotaReached&) {
  }
  int status = target.finish();
  if (target.stopped_over_quota())
    throw Failure(fmt::format("import stopped before exceeding the quota of {} ({} bytes): raise it, or run "
                              "again with --ignore-quota",
                              a.to, target.quota()));
  if (status != 0) throw Failure("import failed");
}

void add_quota_flag(CLI::App* cmd, ImportArgs& a) {
  cmd->add_flag("--ignore-quota", a.ignore_quota, "import past the account's quota");
}

void add_file_import(CLI::App* parent, Context& ctx, ImportArgs& a, const char* kind, const char* help, const char* what) {
  auto* cmd = parent->add_subcommand(kind, help);
  cmd->add_option(what, a.path, help)->required();
  cmd->add_option("--to", a.to, "the account (address) the mail goes to")->required();
  if (std::string_view(kind) == "mbox") cmd->add_option("--folder", a.folder, "folder to import into (default INBOX)");
  if (std::string_view(kind) == "cyrus")
    cmd->add_option("--subscriptions", a.subscriptions,
                    "the user's Cyrus subscriptions file (CONFIGDIR/user/X/USER.sub)");
  add_quota_flag(cmd, a);
  std::string k = kind;
  cmd->callback([&ctx, &a, k] {
    std::string source = k + ":" + absolute(a.path);
    run_import(ctx, a, k, source, [&](ImportTarget& t) {
      if (k == "maildir") import_maildir(t, a.path);
      else if (k == "mbox") import_mbox(t, a.path, a.folder);
      else import_cyrus(t, a.path, a.subscriptions);
    });
  });
}

void add_imap_import(CLI::App* parent, Context& ctx, ImportArgs& a) {
  auto* cmd = parent->add_subcommand("imap", "copy an account's folders from another IMAP server");
  cmd->add_option("--host", a.host, "IMAP server")->required();
  cmd->add_option("--port", a.port, "port (default 143, 993 with --tls)");
  auto* tls = cmd->add_flag("--tls", a.tls, "implicit TLS (imaps)");
  auto* starttls = cmd->add_flag("--starttls", a.starttls, "STARTTLS after connecting");
  tls->excludes(starttls);
  cmd->add_flag("--insecure", a.insecure, "do not verify the server's TLS certificate");
  cmd->add_option("--user", a.user, "login at the source")->required();
  cmd->add_option("--password-file", a.password_file, "file holding the source password")->required();
  cmd->add_option("--to", a.to, "the account (address) the mail goes to")->required();
  add_quota_flag(cmd, a);
  cmd->callback([&ctx, &a] {
    std::string password = read_password(false, a.password_file);
    ImapTls mode = a.tls ? ImapTls::implicit : a.starttls ? ImapTls::starttls : ImapTls::none;
    int port = a.port ? a.port : a.tls ? 993 : 143;
    std::string source = fmt::format("imap:{}:{}:{}", a.host, port, a.user);
    run_import(ctx, a, "imap", source, [&](ImportTarget& t) {
      ImapClient client(a.host, port, mode, !a.insecure);
      client.login(a.user, password);
      import_imap(t, client);
      client.logout();
    });
  });
}

}  // namespace

void add_import_commands(CLI::App& import, Context& ctx) {
  static ImportArgs args;
  CLI::App* parent = &import;
  add_file_import(parent, ctx, args, "maildir", "import a Dovecot/Courier Maildir", "DIR");
  add_file_import(parent, ctx, args, "mbox", "import an mbox file", "FILE");
  add_file_import(parent, ctx, args, "cyrus", "import one Cyrus user's spool tree", "DIR");
  add_imap_import(parent, ctx, args);
}

void add_export_commands(CLI::App& app, Context& ctx) {
  static std::string format, address, dir;
  auto* cmd = app.add_subcommand("export", "write an account's folders as Maildir or mbox");
  cmd->add_option("FORMAT", format, "maildir or mbox")->required()->check(CLI::IsMember({"maildir", "mbox"}));
  cmd->add_option("ADDRESS", address, "the account")->required();
  cmd->add_option("DIR", dir, "where to write")->required();
  cmd->callback([&ctx] {
    const auto& config = ctx.config();
    become_data_dir_owner(config);
    ExportResult r;
    try {
      r = format == "maildir" ? export_maildir(config, ctx.directory(), address, dir)
                              : export_mbox(config, ctx.directory(), address, dir);
    } catch (const store::StoreError& e) {
      throw Failure(std::string("export failed: ") + e.what());
    }
    if (ctx.json)
      return print_json({{"format", format}, {"address", address}, {"dir", absolute(dir)}, {"folders", r.folders},
                         {"messages", r.messages}, {"bytes", r.bytes}});
    std::cout << fmt::format("exported {} messages in {} folders of {} to {} ({})\n", r.messages, r.folders, address,
                             absolute(dir), format);
  });
}

}  // namespace kurier::cli
