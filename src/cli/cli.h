// The kurier command line (see docs/INTERFACE.md): init, serve, check-config and the administration
// commands. Exit status: 0 done, 1 failed (one line on stderr), 2 wrong usage.
#pragma once

namespace kurier::cli {

int run(int argc, char** argv);

}  // namespace kurier::cli
