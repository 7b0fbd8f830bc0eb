// metercert: conformance suite for smart-meter communication modules.
#include <CLI/CLI.hpp>

#include "commands.hpp"

int main(int argc, char** argv) {
    CLI::App app{"metercert — test and certification conformance suite for smart-meter communication modules\n"
                 "(M-Bus EN 13757-2/-3; see README.md)"};
    app.set_version_flag("--version", "metercert 0.1.0");
    app.require_subcommand(1);
    int exit_code = 0;
    metercert::cli::add_decode(app, exit_code);
    metercert::cli::add_simulate(app, exit_code);
    metercert::cli::add_scan(app, exit_code);
    metercert::cli::add_read(app, exit_code);
    metercert::cli::add_run(app, exit_code);
    metercert::cli::add_vectors(app, exit_code);
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const int rc = app.exit(e);
        return rc == 0 ? 0 : 2;
    }
    return exit_code;
}
