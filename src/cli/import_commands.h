// Registers `kurier import maildir|mbox|cyrus|imap` and `kurier export maildir|mbox`
// (docs/INTERFACE.md). `import` may already exist (web-cyradm registers there too).
#pragma once

namespace CLI {
class App;
}

namespace kurier::cli {

struct Context;
// Adds maildir, mbox, cyrus and imap under `kurier import`.
void add_import_commands(CLI::App& import, Context& ctx);
void add_export_commands(CLI::App& app, Context& ctx);

}  // namespace kurier::cli
