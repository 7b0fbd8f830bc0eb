// Subcommands of the `metercert` executable (metercert DESIGN, "Interfaces").
#pragma once

#include <CLI/CLI.hpp>

namespace metercert::cli {

// `metercert decode [--json] [HEX ...]`: registers the subcommand; the callback sets the exit code.
void add_decode(CLI::App& app, int& exit_code);
// `metercert simulate cmi1020 --listen tcp://HOST:PORT | --pty PATH [options]`
void add_simulate(CLI::App& app, int& exit_code);

}  // namespace metercert::cli
