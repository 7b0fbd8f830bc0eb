// Subcommands of the `metercert` executable (metercert DESIGN, "Interfaces").
#pragma once

#include <CLI/CLI.hpp>

#include "metercert/mbus/telegram.hpp"

namespace metercert::cli {

// `metercert decode [--json] [HEX ...]`: registers the subcommand; the callback sets the exit code.
void add_decode(CLI::App& app, int& exit_code);
// `metercert simulate DEVICE [options]`: one subcommand per simulated device, each with its own
// options (simulate_cmd.cpp reads the registry of simulate/*.cpp, one file per device)
void add_simulate(CLI::App& app, int& exit_code);

// `metercert scan --dut URL [--primary|--secondary] [--json] [--timeout S]`
void add_scan(CLI::App& app, int& exit_code);
// `metercert read --dut URL (--address A | --secondary ID) [--json] [--timeout S]`
void add_read(CLI::App& app, int& exit_code);

// `metercert receive --dut URL [--count N] [--timeout S] [--json]`: telegrams from a wmbus.receive link
void add_receive(CLI::App& app, int& exit_code);

// `metercert run [--profile P ...] [--dut URL] [--report DIR] [-k EXPR]`
void add_run(CLI::App& app, int& exit_code);

// `metercert vectors [--decoder CMD] [--junit F] [--json F]`: the third-party parser harness
void add_vectors(CLI::App& app, int& exit_code);
// `metercert rig check FILE [--exercise]`: a rig file (labgrid environment) checked by metercert.rig
void add_rig(CLI::App& app, int& exit_code);
void add_report(CLI::App& app, int& exit_code);
void add_faults(CLI::App& app, int& exit_code);  // `metercert faults [--json] [DEVICE]`: every device's fault list

// The decoded table `decode` prints, for other commands; print_records: its rows of records only.
void print_telegram_table(const mbus::Telegram& t);
void print_records(const mbus::Telegram& t);

// `decode --cmi6110 ENCODING [--json] PAYLOAD…` (decode_cmi6110.cpp): exit 0, or 2 with
// "error: [argument N: ]<name> at byte <offset>: <detail>" for any refused payload.
int run_decode_cmi6110(const std::string& encoding, const std::vector<std::string>& payloads, bool json);

}  // namespace metercert::cli
